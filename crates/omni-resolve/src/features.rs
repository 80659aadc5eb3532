//! The fields the probabilistic tier and the guards read, extracted once from
//! `source_records` into interned columns: every distinct value is stored once and records
//! hold `u32` ids, so equality is an integer comparison, term frequencies are counts, and
//! blocking keys are integers.

use std::collections::HashMap;

use arrow::array::{Array, Date32Array, StringArray};
use arrow::record_batch::RecordBatch;
use omni_core::schema::col;
use omni_normalize::name::fold_name;

use crate::error::{Error, Result};

/// No value.
pub const NONE: u32 = u32::MAX;
/// No birth date.
pub const NO_DATE: i32 = i32::MIN;

/// One interned text column.
#[derive(Debug, Default)]
pub struct Interned {
    /// Value id of each record (`NONE` when missing).
    pub ids: Vec<u32>,
    /// Distinct values, by id.
    pub values: Vec<String>,
    /// Records holding each value.
    pub counts: Vec<u32>,
    /// Records with a value.
    pub present: u32,
}

impl Interned {
    pub(crate) fn build<'a>(
        n: usize,
        value_of: impl Fn(usize) -> Option<std::borrow::Cow<'a, str>>,
    ) -> Self {
        let mut index: HashMap<String, u32> = HashMap::new();
        let mut out = Interned {
            ids: Vec::with_capacity(n),
            ..Default::default()
        };
        for p in 0..n {
            match value_of(p) {
                Some(v) if !v.is_empty() => {
                    let id = match index.get(v.as_ref()) {
                        Some(&id) => id,
                        None => {
                            let id = out.values.len() as u32;
                            index.insert(v.to_string(), id);
                            out.values.push(v.into_owned());
                            out.counts.push(0);
                            id
                        }
                    };
                    out.counts[id as usize] += 1;
                    out.present += 1;
                    out.ids.push(id);
                }
                _ => out.ids.push(NONE),
            }
        }
        out
    }

    /// Forgets the values `drop(value, records holding it)` selects (blocked or generic
    /// identifiers must not count as evidence either).
    pub fn drop_values(&mut self, drop: impl Fn(&str, u32) -> bool) {
        let gone: Vec<bool> = self
            .values
            .iter()
            .zip(&self.counts)
            .map(|(v, &c)| drop(v, c))
            .collect();
        for id in self.ids.iter_mut() {
            if *id != NONE && gone[*id as usize] {
                self.present -= 1;
                *id = NONE;
            }
        }
    }

    #[inline]
    pub fn get(&self, p: usize) -> Option<&str> {
        let id = self.ids[p];
        (id != NONE).then(|| self.values[id as usize].as_str())
    }

    /// Share of records with a value that hold the value of record `p` (its term frequency).
    pub fn tf(&self, p: usize) -> f64 {
        let id = self.ids[p];
        if id == NONE || self.present == 0 {
            return 0.0;
        }
        self.counts[id as usize] as f64 / self.present as f64
    }
}

/// Interned fields of every record, indexed by canonical position.
#[derive(Debug, Default)]
pub struct Features {
    pub n: usize,
    pub first: Interned,
    /// Formal first name (nickname table applied), interned separately.
    pub first_canon: Interned,
    pub last: Interned,
    /// Days since the epoch, or `NO_DATE`.
    pub dob: Vec<i32>,
    pub postcode: Interned,
    pub address: Interned,
    pub city: Interned,
    pub email: Interned,
    pub phone: Interned,
    pub national_id: Interned,
    pub loyalty_card: Interned,
    /// Postcodes are compared, so cities count only where a postcode is missing.
    pub place_by_postcode: bool,
}

fn text(batch: &RecordBatch, name: &str) -> Result<StringArray> {
    let a = batch
        .column_by_name(name)
        .ok_or_else(|| Error::MissingColumn(name.to_string()))?;
    Ok(omni_core::text::as_utf8(a)?)
}

/// Postcodes compare without the leading zeros spreadsheets drop ("08016" = "8016").
pub fn postcode_key(p: &str) -> std::borrow::Cow<'_, str> {
    if p.bytes().all(|c| c.is_ascii_digit()) {
        let t = p.trim_start_matches('0');
        std::borrow::Cow::Borrowed(if t.is_empty() { p } else { t })
    } else {
        std::borrow::Cow::Borrowed(p)
    }
}

impl Features {
    /// Reads the fields of `records` in the order `order` (position → row).
    pub fn extract(records: &RecordBatch, order: &[usize]) -> Result<Features> {
        let n = order.len();
        let first = text(records, col::FIRST_NAME_NORM)?;
        let last = text(records, col::LAST_NAME_NORM)?;
        let postcode = text(records, "postcode")?;
        let address = text(records, "address")?;
        let city = text(records, "city")?;
        let email = text(records, col::EMAIL_MATCH)?;
        let phone = text(records, "phone")?;
        let nid = text(records, "national_id")?;
        let card = text(records, "loyalty_card")?;
        let dob = records
            .column_by_name("birth_date")
            .ok_or_else(|| Error::MissingColumn("birth_date".into()))?;
        let dob = dob
            .as_any()
            .downcast_ref::<Date32Array>()
            .ok_or_else(|| Error::MissingColumn("birth_date (date32)".into()))?;
        fn cell<'x>(a: &'x StringArray, r: usize) -> Option<std::borrow::Cow<'x, str>> {
            a.is_valid(r)
                .then(|| std::borrow::Cow::Borrowed(a.value(r)))
        }
        let raw = |a: &'_ StringArray, p: usize| cell(a, order[p]).map(|c| c.into_owned().into());
        let folded = |a: &StringArray, p: usize| {
            let r = order[p];
            if a.is_valid(r) {
                fold_name(a.value(r)).map(std::borrow::Cow::Owned)
            } else {
                None
            }
        };
        let first_i = Interned::build(n, |p| raw(&first, p));
        let first_canon = Interned::build(n, |p| {
            raw(&first, p).map(|f| std::borrow::Cow::Owned(canonical_first(&f).into_owned()))
        });
        Ok(Features {
            n,
            first: first_i,
            first_canon,
            last: Interned::build(n, |p| raw(&last, p)),
            dob: order
                .iter()
                .map(|&r| {
                    if dob.is_valid(r) {
                        dob.value(r)
                    } else {
                        NO_DATE
                    }
                })
                .collect(),
            postcode: Interned::build(n, |p| {
                raw(&postcode, p).map(|c| std::borrow::Cow::Owned(postcode_key(&c).into_owned()))
            }),
            address: Interned::build(n, |p| {
                raw(&address, p)
                    .and_then(|a| omni_normalize::normalize_address(&a))
                    .map(std::borrow::Cow::Owned)
            }),
            city: Interned::build(n, |p| folded(&city, p)),
            email: Interned::build(n, |p| raw(&email, p)),
            phone: Interned::build(n, |p| raw(&phone, p)),
            national_id: Interned::build(n, |p| raw(&nid, p)),
            loyalty_card: Interned::build(n, |p| raw(&card, p)),
            place_by_postcode: false,
        })
    }
}

/// The formal first name of a (folded) first name, through omni-normalize's nickname table
/// (`pepe` → `jose`).
pub fn canonical_first(first: &str) -> std::borrow::Cow<'_, str> {
    omni_normalize::name::canonical_first(first)
}
