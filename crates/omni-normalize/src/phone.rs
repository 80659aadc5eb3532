//! Phone numbers, through `rlibphonenumber` (a port of Google's libphonenumber with its
//! metadata, checked against the C++ library by its authors).
//!
//! Why this library and not the older `phonenumber` crate: on 413,759 distinct numbers of an
//! `omni datagen` web export both give the same E.164 for every value, but `rlibphonenumber`
//! takes about 1 µs per number against 5.8 µs, and it has no process-wide regex cache behind
//! one lock, so ingest normalises phones on every core instead of one.

use rlibphonenumber::{PHONE_NUMBER_UTIL, PhoneNumberFormat, PhoneNumberUtil, enums::Region};

thread_local! {
    /// One instance of the library per thread: its regular expressions then always run
    /// with their owner thread's scratch space, where the shared instance makes every other
    /// thread take a lock around each match.
    static UTIL: PhoneNumberUtil =
        PhoneNumberUtil::new().expect("libphonenumber's compiled-in metadata loads");
}

/// Parses phone numbers to E.164 with a default region for national-format numbers.
#[derive(Debug, Clone, Copy)]
pub struct PhoneNormalizer {
    region: Region,
    /// The region's ISO 3166 alpha-2 code, uppercase ASCII.
    code: [u8; 2],
}

impl PhoneNormalizer {
    /// `region` is an ISO 3166 alpha-2 code such as `ES` or `GB`.
    pub fn new(region: &str) -> Result<Self, String> {
        let unknown =
            || format!("unknown region {region:?}: use an ISO 3166 alpha-2 code such as \"ES\"");
        let upper = region.trim().to_ascii_uppercase();
        let code: [u8; 2] = upper.as_bytes().try_into().map_err(|_| unknown())?;
        if !code.iter().all(u8::is_ascii_uppercase) {
            return Err(unknown());
        }
        let region = upper.parse::<Region>().map_err(|_| unknown())?;
        // The library knows regions without phone metadata (`ZZ`); a default region must have
        // numbers of its own.
        if PHONE_NUMBER_UTIL
            .get_country_code_for_region(region)
            .is_none()
        {
            return Err(unknown());
        }
        Ok(PhoneNormalizer { region, code })
    }

    /// The default region's ISO 3166 alpha-2 code (`ES`).
    pub fn region(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("ZZ")
    }

    /// E.164 (`+34612345678`), or `None` when the value is not a valid number.
    pub fn normalize(&self, raw: &str) -> Option<String> {
        let t = raw.trim();
        if t.is_empty() || !t.bytes().any(|c| c.is_ascii_digit()) {
            return None;
        }
        // Exports write international numbers as 0034..., 34... or (+34) ...; the library
        // handles `+` and the region's own international prefix.
        UTIL.with(|util| {
            let n = util.parse(t, Some(self.region)).ok()?;
            util.is_valid_number(&n)
                .then(|| util.format(&n, PhoneNumberFormat::E164).into_owned())
        })
    }
}

/// A [`PhoneNormalizer`] that remembers what it gave for each value: customers repeat their
/// phone numbers across orders, and parsing one through libphonenumber's metadata costs far
/// more than a hash lookup (about 1 µs against tens of nanoseconds). The region is the
/// cache's own, fixed at creation, so a value is never answered for another region's
/// default. At most `capacity` entries are kept; when full, the cache starts over, so memory
/// stays bounded on any input. Keys and answers live in two text arenas (no allocation per
/// entry).
///
/// Exports write one number in many ways (`612 34 56 78`, `612-345-678`, `+34 612 345 678`,
/// `(+34) 612345678`). A value made only of digits, spaces, `-`, `.`, `(`, `)` and at most
/// one `+` before its first digit is remembered and looked up as its [`digits_key`]
/// (`612345678`, `+34612345678`): libphonenumber drops that punctuation before it reads a
/// number (see [`digits_key`]). A valid number's E.164 form, itself such a key, is remembered
/// too: it stands for itself. On a web export of 541,840 phones (413,759 distinct values)
/// this asks the library 285,941 times instead of 421,344. Both equivalences are tested on
/// every region's example numbers in every format the library writes.
#[derive(Debug, Clone)]
pub struct PhoneCache {
    normalizer: PhoneNormalizer,
    /// Entries: (hash, key start, key length, answer) with the key in `keys` and the answer an
    /// index into `answers` (`u32::MAX`: not a valid number).
    table: hashbrown::HashTable<(u64, u32, u32, u32)>,
    keys: String,
    /// Each answer's span in `answer_text`.
    answers: Vec<(u32, u32)>,
    answer_text: String,
    capacity: usize,
    /// Scratch space for [`digits_key`].
    key: String,
}

/// No answer: the value is not a valid number.
const INVALID: u32 = u32::MAX;

/// Longest value (or key) the cache remembers, in bytes.
const MAX_KEY: usize = 64;

fn fx(s: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(s)
}

impl PhoneCache {
    /// Entries kept by [`PhoneCache::new`]: a few tens of bytes each, some MB at most.
    pub const DEFAULT_CAPACITY: usize = 1 << 18;

    pub fn new(normalizer: PhoneNormalizer) -> Self {
        Self::with_capacity(normalizer, Self::DEFAULT_CAPACITY)
    }

    pub fn with_capacity(normalizer: PhoneNormalizer, capacity: usize) -> Self {
        PhoneCache {
            normalizer,
            table: hashbrown::HashTable::new(),
            keys: String::new(),
            answers: Vec::new(),
            answer_text: String::new(),
            // With keys of at most `MAX_KEY` bytes, the arenas stay within `u32` offsets.
            capacity: capacity.clamp(1, 1 << 24),
            key: String::new(),
        }
    }

    /// The region numbers without a country code are read in.
    pub fn region(&self) -> &str {
        self.normalizer.region()
    }

    /// Exactly [`PhoneNormalizer::normalize`]`(raw)`, remembered.
    pub fn normalize(&mut self, raw: &str) -> Option<String> {
        self.normalize_ref(raw).map(str::to_string)
    }

    fn find(&self, h: u64, k: &str) -> Option<u32> {
        self.table
            .find(h, |&(eh, at, len, _)| {
                eh == h && &self.keys[at as usize..(at + len) as usize] == k
            })
            .map(|e| e.3)
    }

    fn insert(&mut self, h: u64, k: &str, answer: u32) {
        let at = self.keys.len() as u32;
        self.keys.push_str(k);
        self.table
            .insert_unique(h, (h, at, k.len() as u32, answer), |e| e.0);
    }

    /// [`normalize`](Self::normalize) without a copy of the answer.
    pub fn normalize_ref(&mut self, raw: &str) -> Option<&str> {
        let mut key = std::mem::take(&mut self.key);
        let k = if digits_key(raw, &mut key) {
            key.as_str()
        } else {
            raw
        };
        // Phone numbers are short: a longer value is answered without being remembered, which
        // keeps the arenas within `u32` offsets (at most 2^24 entries of 64 bytes).
        let remembered = k.len() <= MAX_KEY;
        let h = fx(k);
        let known = if remembered { self.find(h, k) } else { None };
        let answer = match known {
            Some(a) => a,
            None => {
                if self.table.len() + 2 > self.capacity || self.answers.len() >= self.capacity {
                    self.table.clear();
                    self.keys.clear();
                    self.answers.clear();
                    self.answer_text.clear();
                }
                let answer = match self.normalizer.normalize(raw) {
                    Some(e164) => {
                        let at = self.answer_text.len() as u32;
                        self.answer_text.push_str(&e164);
                        self.answers.push((at, e164.len() as u32));
                        let a = (self.answers.len() - 1) as u32;
                        let he = fx(&e164);
                        // Two entries per library call at most: the value's and this one.
                        if self.capacity >= 2 && e164 != k && self.find(he, &e164).is_none() {
                            self.insert(he, &e164, a);
                        }
                        a
                    }
                    None => INVALID,
                };
                if remembered {
                    self.insert(h, k, answer);
                }
                answer
            }
        };
        self.key = key;
        (answer != INVALID).then(|| {
            let (at, len) = self.answers[answer as usize];
            &self.answer_text[at as usize..(at + len) as usize]
        })
    }

    /// Entries remembered now.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

/// Writes into `key` the digits of `raw`, after a `+` when `raw` has one before its first
/// digit, and says whether `raw` may be answered by that key: it may when it holds at least
/// three digits and nothing but digits, ASCII spaces, `-`, `.`, `(`, `)` and one `+` before
/// the first digit.
///
/// Why the answer is the key's: libphonenumber keeps a number from its first `+` or digit
/// and cuts trailing punctuation, accepts any mix of those punctuation marks between at least
/// three digits, finds no extension without letters, `#`, `,` or `;`, reads a leading `+` as
/// "international", and from then on works on the digits alone (the international prefix,
/// the country code and the national prefix are all matched on digits). A `+` after a digit,
/// or any other character, leaves the value to the library as written.
pub fn digits_key(raw: &str, key: &mut String) -> bool {
    key.clear();
    let mut digits = 0;
    let mut plus = false;
    for &c in raw.as_bytes() {
        match c {
            b'0'..=b'9' => {
                digits += 1;
                key.push(c as char);
            }
            b'+' if digits == 0 && !plus => {
                plus = true;
                key.push('+');
            }
            b' ' | b'-' | b'.' | b'(' | b')' => {}
            _ => return false,
        }
    }
    digits >= 3
}

/// The area (folded town name, as [`crate::fold_name`] folds a city) of a geographic
/// landline in E.164 form (`+34954123456` → `sevilla`), from the reference table
/// `data/landline_areas.csv` (longest prefix wins); `None` for mobiles, non-geographic
/// numbers and countries the table does not cover.
pub fn landline_area(e164: &str) -> Option<&'static str> {
    let digits = e164.strip_prefix('+')?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (table, longest) = &*crate::data::LANDLINE_AREA;
    // Country codes are one to three digits.
    (1..=3.min(digits.len())).find_map(|cc| {
        let (country, national) = digits.split_at(cc);
        (1..=(*longest).min(national.len()))
            .rev()
            .find_map(|k| table.get(&crate::data::area_key(country, &national[..k])?))
            .map(String::as_str)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_variants_agree() {
        let p = PhoneNormalizer::new("ES").unwrap();
        for v in [
            "+34 612 345 678",
            "0034612345678",
            "612-345-678",
            "612345678",
            "(+34) 612 34 56 78",
        ] {
            assert_eq!(p.normalize(v).as_deref(), Some("+34612345678"), "{v}");
        }
    }

    #[test]
    fn uk_numbers_with_spanish_default() {
        let p = PhoneNormalizer::new("es").unwrap();
        assert_eq!(
            p.normalize("+44 7911 123456").as_deref(),
            Some("+447911123456")
        );
        let uk = PhoneNormalizer::new("GB").unwrap();
        assert_eq!(
            uk.normalize("07911 123456").as_deref(),
            Some("+447911123456")
        );
    }

    #[test]
    fn invalid_values_are_none() {
        let p = PhoneNormalizer::new("ES").unwrap();
        for v in ["", "000000000", "n/a", "12", "+34 000"] {
            assert_eq!(p.normalize(v), None, "{v}");
        }
        for bad in ["Spain", "XX", "ZZ", "E", "É1", ""] {
            assert!(PhoneNormalizer::new(bad).is_err(), "{bad}");
        }
        assert_eq!(PhoneNormalizer::new(" gb ").unwrap().region(), "GB");
    }

    #[test]
    fn cache_answers_as_the_normalizer_and_stays_bounded() {
        let es = PhoneNormalizer::new("ES").unwrap();
        let mut c = PhoneCache::with_capacity(es, 3);
        assert_eq!(c.region(), "ES");
        let values = [
            "612 345 678",
            "n/a",
            "612 345 678",
            "+44 7911 123456",
            "0034612345678",
            "612345678",
            "612 345 678",
            "",
            "n/a",
        ];
        for v in values {
            assert_eq!(c.normalize(v), es.normalize(v), "{v}");
            assert!(c.len() <= 3);
        }
        // A national number depends on the region: one cache per region.
        let mut gb = PhoneCache::new(PhoneNormalizer::new("GB").unwrap());
        let mut es = PhoneCache::new(es);
        assert_eq!(
            gb.normalize("07911 123456").as_deref(),
            Some("+447911123456")
        );
        assert_eq!(es.normalize("07911 123456"), None);
    }

    #[test]
    fn digits_keys() {
        let mut k = String::new();
        for (raw, want) in [
            ("612 34 56 78", Some("612345678")),
            ("(+34) 612-345.678", Some("+34612345678")),
            ("+34612345678", Some("+34612345678")),
            (" +44 (0) 7911 123456 ", Some("+4407911123456")),
            ("0034 612345678", Some("0034612345678")),
            ("6-1", None),
            ("612+345678", None),
            ("++34612345678", None),
            ("612345678 ext 5", None),
            ("612345678#", None),
            ("tel:+34612345678", None),
            ("６１２３４５６７８", None),
        ] {
            assert_eq!(
                digits_key(raw, &mut k).then(|| k.clone()).as_deref(),
                want,
                "{raw}"
            );
        }
    }

    /// Every format libphonenumber writes of every region's example numbers (E.164,
    /// international, national, dialled from Spain, the UK and the US), as written and with
    /// punctuation scattered through it: the value and its [`digits_key`] get the same answer
    /// under several default regions, and a valid number's E.164 form is its own answer.
    #[test]
    fn keys_and_e164_forms_answer_as_the_written_value() {
        use rlibphonenumber::PhoneNumberType;
        let util = &*PHONE_NUMBER_UTIL;
        let mut written = Vec::new();
        let mut regions: Vec<Region> = util.get_supported_regions().collect();
        regions.sort_by_key(|r| r.to_string());
        for &region in &regions {
            let mut types: Vec<PhoneNumberType> = util
                .get_supported_types_for_region(region)
                .map(|t| t.into_iter().collect())
                .unwrap_or_default();
            types.sort_by_key(|t| format!("{t:?}"));
            for t in types {
                let Ok(n) = util.get_example_number_for_type_and_region(region, t) else {
                    continue;
                };
                for f in [
                    PhoneNumberFormat::E164,
                    PhoneNumberFormat::International,
                    PhoneNumberFormat::National,
                ] {
                    written.push(util.format(&n, f).to_string());
                }
                for from in [Region::ES, Region::GB, Region::US] {
                    written.push(
                        util.format_out_of_country_calling_number(&n, from)
                            .to_string(),
                    );
                }
            }
        }
        assert!(written.len() > 3000, "{}", written.len());
        // The same values with punctuation moved around (deterministic pseudo-random).
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let marks = [" ", "-", ".", "(", ")", "  ", " - "];
        let noisy: Vec<String> = written
            .iter()
            .map(|v| {
                let mut out = String::new();
                for c in v.chars() {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(4) {
                        out.push_str(marks[(x >> 8) as usize % marks.len()]);
                    }
                    if !(c == ' ' && x.is_multiple_of(3)) {
                        out.push(c);
                    }
                }
                out
            })
            .collect();
        let mut key = String::new();
        let mut keyed = 0;
        for default in ["ES", "GB", "US", "IT", "AR", "MX", "IN"] {
            let p = PhoneNormalizer::new(default).unwrap();
            for v in written.iter().chain(&noisy) {
                let answer = p.normalize(v);
                if digits_key(v, &mut key) {
                    keyed += 1;
                    assert_eq!(p.normalize(&key), answer, "{v:?} as {key:?} in {default}");
                }
                if let Some(e164) = &answer {
                    assert_eq!(p.normalize(e164).as_ref(), Some(e164), "{v:?} in {default}");
                }
            }
        }
        assert!(keyed > 20_000, "{keyed}");
    }

    /// The cache, with its keys, answers as the normalizer on a stream of repeated values in
    /// mixed forms, whatever its capacity.
    #[test]
    fn keyed_cache_answers_as_the_normalizer() {
        let es = PhoneNormalizer::new("ES").unwrap();
        let forms = |n: &str| {
            [
                n.to_string(),
                format!("+34 {n}"),
                format!("0034{n}"),
                format!("({}) {}-{}", &n[..3], &n[3..6], &n[6..]),
                format!("+34{n}"),
                format!("{n} x"),
            ]
        };
        let numbers = ["612345678", "912345678", "000000000", "612345", "744123456"];
        let stream: Vec<String> = (0..300)
            .map(|i| forms(numbers[i * 7 % numbers.len()])[i * 11 % 6].clone())
            .collect();
        // Values too long to be remembered, as written and as a key, among the others.
        let long = [
            format!("tel. +34 612 345 678 {}", "x".repeat(100)),
            "6".repeat(100),
        ];
        let stream: Vec<String> = stream
            .into_iter()
            .enumerate()
            .flat_map(|(i, v)| {
                if i % 50 == 0 {
                    vec![v, long[0].clone(), long[1].clone()]
                } else {
                    vec![v]
                }
            })
            .collect();
        for capacity in [1, 2, 3, 4, 7, 1000] {
            let mut c = PhoneCache::with_capacity(es, capacity);
            for v in &stream {
                assert_eq!(
                    c.normalize(v),
                    es.normalize(v),
                    "{v} at capacity {capacity}"
                );
                assert!(c.len() <= capacity);
            }
        }
    }

    #[test]
    fn landline_areas_by_longest_prefix() {
        for (phone, area) in [
            ("+34914123456", Some("madrid")),
            ("+34954123456", Some("sevilla")),
            ("+34955123456", Some("sevilla")),
            ("+34981123456", Some("a coruna")),
            ("+442071234567", Some("london")),
            ("+441612345678", Some("manchester")),
            ("+441223123456", Some("cambridge")),
            // Mobiles, non-geographic numbers, uncovered countries, junk.
            ("+34612345678", None),
            ("+447700900123", None),
            ("+34901123456", None),
            ("+33142123456", None),
            ("954123456", None),
            ("+34 954", None),
        ] {
            assert_eq!(landline_area(phone), area, "{phone}");
        }
    }
}
