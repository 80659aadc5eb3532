//! Mapping a [`RawTable`] to canonical records, transactions and rejects.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::Arc;

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, StringArray, StringBuilder,
    TimestampMicrosecondBuilder, UInt64Builder,
};
use arrow::record_batch::RecordBatch;
use omni_core::fields::{CanonicalField, FieldType, TRANSACTION_FIELDS};
use omni_core::schema::{self, AMOUNT_PRECISION, AMOUNT_SCALE};
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::config::{FieldExpr, FieldSpec, NamePart, SourceConfig};
use crate::normalize::PhoneCache;
use crate::normalize::{
    PhoneNormalizer, fold_name, normalize_email, normalize_id, normalize_postcode,
    pad_spanish_postcode, split_full_name,
};
use crate::parse::{Formats, ParseState, parse_amount, parse_bool};
use crate::read::{RawTable, TextColumn};

/// Problems with the mapping keys of a source (not its files): unknown canonical fields,
/// unknown transaction keys, a missing `record_id` or `amount`. Each is (key, message).
pub fn mapping_problems(src: &SourceConfig) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (key, spec) in &src.fields {
        for m in spec.problems() {
            out.push((format!("fields.{key}"), m));
        }
    }
    for (key, spec) in src.transaction.iter().flatten() {
        for m in spec.problems() {
            out.push((format!("transaction.{key}"), m));
        }
    }
    for key in src.fields.keys() {
        if CanonicalField::parse(key).is_none() {
            let hint = omni_core::suggest(key, CanonicalField::names())
                .map(|s| format!("did you mean `{s}`? "))
                .unwrap_or_default();
            out.push((
                format!("fields.{key}"),
                format!(
                    "`{key}` is not a canonical field; {hint}canonical fields are: {}",
                    CanonicalField::names().collect::<Vec<_>>().join(", ")
                ),
            ));
        }
    }
    if !src.fields.contains_key("record_id") {
        out.push((
            "fields.record_id".into(),
            "every source needs `record_id = \"<column>\"`: the column that identifies a row (order id, card number, contact id)".into(),
        ));
    }
    if let Some(tx) = &src.transaction {
        let names = TRANSACTION_FIELDS.iter().map(|(n, _)| *n);
        for key in tx.keys() {
            if !TRANSACTION_FIELDS.iter().any(|(n, _)| n == key) {
                let hint = omni_core::suggest(key, names.clone())
                    .map(|s| format!("did you mean `{s}`? "))
                    .unwrap_or_default();
                out.push((
                    format!("transaction.{key}"),
                    format!(
                        "`{key}` is not a transaction field; {hint}transaction fields are: {}",
                        names.clone().collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        }
        if !tx.contains_key("amount") {
            out.push((
                "transaction.amount".into(),
                "a transaction mapping needs `amount = \"<column>\"`".into(),
            ));
        }
    }
    out
}

/// Every (key, column) the mapping reads, for checking against a file's columns.
pub fn mapped_columns(src: &SourceConfig) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in &src.fields {
        out.extend(
            v.columns()
                .into_iter()
                .map(|c| (format!("fields.{k}"), c.to_string())),
        );
    }
    for (k, v) in src.transaction.iter().flatten() {
        out.extend(
            v.columns()
                .into_iter()
                .map(|c| (format!("transaction.{k}"), c.to_string())),
        );
    }
    out
}

/// The text column a field spec reads from a table: the mapped column, or the value of a
/// `concat` or `split` expression computed for every row. `None` when a column is missing.
fn field_column<'t>(spec: &FieldSpec, table: &'t RawTable) -> Option<Cow<'t, TextColumn>> {
    match spec.expr() {
        FieldExpr::Column(c) => table.column(c).map(Cow::Borrowed),
        FieldExpr::Concat { columns, sep } => {
            let cols: Vec<&TextColumn> = columns
                .iter()
                .map(|c| table.column(c))
                .collect::<Option<_>>()?;
            let mut out = StringBuilder::with_capacity(table.num_rows(), table.num_rows() * 16);
            let mut buf = String::new();
            for i in 0..table.num_rows() {
                buf.clear();
                for v in cols.iter().filter_map(|c| c.get(i)).map(str::trim) {
                    if !buf.is_empty() {
                        buf.push_str(sep);
                    }
                    buf.push_str(v);
                }
                if buf.is_empty() {
                    out.append_null();
                } else {
                    out.append_value(&buf);
                }
            }
            Some(Cow::Owned(TextColumn::Plain(out.finish())))
        }
        FieldExpr::Split { column, part } => {
            let col = table.column(column)?;
            let values: StringArray = (0..table.num_rows())
                .map(|i| {
                    let (first, last) = col.get(i).map(split_full_name).unwrap_or((None, None));
                    match part {
                        NamePart::First => first,
                        NamePart::Last => last,
                    }
                })
                .collect();
            Some(Cow::Owned(TextColumn::Plain(values)))
        }
    }
}

/// Settings shared by all sources of a pipeline.
#[derive(Debug, Clone)]
pub struct MapOptions {
    pub phone: PhoneNormalizer,
    pub currency: String,
}

/// Counts for one source, reported in every run.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SourceStats {
    pub source: String,
    pub files: usize,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub transactions: u64,
    /// Reject counts by reason class (`event_ts`, `wrong field count`, ...).
    pub reject_reasons: BTreeMap<String, u64>,
}

/// Rejected rows, put in (file, line) order when finished, so that the table does not
/// depend on how files were cut into blocks.
struct Rejects {
    rows: Vec<RejectRow>,
    /// Sequence number of the current file within the source.
    file_seq: usize,
}

struct RejectRow {
    file_seq: usize,
    source: String,
    file: String,
    line: Option<u64>,
    raw: String,
    field: Option<String>,
    reason: String,
}

impl Rejects {
    fn new() -> Self {
        Rejects {
            rows: Vec::new(),
            file_seq: 0,
        }
    }

    fn finish(mut self) -> RecordBatch {
        // Stable: rows of one line keep their order.
        self.rows.sort_by_key(|r| (r.file_seq, r.line));
        let mut source = StringBuilder::new();
        let mut file = StringBuilder::new();
        let mut line = UInt64Builder::new();
        let mut raw = StringBuilder::new();
        let mut field = StringBuilder::new();
        let mut reason = StringBuilder::new();
        for r in self.rows {
            source.append_value(r.source);
            file.append_value(r.file);
            line.append_option(r.line);
            raw.append_value(r.raw);
            field.append_option(r.field);
            reason.append_value(r.reason);
        }
        let cols: Vec<ArrayRef> = vec![
            Arc::new(source.finish()),
            Arc::new(file.finish()),
            Arc::new(line.finish()),
            Arc::new(raw.finish()),
            Arc::new(field.finish()),
            Arc::new(reason.finish()),
        ];
        RecordBatch::try_new(schema::rejects(), cols).expect("rejects schema matches builders")
    }
}

/// Builders for one column of `source_records`, by type.
enum ColBuilder {
    Text(StringBuilder),
    Ts(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    Bool(BooleanBuilder),
    Line(UInt64Builder),
}

/// A parsed value of one row, appended only when the whole row is accepted. Text borrows
/// from the input table when it is kept as read (ids, raw values).
#[derive(Debug, Clone)]
enum Val<'a> {
    Null,
    Text(Cow<'a, str>),
    Ts(i64),
    Date(i32),
    Bool(bool),
    Line(u64),
}

impl ColBuilder {
    fn append(&mut self, v: &Val<'_>) {
        match (self, v) {
            (ColBuilder::Text(b), Val::Text(s)) => b.append_value(s),
            (ColBuilder::Text(b), Val::Null) => b.append_null(),
            (ColBuilder::Ts(b), Val::Ts(t)) => b.append_value(*t),
            (ColBuilder::Ts(b), Val::Null) => b.append_null(),
            (ColBuilder::Date(b), Val::Date(d)) => b.append_value(*d),
            (ColBuilder::Date(b), Val::Null) => b.append_null(),
            (ColBuilder::Bool(b), Val::Bool(x)) => b.append_value(*x),
            (ColBuilder::Bool(b), Val::Null) => b.append_null(),
            (ColBuilder::Line(b), Val::Line(x)) => b.append_value(*x),
            (ColBuilder::Line(b), Val::Null) => b.append_null(),
            (_, v) => unreachable!("value {v:?} does not fit its column"),
        }
    }

    fn append_str(&mut self, s: &str) {
        match self {
            ColBuilder::Text(b) => b.append_value(s),
            _ => unreachable!("text {s:?} in a non-text column"),
        }
    }

    fn len(&self) -> usize {
        use arrow::array::ArrayBuilder;
        match self {
            ColBuilder::Text(b) => b.len(),
            ColBuilder::Ts(b) => b.len(),
            ColBuilder::Date(b) => b.len(),
            ColBuilder::Bool(b) => b.len(),
            ColBuilder::Line(b) => b.len(),
        }
    }

    fn finish(self) -> ArrayRef {
        match self {
            ColBuilder::Text(mut b) => Arc::new(b.finish()),
            ColBuilder::Ts(mut b) => Arc::new(b.finish().with_timezone("UTC")),
            ColBuilder::Date(mut b) => Arc::new(b.finish()),
            ColBuilder::Bool(mut b) => Arc::new(b.finish()),
            ColBuilder::Line(mut b) => Arc::new(b.finish()),
        }
    }
}

struct Transactions {
    source: StringBuilder,
    id: StringBuilder,
    record_id: StringBuilder,
    channel: StringBuilder,
    ts: TimestampMicrosecondBuilder,
    amount: Decimal128Builder,
    currency: StringBuilder,
    store: StringBuilder,
    kind: StringBuilder,
    original: StringBuilder,
}

impl Transactions {
    fn new() -> Self {
        Transactions {
            source: StringBuilder::new(),
            id: StringBuilder::new(),
            record_id: StringBuilder::new(),
            channel: StringBuilder::new(),
            ts: TimestampMicrosecondBuilder::new(),
            amount: Decimal128Builder::new(),
            currency: StringBuilder::new(),
            store: StringBuilder::new(),
            kind: StringBuilder::new(),
            original: StringBuilder::new(),
        }
    }

    fn finish(mut self) -> RecordBatch {
        let cols: Vec<ArrayRef> = vec![
            Arc::new(self.source.finish()),
            Arc::new(self.id.finish()),
            Arc::new(self.record_id.finish()),
            Arc::new(self.channel.finish()),
            Arc::new(self.ts.finish().with_timezone("UTC")),
            Arc::new(
                self.amount
                    .finish()
                    .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE)
                    .expect("valid decimal type"),
            ),
            Arc::new(self.currency.finish()),
            Arc::new(self.store.finish()),
            Arc::new(self.kind.finish()),
            Arc::new(self.original.finish()),
        ];
        RecordBatch::try_new(schema::transactions(), cols)
            .expect("transactions schema matches builders")
    }
}

/// What mapping one row gave, before the checks against earlier rows.
enum RowOut<'a> {
    Reject {
        field: Option<String>,
        class: String,
        reason: String,
    },
    Accept {
        vals: Vec<Val<'a>>,
        tx: Option<Tx<'a>>,
    },
}

struct Tx<'a> {
    id: &'a str,
    ts: Option<i64>,
    cents: i128,
    currency: Cow<'a, str>,
    store: Option<&'a str>,
    original: Option<&'a str>,
}

/// Records and transactions of a source mapped so far ([`Mapper::take_part`]).
#[derive(Debug)]
pub struct Part {
    pub records: RecordBatch,
    pub transactions: RecordBatch,
}

/// A set of ids kept as xxh3 128-bit hashes. Two distinct ids collide with probability about
/// n²/2¹²⁹: for a billion ids, 10⁻²¹.
#[derive(Default)]
struct IdSet(FxHashSet<u128>);

impl IdSet {
    fn key(id: &str) -> u128 {
        xxhash_rust::xxh3::xxh3_128(id.as_bytes())
    }
    fn contains(&self, id: &str) -> bool {
        self.0.contains(&Self::key(id))
    }
    fn insert(&mut self, id: &str) {
        self.0.insert(Self::key(id));
    }
    fn reserve(&mut self, n: usize) {
        self.0.reserve(n);
    }
}

/// Empty builders for the columns of `schema` (`source_records`).
fn new_builders(schema: &arrow::datatypes::SchemaRef) -> Vec<ColBuilder> {
    schema
        .fields()
        .iter()
        .map(|f| match f.data_type() {
            arrow::datatypes::DataType::Utf8 => ColBuilder::Text(StringBuilder::new()),
            arrow::datatypes::DataType::Timestamp(..) => {
                ColBuilder::Ts(TimestampMicrosecondBuilder::new())
            }
            arrow::datatypes::DataType::Date32 => ColBuilder::Date(Date32Builder::new()),
            arrow::datatypes::DataType::Boolean => ColBuilder::Bool(BooleanBuilder::new()),
            arrow::datatypes::DataType::UInt64 => ColBuilder::Line(UInt64Builder::new()),
            t => unreachable!("unexpected type {t} in source_records"),
        })
        .collect()
}

/// The output of mapping one source (all its files).
#[derive(Debug)]
pub struct Mapped {
    pub records: RecordBatch,
    pub transactions: RecordBatch,
    pub rejects: RecordBatch,
    pub stats: SourceStats,
}

/// Maps the raw tables of one source's files. `files` pairs each file's display name with
/// its rows. Record ids must be unique across the source's files.
pub fn map_source(src: &SourceConfig, files: &[(String, RawTable)], opts: &MapOptions) -> Mapped {
    let mut m = Mapper::new(src, opts);
    for (file, table) in files {
        m.add(file, table);
    }
    m.finish()
}

/// Maps a source table by table: the tables of one source's files, each possibly in several
/// chunks (consecutive [`add`](Mapper::add) calls with the same file name), in file order.
/// Only the mapped Arrow output is kept, so the raw tables can be dropped after each call.
pub struct Mapper<'a> {
    src: &'a SourceConfig,
    opts: &'a MapOptions,
    schema: arrow::datatypes::SchemaRef,
    builders: Vec<ColBuilder>,
    rejects: Rejects,
    txs: Transactions,
    stats: SourceStats,
    /// Record and transaction ids seen so far, as 128-bit hashes: memory per row is 16
    /// bytes, not a copy of the id (a 5 GB export has tens of millions of rows).
    seen_ids: IdSet,
    seen_tx: IdSet,
    last_file: Option<String>,
    /// Normalised phones of this source (its region), one cache per worker, when it maps a
    /// phone (empty otherwise).
    phone_caches: Vec<PhoneCache>,
}

impl<'a> Mapper<'a> {
    pub fn new(src: &'a SourceConfig, opts: &'a MapOptions) -> Self {
        let schema = schema::source_records();
        let builders = new_builders(&schema);
        Mapper {
            src,
            opts,
            schema,
            builders,
            rejects: Rejects::new(),
            txs: Transactions::new(),
            stats: SourceStats {
                source: src.name.clone(),
                ..Default::default()
            },
            seen_ids: IdSet::default(),
            seen_tx: IdSet::default(),
            last_file: None,
            phone_caches: if src.fields.contains_key(CanonicalField::Phone.name()) {
                (0..rayon::current_num_threads().max(1))
                    .map(|_| PhoneCache::new(opts.phone))
                    .collect()
            } else {
                Vec::new()
            },
        }
    }

    /// Rows counted so far (`rows_read`).
    pub fn stats(&self) -> &SourceStats {
        &self.stats
    }

    /// Maps one table (a file, or a chunk of one).
    pub fn add(&mut self, file: &str, table: &RawTable) {
        if self.last_file.as_deref() != Some(file) {
            self.stats.files += 1;
            self.rejects.file_seq = self.stats.files;
            self.last_file = Some(file.to_string());
        }
        let Mapper {
            src,
            opts,
            schema,
            builders,
            rejects,
            txs,
            stats,
            seen_ids,
            seen_tx,
            phone_caches,
            ..
        } = self;
        let (src, opts) = (*src, *opts);
        let rejects = &mut *rejects;
        let stats = &mut *stats;
        let txs = &mut *txs;
        let col_index = |name: &str| schema.index_of(name).expect("column in schema");
        let file = &file.to_string();
        stats.rows_read += (table.num_rows() + table.bad_rows.len()) as u64;
        for b in &table.bad_rows {
            let class = if b.reason.starts_with("expected") {
                "wrong field count"
            } else {
                "malformed row"
            };
            push_reject(
                rejects,
                stats,
                &src.name,
                file,
                Some(b.line),
                &b.raw,
                None,
                class,
                &b.reason,
            );
        }
        // Resolve the mapping against this file's columns once (expressions computed here).
        // Each field with its output column and, for timestamps and dates, its compiled
        // formats and the slot of its parse state.
        type FieldPlan<'s, 't> = (
            CanonicalField,
            &'s FieldSpec,
            Option<Cow<'t, TextColumn>>,
            usize,
            Option<(Formats, usize)>,
        );
        let mut n_states = 0usize;
        let mut slot = || {
            n_states += 1;
            n_states - 1
        };
        let fields: Vec<FieldPlan<'_, '_>> = src
            .fields
            .iter()
            .filter_map(|(k, spec)| {
                let f = CanonicalField::parse(k)?;
                let formats = match f.field_type() {
                    FieldType::Timestamp => Some((Formats::timestamp(spec.formats()), slot())),
                    FieldType::Date => Some((Formats::date(spec.formats()), slot())),
                    _ => None,
                };
                Some((
                    f,
                    spec,
                    field_column(spec, table),
                    col_index(f.name()),
                    formats,
                ))
            })
            .collect();
        let get = |f: CanonicalField| fields.iter().find(|(x, ..)| *x == f);
        let tx_spec = src.transaction.as_ref();
        let tx_cols: Vec<(&str, &FieldSpec, Option<Cow<'_, TextColumn>>)> = tx_spec
            .iter()
            .flat_map(|t| t.iter())
            .map(|(k, spec)| (k.as_str(), spec, field_column(spec, table)))
            .collect();
        let tx_col = |k: &str| {
            tx_cols
                .iter()
                .find(|(x, _, _)| *x == k)
                .map(|(_, spec, c)| (*spec, c.as_deref()))
        };
        let tx_ts = tx_col("ts").map(|(spec, _)| (Formats::timestamp(spec.formats()), slot()));
        let n_states = n_states;
        let [
            c_source,
            c_record_id,
            c_channel,
            c_file,
            c_line,
            c_email_raw,
            c_email_match,
            c_phone_raw,
            c_full_name,
            c_first_name,
            c_first_name_norm,
            c_last_name,
            c_last_name_norm,
            c_country,
            c_postcode,
            c_event_ts,
            c_phone,
        ] = [
            "source",
            "record_id",
            "channel",
            "file",
            "line",
            "email_raw",
            "email_match",
            "phone_raw",
            "full_name",
            "first_name",
            "first_name_norm",
            "last_name",
            "last_name_norm",
            "country",
            "postcode",
            "event_ts",
            "phone",
        ]
        .map(col_index);
        // The same text in every row of the table, appended without a copy per row.
        let constants = [
            (c_source, src.name.as_str()),
            (c_channel, src.channel.as_str()),
            (c_file, file.as_str()),
        ];
        // Phones are normalised apart, through per-worker caches ([`PhoneCache`]): see below.
        let phone_col = get(CanonicalField::Phone).and_then(|(_, _, c, ..)| c.as_deref());

        // Rows are mapped in parallel in batches; what depends on earlier rows (duplicate
        // ids) and the appends run in row order.
        let width = builders.len();
        let map_row = |states: &mut Vec<ParseState>, i: usize| -> (Option<&str>, RowOut) {
            let line = table.lines[i];
            let mut vals: Vec<Val<'_>> = vec![Val::Null; width];
            let text = |f: CanonicalField| {
                get(f)
                    .and_then(|(_, _, c, ..)| c.as_ref().and_then(|c| c.get(i)))
                    .map(str::trim)
            };
            // record_id
            let Some(record_id) = text(CanonicalField::RecordId) else {
                return (
                    None,
                    RowOut::Reject {
                        field: Some("record_id".to_string()),
                        class: "missing record_id".to_string(),
                        reason: "record_id is empty: every record needs an id".to_string(),
                    },
                );
            };
            vals[c_record_id] = Val::Text(Cow::Borrowed(record_id));
            vals[c_line] = Val::Line(line);

            for (f, _, col, idx, formats) in &fields {
                let Some(raw) = col.as_ref().and_then(|c| c.get(i)) else {
                    continue;
                };
                let v = raw.trim();
                let idx = *idx;
                let parsed = match (f.field_type(), formats) {
                    (FieldType::Timestamp, Some((fm, k))) => {
                        fm.parse_timestamp(v, &mut states[*k]).map(Val::Ts)
                    }
                    (FieldType::Date, Some((fm, k))) => {
                        fm.parse_date(v, &mut states[*k]).map(Val::Date)
                    }
                    (FieldType::Bool, _) => parse_bool(v).map(Val::Bool),
                    _ => Ok(Val::Null),
                };
                match parsed {
                    Err(reason) => {
                        return (
                            Some(record_id),
                            RowOut::Reject {
                                field: Some(f.name().to_string()),
                                class: f.name().to_string(),
                                reason: format!("{}: {reason}", f.name()),
                            },
                        );
                    }
                    Ok(Val::Null) => {}
                    Ok(val) => {
                        vals[idx] = val;
                        continue;
                    }
                }
                match f {
                    CanonicalField::RecordId => {}
                    CanonicalField::Email => {
                        vals[c_email_raw] = Val::Text(Cow::Borrowed(v));
                        if let Some(e) = normalize_email(v) {
                            vals[idx] = Val::Text(Cow::Owned(e.address));
                            vals[c_email_match] = Val::Text(Cow::Owned(e.match_key));
                        }
                    }
                    CanonicalField::Phone => {
                        // The normalised phone comes from the phone pass.
                        vals[c_phone_raw] = Val::Text(Cow::Borrowed(v));
                    }
                    CanonicalField::LoyaltyCard
                    | CanonicalField::AccountId
                    | CanonicalField::DeviceId
                    | CanonicalField::NationalId => {
                        if let Some(x) = normalize_id(v) {
                            vals[idx] = Val::Text(Cow::Owned(x));
                        }
                    }
                    CanonicalField::Postcode => {
                        if let Some(x) = normalize_postcode(v) {
                            vals[idx] = Val::Text(Cow::Owned(x));
                        }
                    }
                    CanonicalField::Country => {
                        vals[idx] = Val::Text(
                            if v.bytes().all(|b| b.is_ascii() && !b.is_ascii_lowercase()) {
                                Cow::Borrowed(v)
                            } else {
                                Cow::Owned(v.to_uppercase())
                            },
                        );
                    }
                    _ => vals[idx] = Val::Text(collapse(v)),
                }
            }
            // Names: split a full name when first/last are not mapped or empty.
            let full = match &vals[c_full_name] {
                Val::Text(s) => Some(s.clone()),
                _ => None,
            };
            // Only needed when a first or last name is missing.
            let (split_first, split_last) = match &full {
                Some(f)
                    if matches!(vals[c_first_name], Val::Null)
                        || matches!(vals[c_last_name], Val::Null) =>
                {
                    split_full_name(f)
                }
                _ => (None, None),
            };
            for (ci, norm_col, fallback) in [
                (c_first_name, c_first_name_norm, split_first),
                (c_last_name, c_last_name_norm, split_last),
            ] {
                if matches!(vals[ci], Val::Null)
                    && let Some(fb) = fallback
                {
                    vals[ci] = Val::Text(Cow::Owned(fb));
                }
                if let Val::Text(s) = &vals[ci]
                    && let Some(folded) = fold_name(s)
                {
                    vals[norm_col] = Val::Text(Cow::Owned(folded));
                }
            }
            if full.is_none()
                && let (Val::Text(a), Val::Text(b)) = (&vals[c_first_name], &vals[c_last_name])
            {
                vals[c_full_name] = Val::Text(Cow::Owned(format!("{a} {b}")));
            }

            // A Spanish postcode a spreadsheet turned into a number lost its leading zero.
            if let (Val::Text(country), Val::Text(pc)) = (&vals[c_country], &vals[c_postcode])
                && country == "ES"
                && let Some(padded) = pad_spanish_postcode(pc)
            {
                vals[c_postcode] = Val::Text(Cow::Owned(padded));
            }

            // Transaction.
            let mut tx: Option<Tx<'_>> = None;
            if tx_spec.is_some() {
                let cell = |k: &str| {
                    tx_col(k)
                        .and_then(|(_, c)| c.and_then(|c| c.get(i)))
                        .map(str::trim)
                };
                let id = cell("id").unwrap_or(record_id);
                let ts = match &tx_ts {
                    Some((fm, k)) => {
                        match cell("ts").map(|v| fm.parse_timestamp(v, &mut states[*k])) {
                            Some(Err(reason)) => {
                                return (
                                    Some(record_id),
                                    RowOut::Reject {
                                        field: Some("transaction.ts".to_string()),
                                        class: "transaction.ts".to_string(),
                                        reason: format!("transaction.ts: {reason}"),
                                    },
                                );
                            }
                            Some(Ok(t)) => Some(t),
                            None => None,
                        }
                    }
                    None => match vals[c_event_ts] {
                        Val::Ts(t) => Some(t),
                        _ => None,
                    },
                };
                let cents = match cell("amount").map(|v| parse_amount(v, src.decimal_comma)) {
                    Some(Ok(c)) => c,
                    Some(Err(reason)) => {
                        return (
                            Some(record_id),
                            RowOut::Reject {
                                field: Some("transaction.amount".to_string()),
                                class: "transaction.amount".to_string(),
                                reason: format!("transaction.amount: {reason}"),
                            },
                        );
                    }
                    None => {
                        return (
                            Some(record_id),
                            RowOut::Reject {
                                field: Some("transaction.amount".to_string()),
                                class: "transaction.amount".to_string(),
                                reason:
                                    "transaction.amount is empty: a transaction needs an amount"
                                        .to_string(),
                            },
                        );
                    }
                };
                tx = Some(Tx {
                    id,
                    ts,
                    cents,
                    currency: match cell("currency") {
                        Some(c) if c.bytes().all(|b| b.is_ascii() && !b.is_ascii_lowercase()) => {
                            Cow::Borrowed(c)
                        }
                        Some(c) => Cow::Owned(c.to_uppercase()),
                        None => Cow::Borrowed(opts.currency.as_str()),
                    },
                    store: cell("store"),
                    original: cell("original_id"),
                });
            }
            (Some(record_id), RowOut::Accept { vals, tx })
        };
        const BATCH: usize = 4096;
        // libphonenumber is the costliest normaliser, and customers repeat their phones: the
        // batch's phones are cut into one part per worker cache, normalised in parallel beside
        // the rows. The caches only save work: the values are those of the normaliser.
        let compute = |lo: usize, hi: usize, caches: &mut [PhoneCache]| {
            rayon::join(
                || match phone_col {
                    Some(col) if !caches.is_empty() => {
                        let step = (hi - lo).div_ceil(caches.len()).max(1);
                        caches
                            .par_iter_mut()
                            .enumerate()
                            .map(|(k, cache)| {
                                let a = (lo + k * step).min(hi);
                                let b = (a + step).min(hi);
                                (a..b)
                                    .map(|i| col.get(i).and_then(|raw| cache.normalize(raw.trim())))
                                    .collect::<Vec<_>>()
                            })
                            .collect::<Vec<_>>()
                            .concat()
                    }
                    _ => Vec::new(),
                },
                || -> Vec<(Option<&str>, RowOut)> {
                    (lo..hi)
                        .into_par_iter()
                        .map_init(|| vec![ParseState::default(); n_states], &map_row)
                        .collect()
                },
            )
        };
        // What depends on earlier rows (duplicate ids) runs in row order, one batch behind the
        // mapping: a batch is decided and appended while the next one is mapped. The decisions
        // (accept, reject, duplicate) are sequential and cheap; the appends, which copy every
        // value into the output, run column by column on all workers.
        let mut append =
            |lo: usize, phones: Vec<Option<String>>, outs: Vec<(Option<&str>, RowOut)>| {
                // Rows of `outs` that are accepted, in row order.
                let mut accepted: Vec<usize> = Vec::with_capacity(outs.len());
                seen_ids.reserve(outs.len());
                for (r, (record_id, out)) in outs.iter().enumerate() {
                    let i = lo + r;
                    let line = table.lines[i];
                    let reject = |rejects: &mut Rejects,
                                  stats: &mut SourceStats,
                                  field: Option<&str>,
                                  class: &str,
                                  reason: &str| {
                        push_reject(
                            rejects,
                            stats,
                            &src.name,
                            file,
                            Some(line),
                            &table.raw(i),
                            field,
                            class,
                            reason,
                        )
                    };
                    let Some(record_id) = *record_id else {
                        if let RowOut::Reject {
                            field,
                            class,
                            reason,
                        } = out
                        {
                            reject(rejects, stats, field.as_deref(), class, reason);
                        }
                        continue;
                    };
                    if seen_ids.contains(record_id) {
                        reject(
                            rejects,
                            stats,
                            Some("record_id"),
                            "duplicate record_id",
                            &format!("record_id {record_id:?} appeared earlier in this source"),
                        );
                        continue;
                    }
                    let tx = match out {
                        RowOut::Reject {
                            field,
                            class,
                            reason,
                        } => {
                            reject(rejects, stats, field.as_deref(), class, reason);
                            continue;
                        }
                        RowOut::Accept { tx, .. } => tx,
                    };
                    if let Some(t) = tx
                        && seen_tx.contains(t.id)
                    {
                        reject(
                            rejects,
                            stats,
                            Some("transaction.id"),
                            "duplicate transaction id",
                            &format!("transaction id {:?} appeared earlier in this source", t.id),
                        );
                        continue;
                    }
                    // Accepted.
                    seen_ids.insert(record_id);
                    stats.accepted += 1;
                    if let Some(t) = tx {
                        txs.source.append_value(&src.name);
                        txs.id.append_value(t.id);
                        txs.record_id.append_value(record_id);
                        txs.channel.append_value(&src.channel);
                        txs.ts.append_option(t.ts);
                        txs.amount.append_value(t.cents);
                        txs.currency.append_value(t.currency.as_ref());
                        txs.store.append_option(t.store);
                        txs.kind
                            .append_value(if t.cents < 0 { "return" } else { "purchase" });
                        txs.original.append_option(t.original);
                        seen_tx.insert(t.id);
                        stats.transactions += 1;
                    }
                    accepted.push(r);
                }
                let vals = |r: usize| match &outs[r].1 {
                    RowOut::Accept { vals, .. } => vals,
                    RowOut::Reject { .. } => unreachable!("only accepted rows are appended"),
                };
                builders.par_iter_mut().enumerate().for_each(|(k, b)| {
                    if let Some((_, c)) = constants.iter().find(|(ck, _)| *ck == k) {
                        for _ in &accepted {
                            b.append_str(c);
                        }
                    } else if k == c_phone {
                        for &r in &accepted {
                            match phones.get(r).and_then(Option::as_deref) {
                                Some(p) => b.append_str(p),
                                None => b.append(&Val::Null),
                            }
                        }
                    } else {
                        for &r in &accepted {
                            b.append(&vals(r)[k]);
                        }
                    }
                });
            };
        let mut pending = None;
        for lo in (0..table.num_rows()).step_by(BATCH) {
            let hi = (lo + BATCH).min(table.num_rows());
            let (_, (phones, outs)) = rayon::join(
                || {
                    if let Some((plo, phones, outs)) = pending.take() {
                        append(plo, phones, outs);
                    }
                },
                || compute(lo, hi, phone_caches),
            );
            pending = Some((lo, phones, outs));
        }
        if let Some((lo, phones, outs)) = pending {
            append(lo, phones, outs);
        }
    }

    /// Takes the records and transactions mapped since the last call (or the start), leaving
    /// the mapper ready for more; `None` when there are none. Streaming callers write each
    /// part out, so that memory does not grow with the input (rejects and counts stay until
    /// [`finish`](Mapper::finish)).
    pub fn take_part(&mut self) -> Option<Part> {
        if self.builders.first().is_none_or(|b| b.len() == 0) {
            return None;
        }
        let builders = std::mem::replace(&mut self.builders, new_builders(&self.schema));
        let txs = std::mem::replace(&mut self.txs, Transactions::new());
        let cols: Vec<ArrayRef> = builders.into_iter().map(ColBuilder::finish).collect();
        Some(Part {
            records: RecordBatch::try_new(self.schema.clone(), cols)
                .expect("source_records schema matches"),
            transactions: txs.finish(),
        })
    }

    /// The mapped records, transactions and rejects, and the counts.
    pub fn finish(self) -> Mapped {
        let cols: Vec<ArrayRef> = self.builders.into_iter().map(ColBuilder::finish).collect();
        let records =
            RecordBatch::try_new(self.schema, cols).expect("source_records schema matches");
        Mapped {
            records,
            transactions: self.txs.finish(),
            rejects: self.rejects.finish(),
            stats: self.stats,
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn push_reject(
    rejects: &mut Rejects,
    stats: &mut SourceStats,
    source: &str,
    file: &str,
    line: Option<u64>,
    raw: &str,
    field: Option<&str>,
    class: &str,
    reason: &str,
) {
    rejects.rows.push(RejectRow {
        file_seq: rejects.file_seq,
        source: source.to_string(),
        file: file.to_string(),
        line,
        raw: raw.to_string(),
        field: field.map(str::to_string),
        reason: reason.to_string(),
    });
    *stats.reject_reasons.entry(class.to_string()).or_default() += 1;
    stats.rejected += 1;
}

/// Whitespace runs to one space, ends trimmed; borrowed when already so.
fn collapse(v: &str) -> Cow<'_, str> {
    let b = v.as_bytes();
    let clean = !v.starts_with(char::is_whitespace)
        && !v.ends_with(char::is_whitespace)
        && b.windows(2).all(|w| !(w[0] == b' ' && w[1] == b' '))
        && v.chars().all(|c| c == ' ' || !c.is_whitespace());
    if clean {
        Cow::Borrowed(v)
    } else {
        Cow::Owned(v.split_whitespace().collect::<Vec<_>>().join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapse_borrows_only_clean_text() {
        for v in ["a b", "Calle Mayor 5", "", "x"] {
            assert!(matches!(collapse(v), Cow::Borrowed(_)), "{v:?}");
        }
        for v in [" a", "a ", "a  b", "a\tb", "a\u{a0}b", "a \n b", "\u{2003}"] {
            let want = v.split_whitespace().collect::<Vec<_>>().join(" ");
            assert_eq!(collapse(v), want, "{v:?}");
        }
    }
}
