//! Mapping a chunk of a table's rows column by column: each mapped field is parsed and
//! normalised straight into the Arrow array of its output column (no value per cell held
//! for later), and the first problem of each row is noted beside the arrays. What depends on
//! earlier rows (duplicate ids) is decided afterwards, in row order, by
//! [`crate::mapping::Mapper`], which then keeps the accepted rows of each chunk.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, StringArray, StringBuilder,
    TimestampMicrosecondArray, TimestampMicrosecondBuilder, UInt64Array,
};
use omni_core::fields::{CanonicalField, FieldType};
use omni_core::schema::{AMOUNT_PRECISION, AMOUNT_SCALE};

use crate::normalize::{
    PhoneCache,
    name::{fold_name_into, split_full_name_ref},
    normalize_email_into, normalize_id, normalize_postcode, pad_spanish_postcode,
};
use crate::parse::{Formats, ParseState, parse_amount, parse_bool};
use crate::read::{RawTable, TextColumn};

/// A mapped field: where its text comes from in this table (`None` when the file lacks a
/// column it reads) and, for timestamps and dates, its compiled formats.
pub(crate) struct FieldPlan<'t> {
    pub field: CanonicalField,
    pub column: Option<Cow<'t, TextColumn>>,
    pub formats: Option<Formats>,
}

/// Where a transaction's time comes from.
pub(crate) enum TxTs<'t> {
    /// `transaction.ts` is mapped: that column (if the file has it), in its formats.
    Column(Option<Cow<'t, TextColumn>>, Formats),
    /// Not mapped: the record's `event_ts`.
    EventTs,
}

/// The transaction mapping against this table.
pub(crate) struct TxPlan<'t> {
    pub id: Option<Cow<'t, TextColumn>>,
    pub ts: TxTs<'t>,
    pub amount: Option<Cow<'t, TextColumn>>,
    pub currency: Option<Cow<'t, TextColumn>>,
    pub store: Option<Cow<'t, TextColumn>>,
    pub original: Option<Cow<'t, TextColumn>>,
}

/// The mapping of one source resolved against one table's columns.
pub(crate) struct Plan<'a, 't> {
    pub table: &'t RawTable,
    pub fields: Vec<FieldPlan<'t>>,
    pub tx: Option<TxPlan<'t>>,
    pub decimal_comma: bool,
    /// Currency of transactions that do not state one.
    pub currency: &'a str,
}

/// Why a row is rejected.
pub(crate) struct Problem {
    pub field: Option<String>,
    pub class: String,
    pub reason: String,
}

/// A chunk's transactions, one per row (rows with a problem included, with placeholder
/// values).
pub(crate) struct TxChunk {
    pub id: StringArray,
    pub ts: TimestampMicrosecondArray,
    pub amount: ArrayRef,
    pub currency: StringArray,
    pub store: StringArray,
    pub kind: StringArray,
    pub original: StringArray,
    /// Hash of each transaction id, for the duplicate check ([`id_key`]).
    pub keys: Vec<u128>,
}

/// Rows `lo..lo + len` of a table, mapped.
pub(crate) struct Chunk {
    pub lo: usize,
    pub len: usize,
    /// Every `source_records` column the mapping gives, by name, one value per row; the
    /// columns not here are null, and the constant ones (source, channel, file) are added
    /// when the chunk's accepted rows are kept.
    pub columns: Vec<(&'static str, ArrayRef)>,
    pub record_id: StringArray,
    /// Hash of each row's record id ([`id_key`]); `None` when the row has none.
    pub id_keys: Vec<Option<u128>>,
    pub tx: Option<TxChunk>,
    /// The first problem of each row that has one, by row offset, in row order.
    pub problems: Vec<(usize, Problem)>,
}

/// Ids are compared as xxh3 128-bit hashes: two distinct ids collide with probability about
/// n²/2¹²⁹ (for a billion ids, 10⁻²¹).
pub(crate) fn id_key(id: &str) -> u128 {
    xxhash_rust::xxh3::xxh3_128(id.as_bytes())
}

/// The first problem of each row: later ones are not noted.
struct Problems {
    bad: Vec<bool>,
    list: Vec<(usize, Problem)>,
}

impl Problems {
    fn note(&mut self, r: usize, p: impl FnOnce() -> Problem) {
        if !self.bad[r] {
            self.bad[r] = true;
            self.list.push((r, p()));
        }
    }

    fn field(&mut self, r: usize, name: &str, reason: String) {
        self.note(r, || Problem {
            field: Some(name.to_string()),
            class: name.to_string(),
            reason: format!("{name}: {reason}"),
        });
    }
}

/// Parses a typed field's cells of `rows` with `parse` and hands each value to `append`
/// (`None` for a blank cell, and for one `parse` refuses, whose reason becomes the row's
/// problem unless it has one already).
fn typed<V>(
    p: &FieldPlan<'_>,
    rows: std::ops::Range<usize>,
    problems: &mut Problems,
    mut parse: impl FnMut(&str) -> Result<V, String>,
    mut append: impl FnMut(Option<V>),
) {
    let name = p.field.name();
    for (r, i) in rows.enumerate() {
        let v = match cell(&p.column, i).map(&mut parse) {
            Some(Ok(v)) => Some(v),
            Some(Err(reason)) => {
                problems.field(r, name, reason);
                None
            }
            None => None,
        };
        append(v);
    }
}

/// The trimmed text of row `i`, `None` when the column is missing or the cell blank.
fn cell<'c>(col: &'c Option<Cow<'_, TextColumn>>, i: usize) -> Option<&'c str> {
    col.as_deref().and_then(|c| c.trimmed(i))
}

/// [`cell`] of a column that may not be mapped at all.
fn text<'c>(col: Option<&'c Option<Cow<'_, TextColumn>>>, i: usize) -> Option<&'c str> {
    col.and_then(|c| cell(c, i))
}

fn finish_text(mut b: StringBuilder) -> ArrayRef {
    Arc::new(b.finish())
}

impl Plan<'_, '_> {
    fn field(&self, f: CanonicalField) -> Option<&FieldPlan<'_>> {
        self.fields.iter().find(|p| p.field == f)
    }

    /// Maps rows `lo..hi`. `phones` normalises phones (a cache of this source's region).
    pub(crate) fn map(&self, lo: usize, hi: usize, phones: &mut PhoneCache) -> Chunk {
        let n = hi - lo;
        let rows = lo..hi;
        let mut problems = Problems {
            bad: vec![false; n],
            list: Vec::new(),
        };
        let mut columns: Vec<(&'static str, ArrayRef)> = Vec::new();

        // record_id: kept as read (trimmed); a row without one is rejected.
        let id_col = self.field(CanonicalField::RecordId).map(|p| &p.column);
        let mut record_id = StringBuilder::with_capacity(n, n * 12);
        let mut id_keys = Vec::with_capacity(n);
        for (r, i) in rows.clone().enumerate() {
            match id_col.and_then(|c| cell(c, i)) {
                Some(id) => {
                    record_id.append_value(id);
                    id_keys.push(Some(id_key(id)));
                }
                None => {
                    record_id.append_null();
                    id_keys.push(None);
                    problems.note(r, || Problem {
                        field: Some("record_id".to_string()),
                        class: "missing record_id".to_string(),
                        reason: "record_id is empty: every record needs an id".to_string(),
                    });
                }
            }
        }
        let record_id = record_id.finish();
        columns.push(("record_id", Arc::new(record_id.clone())));
        columns.push((
            "line",
            Arc::new(UInt64Array::from(self.table.lines[lo..hi].to_vec())),
        ));

        // Typed fields first, in the mapping's order: their parse errors reject the row, and
        // the first one is the reason given.
        let mut event_ts: Option<TimestampMicrosecondArray> = None;
        for p in &self.fields {
            let name = p.field.name();
            match (p.field.field_type(), &p.formats) {
                (FieldType::Timestamp, Some(fm)) => {
                    let mut b = TimestampMicrosecondBuilder::with_capacity(n);
                    let mut state = ParseState::default();
                    typed(
                        p,
                        rows.clone(),
                        &mut problems,
                        |v| fm.parse_timestamp(v, &mut state),
                        |t| b.append_option(t),
                    );
                    let a = b.finish().with_timezone("UTC");
                    if p.field == CanonicalField::EventTs {
                        event_ts = Some(a.clone());
                    }
                    columns.push((name, Arc::new(a)));
                }
                (FieldType::Date, Some(fm)) => {
                    let mut b = Date32Builder::with_capacity(n);
                    let mut state = ParseState::default();
                    typed(
                        p,
                        rows.clone(),
                        &mut problems,
                        |v| fm.parse_date(v, &mut state),
                        |d| b.append_option(d),
                    );
                    columns.push((name, Arc::new(b.finish())));
                }
                (FieldType::Bool, _) => {
                    let mut b = BooleanBuilder::with_capacity(n);
                    typed(p, rows.clone(), &mut problems, parse_bool, |x| {
                        b.append_option(x)
                    });
                    columns.push((name, Arc::new(b.finish())));
                }
                _ => {}
            }
        }

        // Text fields.
        let country = self.field(CanonicalField::Country).map(|p| &p.column);
        for p in &self.fields {
            let name = p.field.name();
            let col = &p.column;
            match p.field {
                CanonicalField::Email => {
                    let mut raw = StringBuilder::with_capacity(n, n * 24);
                    let mut address = StringBuilder::with_capacity(n, n * 24);
                    let mut key = StringBuilder::with_capacity(n, n * 24);
                    let (mut a, mut k) = (String::new(), String::new());
                    for i in rows.clone() {
                        let v = cell(col, i);
                        raw.append_option(v);
                        if v.is_some_and(|v| normalize_email_into(v, &mut a, &mut k)) {
                            address.append_value(&a);
                            key.append_value(&k);
                        } else {
                            address.append_null();
                            key.append_null();
                        }
                    }
                    columns.push(("email_raw", finish_text(raw)));
                    columns.push(("email", finish_text(address)));
                    columns.push(("email_match", finish_text(key)));
                }
                CanonicalField::Phone => {
                    let mut raw = StringBuilder::with_capacity(n, n * 14);
                    let mut e164 = StringBuilder::with_capacity(n, n * 13);
                    for i in rows.clone() {
                        let v = cell(col, i);
                        raw.append_option(v);
                        e164.append_option(v.and_then(|v| phones.normalize_ref(v)));
                    }
                    columns.push(("phone_raw", finish_text(raw)));
                    columns.push(("phone", finish_text(e164)));
                }
                CanonicalField::LoyaltyCard
                | CanonicalField::AccountId
                | CanonicalField::DeviceId
                | CanonicalField::NationalId => {
                    let mut b = StringBuilder::with_capacity(n, n * 12);
                    for i in rows.clone() {
                        b.append_option(cell(col, i).and_then(normalize_id));
                    }
                    columns.push((name, finish_text(b)));
                }
                CanonicalField::Postcode => {
                    let mut b = StringBuilder::with_capacity(n, n * 6);
                    for i in rows.clone() {
                        let Some(pc) = cell(col, i).and_then(normalize_postcode) else {
                            b.append_null();
                            continue;
                        };
                        // A Spanish postcode a spreadsheet turned into a number lost its
                        // leading zero.
                        match pad_spanish_postcode(&pc) {
                            Some(padded)
                                if country
                                    .and_then(|c| cell(c, i))
                                    .is_some_and(|c| upper(c) == "ES") =>
                            {
                                b.append_value(padded)
                            }
                            _ => b.append_value(pc),
                        }
                    }
                    columns.push((name, finish_text(b)));
                }
                CanonicalField::Country => {
                    let mut b = StringBuilder::with_capacity(n, n * 2);
                    for i in rows.clone() {
                        b.append_option(cell(col, i).map(upper));
                    }
                    columns.push((name, finish_text(b)));
                }
                CanonicalField::FirstName | CanonicalField::LastName | CanonicalField::FullName => {
                    // Below, together.
                }
                f if f.field_type() == FieldType::Text && f != CanonicalField::RecordId => {
                    let mut b = StringBuilder::with_capacity(n, n * 16);
                    for i in rows.clone() {
                        b.append_option(cell(col, i).map(collapse));
                    }
                    columns.push((name, finish_text(b)));
                }
                _ => {}
            }
        }
        self.names(lo, hi, &mut columns);

        let tx = self
            .tx
            .as_ref()
            .map(|t| self.transactions(t, lo, hi, &record_id, event_ts.as_ref(), &mut problems));

        let mut list = problems.list;
        list.sort_by_key(|(r, _)| *r);
        Chunk {
            lo,
            len: n,
            columns,
            record_id,
            id_keys,
            tx,
            problems: list,
        }
    }

    /// first_name, last_name, their folded forms and full_name: a full name is split when a
    /// first or last name is not mapped or empty, and made from the two when not mapped.
    fn names(&self, lo: usize, hi: usize, columns: &mut Vec<(&'static str, ArrayRef)>) {
        let col = |f| self.field(f).map(|p| &p.column);
        let (first_col, last_col, full_col) = (
            col(CanonicalField::FirstName),
            col(CanonicalField::LastName),
            col(CanonicalField::FullName),
        );
        if first_col.is_none() && last_col.is_none() && full_col.is_none() {
            return;
        }
        let n = hi - lo;
        let mut first_b = StringBuilder::with_capacity(n, n * 8);
        let mut first_norm = StringBuilder::with_capacity(n, n * 8);
        let mut last_b = StringBuilder::with_capacity(n, n * 12);
        let mut last_norm = StringBuilder::with_capacity(n, n * 12);
        let mut full_b = StringBuilder::with_capacity(n, n * 20);
        let mut folded = String::new();
        let mut joined = String::new();
        for i in lo..hi {
            let full = text(full_col, i).map(collapse);
            let mut first = text(first_col, i).map(collapse);
            let mut last = text(last_col, i).map(collapse);
            if let Some(f) = &full
                && (first.is_none() || last.is_none())
            {
                let (split_first, split_last) = split_full_name_ref(f);
                first = first.or(split_first);
                last = last.or(split_last);
            }
            for (v, b, norm) in [
                (&first, &mut first_b, &mut first_norm),
                (&last, &mut last_b, &mut last_norm),
            ] {
                b.append_option(v.as_deref());
                match v {
                    Some(s) => {
                        fold_name_into(s, &mut folded);
                        if folded.is_empty() {
                            norm.append_null();
                        } else {
                            norm.append_value(&folded);
                        }
                    }
                    None => norm.append_null(),
                }
            }
            match (&full, &first, &last) {
                (Some(f), ..) => full_b.append_value(f),
                (None, Some(a), Some(b)) => {
                    joined.clear();
                    joined.push_str(a);
                    joined.push(' ');
                    joined.push_str(b);
                    full_b.append_value(&joined);
                }
                _ => full_b.append_null(),
            }
        }
        columns.push(("first_name", finish_text(first_b)));
        columns.push(("first_name_norm", finish_text(first_norm)));
        columns.push(("last_name", finish_text(last_b)));
        columns.push(("last_name_norm", finish_text(last_norm)));
        columns.push(("full_name", finish_text(full_b)));
    }

    fn transactions(
        &self,
        t: &TxPlan<'_>,
        lo: usize,
        hi: usize,
        record_id: &StringArray,
        event_ts: Option<&TimestampMicrosecondArray>,
        problems: &mut Problems,
    ) -> TxChunk {
        let n = hi - lo;
        let mut id = StringBuilder::with_capacity(n, n * 12);
        let mut ts = TimestampMicrosecondBuilder::with_capacity(n);
        let mut amount = Decimal128Builder::with_capacity(n);
        let mut currency = StringBuilder::with_capacity(n, n * 3);
        let mut store = StringBuilder::with_capacity(n, n * 8);
        let mut kind = StringBuilder::with_capacity(n, n * 8);
        let mut original = StringBuilder::with_capacity(n, n);
        let mut keys = Vec::with_capacity(n);
        let mut state = ParseState::default();
        for (r, i) in (lo..hi).enumerate() {
            let tx_id = cell(&t.id, i)
                .or_else(|| record_id.is_valid(r).then(|| record_id.value(r)))
                .unwrap_or("");
            id.append_value(tx_id);
            keys.push(id_key(tx_id));
            let time = match &t.ts {
                TxTs::Column(col, fm) => {
                    match cell(col, i).map(|v| fm.parse_timestamp(v, &mut state)) {
                        Some(Ok(x)) => Some(x),
                        Some(Err(reason)) => {
                            problems.field(r, "transaction.ts", reason);
                            None
                        }
                        None => None,
                    }
                }
                TxTs::EventTs => event_ts.and_then(|a| a.is_valid(r).then(|| a.value(r))),
            };
            ts.append_option(time);
            let cents = match cell(&t.amount, i).map(|v| parse_amount(v, self.decimal_comma)) {
                Some(Ok(c)) => c,
                Some(Err(reason)) => {
                    problems.field(r, "transaction.amount", reason);
                    0
                }
                None => {
                    problems.note(r, || Problem {
                        field: Some("transaction.amount".to_string()),
                        class: "transaction.amount".to_string(),
                        reason: "transaction.amount is empty: a transaction needs an amount"
                            .to_string(),
                    });
                    0
                }
            };
            amount.append_value(cents);
            kind.append_value(if cents < 0 { "return" } else { "purchase" });
            match cell(&t.currency, i) {
                Some(c) => currency.append_value(upper(c)),
                None => currency.append_value(self.currency),
            }
            store.append_option(cell(&t.store, i));
            original.append_option(cell(&t.original, i));
        }
        TxChunk {
            id: id.finish(),
            ts: ts.finish().with_timezone("UTC"),
            amount: Arc::new(
                amount
                    .finish()
                    .with_precision_and_scale(AMOUNT_PRECISION, AMOUNT_SCALE)
                    .expect("valid decimal type"),
            ),
            currency: currency.finish(),
            store: store.finish(),
            kind: kind.finish(),
            original: original.finish(),
            keys,
        }
    }
}

/// Uppercase; borrowed when already so.
fn upper(v: &str) -> Cow<'_, str> {
    if v.bytes().all(|b| b.is_ascii() && !b.is_ascii_lowercase()) {
        Cow::Borrowed(v)
    } else {
        Cow::Owned(v.to_uppercase())
    }
}

/// Whitespace runs to one space, ends trimmed; borrowed when already so.
pub(crate) fn collapse(v: &str) -> Cow<'_, str> {
    // One pass over the bytes: clean text has no space at either end or after another, no
    // other ASCII whitespace, and no non-ASCII whitespace character. Of those, U+0085 and
    // U+00A0 are 0xC2 0x85 and 0xC2 0xA0 (other 0xC2 pairs, such as `º` in Spanish
    // addresses, are not whitespace); U+1680 and U+2000–U+3000 begin with 0xE1, 0xE2 or
    // 0xE3, and text with those is checked character by character.
    // Each byte's class: 0 other, 1 space, 2 other ASCII whitespace, 3 0xC2, 4 0xE1–0xE3
    // (one load and one test for the usual byte).
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        t[b' ' as usize] = 1;
        let mut c = 0x09;
        while c <= 0x0d {
            t[c] = 2;
            c += 1;
        }
        t[0xc2] = 3;
        t[0xe1] = 4;
        t[0xe2] = 4;
        t[0xe3] = 4;
        t
    };
    let b = v.as_bytes();
    let mut after_space = true;
    // Eight bytes at a time while they are printable ASCII: only spaces matter there, and a
    // word's spaces are found at once (the high bit of each byte that is a space).
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut start = 0;
    while let Some(word) = b.get(start..start + 8) {
        let w = u64::from_le_bytes(word.try_into().expect("eight bytes"));
        // A byte below 0x20 (the ASCII whitespace among them) or above 0x7F: byte by byte.
        if (w | (w.wrapping_sub(ONES * 0x20) & !w)) & HIGH != 0 {
            break;
        }
        let t = w ^ (ONES * 0x20);
        let spaces = !(((t & !HIGH) + !HIGH) | t) & HIGH;
        if (after_space && spaces & 0x80 != 0) || spaces & (spaces << 8) != 0 {
            return collapsed(v);
        }
        after_space = spaces >> 63 != 0;
        start += 8;
    }
    for (i, &c) in b.iter().enumerate().skip(start) {
        match CLASS[c as usize] {
            0 => after_space = false,
            1 if after_space => return collapsed(v),
            1 => after_space = true,
            2 => return collapsed(v),
            3 if matches!(b.get(i + 1), Some(0x85 | 0xa0)) => return collapse_chars(v),
            3 => after_space = false,
            _ => return collapse_chars(v),
        }
    }
    if after_space && !v.is_empty() {
        return collapsed(v);
    }
    Cow::Borrowed(v)
}

/// [`collapse`] by its definition, character by character.
fn collapse_chars(v: &str) -> Cow<'_, str> {
    let b = v.as_bytes();
    let clean = !v.starts_with(char::is_whitespace)
        && !v.ends_with(char::is_whitespace)
        && b.windows(2).all(|w| !(w[0] == b' ' && w[1] == b' '))
        && v.chars().all(|c| c == ' ' || !c.is_whitespace());
    if clean {
        Cow::Borrowed(v)
    } else {
        collapsed(v)
    }
}

fn collapsed(v: &str) -> Cow<'_, str> {
    Cow::Owned(v.split_whitespace().collect::<Vec<_>>().join(" "))
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

    /// The byte scan borrows and collapses exactly as the character-by-character definition,
    /// on 100,000 random strings of letters, accents, ASCII and Unicode spaces.
    #[test]
    fn collapse_agrees_with_its_definition() {
        let pool = [
            "a", "Z", "é", "ñ", "Ä", " ", "  ", "\t", "\n", "\r", "\u{b}", "\u{c}", "\u{85}",
            "\u{a0}", "\u{1680}", "\u{2003}", "\u{2028}", "\u{202f}", "\u{205f}", "\u{3000}",
            "\u{2010}", "\u{e000}", "\u{1c}", "ア", "-", "5", "º", "ª", "\u{a1}", "\u{ad}", "·",
        ];
        let mut x: u64 = 0x1234_5678_9abc_def1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..100_000 {
            let mut v = String::new();
            // Mostly letters and single spaces (whole eight-byte words of plain text), the
            // rest from the whole pool.
            let plain = round % 2 == 0;
            for _ in 0..(next() % 40) {
                let r = next();
                let piece = if plain && r % 8 != 0 {
                    ["a", "b", " ", "5", "-"][(r >> 8) as usize % 5]
                } else {
                    pool[((r >> 8) % pool.len() as u64) as usize]
                };
                v.push_str(piece);
            }
            let (fast, reference) = (collapse(&v), collapse_chars(&v));
            assert_eq!(fast, reference, "{v:?}");
            assert_eq!(
                matches!(fast, Cow::Borrowed(_)),
                matches!(reference, Cow::Borrowed(_)),
                "{v:?}"
            );
        }
    }
}
