//! Mapping a [`RawTable`] to canonical records, transactions and rejects.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use arrow::array::{
    Array, ArrayRef, BooleanArray, StringArray, StringBuilder, UInt64Builder, make_array,
    new_null_array,
};
use arrow::record_batch::RecordBatch;
use omni_core::fields::{CanonicalField, FieldType, TRANSACTION_FIELDS};
use omni_core::schema;
use rayon::prelude::*;
use rustc_hash::FxHashSet;

use crate::chunk::{Chunk, FieldPlan, Plan, TxPlan, TxTs};
use crate::config::{FieldExpr, FieldSpec, NamePart, SourceConfig};
use crate::normalize::{PhoneCache, PhoneNormalizer, split_full_name};
use crate::parse::Formats;
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
                for v in cols.iter().filter_map(|c| c.trimmed(i)) {
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

/// Records and transactions of a source mapped so far ([`Mapper::take_part`]), as batches in
/// row order: one per chunk of rows mapped together (joining them would copy the part).
#[derive(Debug, Default)]
pub struct Part {
    pub records: Vec<RecordBatch>,
    pub transactions: Vec<RecordBatch>,
}

impl Part {
    pub fn num_records(&self) -> usize {
        self.records.iter().map(RecordBatch::num_rows).sum()
    }

    pub fn num_transactions(&self) -> usize {
        self.transactions.iter().map(RecordBatch::num_rows).sum()
    }

    /// Bytes of Arrow arrays held.
    pub fn memory_size(&self) -> usize {
        self.records
            .iter()
            .chain(&self.transactions)
            .map(RecordBatch::get_array_memory_size)
            .sum()
    }
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

/// Rows mapped together on one worker ([`chunk`](crate::chunk)).
const CHUNK_ROWS: usize = 8192;

/// Maps a source table by table: the tables of one source's files, each possibly in several
/// chunks (consecutive [`add`](Mapper::add) calls with the same file name), in file order.
/// Only the mapped Arrow output is kept, so the raw tables can be dropped after each call.
pub struct Mapper<'a> {
    src: &'a SourceConfig,
    opts: &'a MapOptions,
    rejects: Rejects,
    stats: SourceStats,
    /// Record and transaction ids seen so far, as 128-bit hashes ([`chunk::id_key`]):
    /// memory per row is 16 bytes, not a copy of the id (a 5 GB export has tens of millions
    /// of rows).
    seen_ids: FxHashSet<u128>,
    seen_tx: FxHashSet<u128>,
    last_file: Option<String>,
    /// Normalised phones of this source (its region): one cache per worker at a time.
    phone_caches: Mutex<Vec<PhoneCache>>,
    /// Accepted records and transactions not yet taken, by chunk.
    records: Vec<RecordBatch>,
    transactions: Vec<RecordBatch>,
}

impl<'a> Mapper<'a> {
    pub fn new(src: &'a SourceConfig, opts: &'a MapOptions) -> Self {
        Mapper {
            src,
            opts,
            rejects: Rejects::new(),
            stats: SourceStats {
                source: src.name.clone(),
                ..Default::default()
            },
            seen_ids: FxHashSet::default(),
            seen_tx: FxHashSet::default(),
            last_file: None,
            phone_caches: Mutex::new(Vec::new()),
            records: Vec::new(),
            transactions: Vec::new(),
        }
    }

    /// Rows counted so far (`rows_read`).
    pub fn stats(&self) -> &SourceStats {
        &self.stats
    }

    /// The mapping resolved against one table's columns (expressions computed here).
    fn plan<'t>(&self, table: &'t RawTable) -> Plan<'a, 't> {
        let src = self.src;
        let fields = src
            .fields
            .iter()
            .filter_map(|(k, spec)| {
                let field = CanonicalField::parse(k)?;
                let formats = match field.field_type() {
                    FieldType::Timestamp => Some(Formats::timestamp(spec.formats())),
                    FieldType::Date => Some(Formats::date(spec.formats())),
                    _ => None,
                };
                Some(FieldPlan {
                    field,
                    column: field_column(spec, table),
                    formats,
                })
            })
            .collect();
        let tx = src.transaction.as_ref().map(|t| {
            let col = |k: &str| t.get(k).and_then(|spec| field_column(spec, table));
            TxPlan {
                id: col("id"),
                ts: match t.get("ts") {
                    Some(spec) => TxTs::Column(
                        field_column(spec, table),
                        Formats::timestamp(spec.formats()),
                    ),
                    None => TxTs::EventTs,
                },
                amount: col("amount"),
                currency: col("currency"),
                store: col("store"),
                original: col("original_id"),
            }
        });
        Plan {
            table,
            fields,
            tx,
            decimal_comma: src.decimal_comma,
            currency: &self.opts.currency,
        }
    }

    /// Maps one table (a file, or a chunk of one): its rows in chunks on all workers, column
    /// by column; then, in row order, what depends on earlier rows (duplicate ids) and the
    /// rejects; then each chunk's accepted rows are kept, on all workers.
    pub fn add(&mut self, file: &str, table: &RawTable) {
        if self.last_file.as_deref() != Some(file) {
            self.stats.files += 1;
            self.rejects.file_seq = self.stats.files;
            self.last_file = Some(file.to_string());
        }
        self.stats.rows_read += (table.num_rows() + table.bad_rows.len()) as u64;
        for b in &table.bad_rows {
            let class = if b.reason.starts_with("expected") {
                "wrong field count"
            } else {
                "malformed row"
            };
            push_reject(
                &mut self.rejects,
                &mut self.stats,
                &self.src.name,
                file,
                Some(b.line),
                &b.raw,
                None,
                class,
                &b.reason,
            );
        }
        let plan = self.plan(table);
        let n = table.num_rows();
        let phone = self.opts.phone;
        let caches = &self.phone_caches;
        let chunks: Vec<Chunk> = (0..n.div_ceil(CHUNK_ROWS))
            .into_par_iter()
            .map(|c| {
                let (lo, hi) = (c * CHUNK_ROWS, ((c + 1) * CHUNK_ROWS).min(n));
                let pool = || caches.lock().unwrap_or_else(|e| e.into_inner());
                let mut cache = pool().pop().unwrap_or_else(|| PhoneCache::new(phone));
                let out = plan.map(lo, hi, &mut cache);
                pool().push(cache);
                out
            })
            .collect();
        drop(plan);
        let masks: Vec<Option<BooleanArray>> =
            chunks.iter().map(|c| self.decide(file, table, c)).collect();
        let (src, file) = (self.src, file);
        let kept: Vec<(RecordBatch, Option<RecordBatch>)> = chunks
            .into_par_iter()
            .zip(masks)
            .filter(|(c, m)| m.as_ref().map_or(c.len, |m| m.true_count()) > 0)
            .map(|(c, m)| keep(src, file, c, m.as_ref()))
            .collect();
        for (records, tx) in kept {
            self.records.push(records);
            self.transactions.extend(tx);
        }
    }

    /// Accepts or rejects a chunk's rows in row order: a row without a record id, with a
    /// record id seen before in this source, with a problem, or with a transaction id seen
    /// before, is rejected, in that order of precedence. `None` when every row is accepted,
    /// otherwise which rows are.
    fn decide(&mut self, file: &str, table: &RawTable, c: &Chunk) -> Option<BooleanArray> {
        let mut keep = Vec::with_capacity(c.len);
        let mut problems = c.problems.iter().peekable();
        for r in 0..c.len {
            let problem = problems.next_if(|(pr, _)| *pr == r).map(|(_, p)| p);
            let rejected: Option<(Option<&str>, &str, Cow<'_, str>)> = match c.id_keys[r] {
                None => problem.map(|p| {
                    (
                        p.field.as_deref(),
                        p.class.as_str(),
                        p.reason.as_str().into(),
                    )
                }),
                Some(key) if self.seen_ids.contains(&key) => Some((
                    Some("record_id"),
                    "duplicate record_id",
                    format!(
                        "record_id {:?} appeared earlier in this source",
                        c.record_id.value(r)
                    )
                    .into(),
                )),
                Some(_) if problem.is_some() => problem.map(|p| {
                    (
                        p.field.as_deref(),
                        p.class.as_str(),
                        p.reason.as_str().into(),
                    )
                }),
                Some(_) => match &c.tx {
                    Some(tx) if self.seen_tx.contains(&tx.keys[r]) => Some((
                        Some("transaction.id"),
                        "duplicate transaction id",
                        format!(
                            "transaction id {:?} appeared earlier in this source",
                            tx.id.value(r)
                        )
                        .into(),
                    )),
                    _ => None,
                },
            };
            match (rejected, c.id_keys[r]) {
                (None, Some(key)) => {
                    self.seen_ids.insert(key);
                    self.stats.accepted += 1;
                    if let Some(tx) = &c.tx {
                        self.seen_tx.insert(tx.keys[r]);
                        self.stats.transactions += 1;
                    }
                    keep.push(true);
                }
                (rejected, _) => {
                    // A row without an id always has its problem noted; the fallback only
                    // keeps the counts right if that ever changed.
                    let (field, class, reason) = rejected.unwrap_or((
                        Some("record_id"),
                        "missing record_id",
                        "record_id is empty: every record needs an id".into(),
                    ));
                    let i = c.lo + r;
                    push_reject(
                        &mut self.rejects,
                        &mut self.stats,
                        &self.src.name,
                        file,
                        Some(table.lines[i]),
                        &table.raw(i),
                        field,
                        class,
                        &reason,
                    );
                    keep.push(false);
                }
            }
        }
        (!keep.iter().all(|&k| k)).then(|| BooleanArray::from(keep))
    }

    /// Takes the records and transactions mapped since the last call (or the start), leaving
    /// the mapper ready for more; `None` when there are none. Streaming callers write each
    /// part out, so that memory does not grow with the input (rejects and counts stay until
    /// [`finish`](Mapper::finish)).
    pub fn take_part(&mut self) -> Option<Part> {
        if self.records.is_empty() {
            return None;
        }
        Some(Part {
            records: std::mem::take(&mut self.records),
            transactions: std::mem::take(&mut self.transactions),
        })
    }

    /// The mapped records, transactions and rejects, and the counts.
    pub fn finish(self) -> Mapped {
        Mapped {
            records: concat(schema::source_records(), self.records),
            transactions: concat(schema::transactions(), self.transactions),
            rejects: self.rejects.finish(),
            stats: self.stats,
        }
    }
}

/// The batches as one.
fn concat(schema: arrow::datatypes::SchemaRef, batches: Vec<RecordBatch>) -> RecordBatch {
    arrow::compute::concat_batches(&schema, &batches).expect("batches of one schema")
}

/// A chunk's accepted rows (`mask`; all when `None`) as `source_records` and `transactions`
/// batches, with the constant columns (source, channel, file) added.
fn keep(
    src: &SourceConfig,
    file: &str,
    c: Chunk,
    mask: Option<&BooleanArray>,
) -> (RecordBatch, Option<RecordBatch>) {
    let filter = |a: &dyn Array| -> ArrayRef {
        match mask {
            Some(m) => arrow::compute::filter(a, m).expect("a mask as long as the chunk"),
            None => make_array(a.to_data()),
        }
    };
    let rows = mask.map_or(c.len, BooleanArray::true_count);
    let constant = |v: &str| -> ArrayRef { Arc::new(StringArray::new_repeated(v, rows)) };
    let schema = schema::source_records();
    let record_id = filter(&c.record_id);
    let cols: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match f.name().as_str() {
            "source" => constant(&src.name),
            "channel" => constant(&src.channel),
            "file" => constant(file),
            "record_id" => record_id.clone(),
            name => match c.columns.iter().find(|(n, _)| *n == name) {
                Some((_, a)) => filter(a.as_ref()),
                None => new_null_array(f.data_type(), rows),
            },
        })
        .collect();
    let records = RecordBatch::try_new(schema, cols).expect("source_records schema matches");
    let tx = c.tx.map(|t| {
        let cols: Vec<ArrayRef> = vec![
            constant(&src.name),
            filter(&t.id),
            record_id.clone(),
            constant(&src.channel),
            filter(&t.ts),
            filter(t.amount.as_ref()),
            filter(&t.currency),
            filter(&t.store),
            filter(&t.kind),
            filter(&t.original),
        ];
        RecordBatch::try_new(schema::transactions(), cols).expect("transactions schema matches")
    });
    (records, tx)
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
