//! The fields the probabilistic tier and the guards read, extracted once from
//! `source_records` into interned columns: every distinct value is stored once and records
//! hold `u32` ids, so equality is an integer comparison, term frequencies are counts, and
//! blocking keys are integers.

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use arrow::array::{Array, Date32Array, StringArray};
use arrow::record_batch::RecordBatch;
use omni_core::schema::col;
use omni_normalize::name::fold_name;

use crate::error::{Error, Result};

/// No value.
pub const NONE: u32 = u32::MAX;
/// No birth date.
pub const NO_DATE: i32 = i32::MIN;

/// A normaliser of raw values (`None`: the value normalises to nothing).
pub(crate) type Normalizer<'f> = &'f (dyn Fn(&str) -> Option<String> + Sync);

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

    /// Interns `raw(p)` for every record, normalised by `norm` (`None`: kept as is). Each
    /// distinct raw value is normalised once; no allocation per record.
    pub(crate) fn from_strs<'a>(
        n: usize,
        raw: impl Fn(usize) -> Option<&'a str>,
        norm: Option<Normalizer<'_>>,
    ) -> Self {
        let mut by_raw: FxHashMap<&'a str, u32> = FxHashMap::default();
        let mut by_value: FxHashMap<String, u32> = FxHashMap::default();
        let mut out = Interned {
            ids: Vec::with_capacity(n),
            ..Default::default()
        };
        for p in 0..n {
            let id = match raw(p) {
                None => NONE,
                Some(r) => match by_raw.get(r) {
                    Some(&id) => id,
                    None => {
                        let v = match norm {
                            Some(f) => f(r),
                            None => Some(r.to_string()),
                        };
                        let id = match v {
                            Some(v) if !v.is_empty() => match by_value.get(&v) {
                                Some(&id) => id,
                                None => {
                                    let id = out.values.len() as u32;
                                    by_value.insert(v.clone(), id);
                                    out.values.push(v);
                                    out.counts.push(0);
                                    id
                                }
                            },
                            _ => NONE,
                        };
                        by_raw.insert(r, id);
                        id
                    }
                },
            };
            if id != NONE {
                out.counts[id as usize] += 1;
                out.present += 1;
            }
            out.ids.push(id);
        }
        out
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
    /// The words of each surname value without particles, by value id.
    pub last_words: crate::compare::Words,
    /// Days since the epoch, or `NO_DATE`.
    pub dob: Vec<i32>,
    pub postcode: Interned,
    pub address: Interned,
    /// The words of each address value, by value id.
    pub address_words: crate::compare::Words,
    pub city: Interned,
    /// Town of the record's landline (`omni_normalize::landline_area`, folded), when its
    /// phone is a geographic landline the reference table knows.
    pub phone_area: Interned,
    pub email: Interned,
    /// [`crate::compare::email_summary`] of each e-mail value, by value id.
    pub email_summary: Vec<u64>,
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
        fn at(a: &StringArray, r: usize) -> Option<&str> {
            a.is_valid(r).then(|| a.value(r))
        }
        let cell = |a, p: usize| at(a, order[p]);
        let fold: Normalizer = &fold_name;
        let canon: Normalizer = &|f: &str| Some(canonical_first(f).into_owned());
        let pc: Normalizer = &|c: &str| Some(postcode_key(c).into_owned());
        let addr: Normalizer = &omni_normalize::normalize_address;
        let area: Normalizer = &|p: &str| omni_normalize::landline_area(p).map(str::to_string);
        // The columns are interned in parallel, one task each (the address normaliser is the
        // longest).
        let specs: Vec<(&StringArray, Option<Normalizer>)> = vec![
            (&first, None),
            (&first, Some(canon)),
            (&last, None),
            (&postcode, Some(pc)),
            (&address, Some(addr)),
            (&city, Some(fold)),
            (&phone, Some(area)),
            (&email, None),
            (&phone, None),
            (&nid, None),
            (&card, None),
        ];
        let interned: Vec<Interned> = specs
            .into_par_iter()
            .with_max_len(1)
            .map(|(a, norm)| Interned::from_strs(n, |p| cell(a, p), norm))
            .collect();
        // Fields in the order of `specs` (a struct literal evaluates its fields in order).
        let mut columns = interned.into_iter();
        let mut next = || columns.next().expect("one interned column per spec");
        let mut f = Features {
            n,
            first: next(),
            first_canon: next(),
            last: next(),
            postcode: next(),
            address: next(),
            city: next(),
            phone_area: next(),
            email: next(),
            email_summary: Vec::new(),
            address_words: Default::default(),
            last_words: Default::default(),
            phone: next(),
            national_id: next(),
            loyalty_card: next(),
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
            place_by_postcode: false,
        };
        let (email_summary, (address_words, last_words)) = rayon::join(
            || {
                f.email
                    .values
                    .par_iter()
                    .map(|v| crate::compare::email_summary(v))
                    .collect()
            },
            || {
                rayon::join(
                    || crate::compare::Words::new(&f.address.values, |_| true),
                    || crate::compare::Words::new(&f.last.values, crate::compare::not_particle),
                )
            },
        );
        f.email_summary = email_summary;
        f.address_words = address_words;
        f.last_words = last_words;
        Ok(f)
    }
}

/// The formal first name of a (folded) first name, through omni-normalize's nickname table
/// (`pepe` → `jose`).
pub fn canonical_first(first: &str) -> std::borrow::Cow<'_, str> {
    omni_normalize::name::canonical_first(first)
}
