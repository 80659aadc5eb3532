//! Field comparators of the probabilistic tier. Each comparison maps a pair of values to a
//! *level*: `0` when either side is missing (the comparison then carries no evidence), `1`
//! for the strongest agreement, and the last level for "different". Levels are small
//! integers so that a pair's levels pack into one `u32` pattern (4 bits a comparison), and
//! the EM runs over distinct patterns instead of pairs.

use serde::{Deserialize, Serialize};

/// The fields the probabilistic tier can compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    FirstName,
    LastName,
    BirthDate,
    Postcode,
    Address,
    City,
    Email,
    Phone,
    NationalId,
}

impl Comparison {
    pub const ALL: [Comparison; 9] = [
        Comparison::FirstName,
        Comparison::LastName,
        Comparison::BirthDate,
        Comparison::Postcode,
        Comparison::Address,
        Comparison::City,
        Comparison::Email,
        Comparison::Phone,
        Comparison::NationalId,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Comparison::FirstName => "first_name",
            Comparison::LastName => "last_name",
            Comparison::BirthDate => "birth_date",
            Comparison::Postcode => "postcode",
            Comparison::Address => "address",
            Comparison::City => "city",
            Comparison::Email => "email",
            Comparison::Phone => "phone",
            Comparison::NationalId => "national_id",
        }
    }

    pub fn parse(s: &str) -> Option<Comparison> {
        Comparison::ALL.into_iter().find(|c| c.name() == s)
    }

    /// Level names, index = level. Level 0 is always `null` (a side is missing).
    pub fn levels(self) -> &'static [&'static str] {
        match self {
            Comparison::FirstName => &[
                "null",
                "exact",
                "nickname",
                "jw>=0.92",
                "jw>=0.85",
                "initial",
                "swapped with surname",
                "different",
            ],
            Comparison::LastName => &[
                "null",
                "exact",
                "shared surname",
                "jw>=0.92",
                "jw>=0.80",
                "second surname differs",
                "swapped with first name",
                "different",
            ],
            Comparison::BirthDate => &[
                "null",
                "exact",
                "day/month swapped",
                "one part differs",
                "different",
            ],
            Comparison::Postcode => &["null", "exact", "same district", "different"],
            Comparison::Address => &["null", "exact", "similar", "some words shared", "different"],
            Comparison::City => &[
                "null",
                "exact",
                "jw>=0.88",
                "landline area agrees",
                "landline area differs",
                "different",
            ],
            Comparison::Email => &["null", "exact", "one typo", "different"],
            Comparison::Phone => &[
                "null",
                "exact",
                "one digit off",
                "landline and other",
                "different",
            ],
            Comparison::NationalId => &["null", "exact", "one typo", "different"],
        }
    }

    /// Number of levels including `null`.
    pub fn n_levels(self) -> usize {
        self.levels().len()
    }

    /// The level an agreeing pair usually has, used to seed EM: m is high there.
    pub fn different_level(self) -> u8 {
        (self.n_levels() - 1) as u8
    }
}

/// Jaro-Winkler similarity: strsim's definition. Names are short and (once folded) ASCII,
/// for which [`jw_ascii`] computes the same value without allocating; anything else goes
/// to strsim.
#[inline]
pub fn jw(a: &str, b: &str) -> f64 {
    if a.len() <= 64 && b.len() <= 64 && a.is_ascii() && b.is_ascii() {
        jw_ascii(a.as_bytes(), b.as_bytes())
    } else {
        strsim::jaro_winkler(a, b)
    }
}

/// strsim's Jaro-Winkler on byte strings of at most 64 bytes, with the match flags in two
/// machine words instead of a heap vector: same matching order, same arithmetic, so the
/// same `f64` bit for bit (checked against strsim in the tests).
fn jw_ascii(a: &[u8], b: &[u8]) -> f64 {
    let (al, bl) = (a.len(), b.len());
    if al == 0 && bl == 0 {
        return 1.0;
    } else if al == 0 || bl == 0 {
        return 0.0;
    }
    let range = (al.max(bl) / 2).saturating_sub(1);
    // Where each byte value occurs in `b`, as a bit set: the first unmatched `b[j] == a[i]`
    // in the window is then the lowest bit of one word, not a scan of the window.
    let mut at = [0u64; 128];
    for (j, &y) in b.iter().enumerate() {
        at[(y & 0x7f) as usize] |= 1 << j;
    }
    let below = |k: usize| if k >= 64 { u64::MAX } else { (1u64 << k) - 1 };
    let (mut af, mut bf) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = bl.min(i + range + 1);
        let free = at[(x & 0x7f) as usize] & below(hi) & !below(lo) & !bf;
        if free != 0 {
            af |= 1 << i;
            bf |= free & free.wrapping_neg();
            matches += 1;
        }
    }
    if matches == 0 {
        return 0.0;
    }
    let mut transpositions = 0usize;
    let mut rest = bf;
    for (i, &x) in a.iter().enumerate() {
        if af & (1 << i) != 0 {
            let j = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if x != b[j] {
                transpositions += 1;
            }
        }
    }
    transpositions /= 2;
    let m = matches as f64;
    let sim = ((m / al as f64) + (m / bl as f64) + ((matches - transpositions) as f64 / m)) / 3.0;
    if sim > 0.7 {
        let prefix = a.iter().take(4).zip(b).take_while(|(x, y)| x == y).count();
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// First names: exact, same formal name (via the nickname table: `canon` is the formal name
/// of each side), close spellings, one side an initial of the other, different.
pub fn first_name<'a>(a: &'a str, b: &'a str, canon_a: &str, canon_b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if canon_a == canon_b {
        return 2;
    }
    // "jose luis" vs "jose": the first given name agrees.
    let fa = a.split(' ').next().unwrap_or(a);
    let fb = b.split(' ').next().unwrap_or(b);
    if fa == fb {
        // "maria del carmen" and "maria dolores", "jose luis" and "jose antonio": one first
        // given name, then different ones, are two people. A misspelt second name ("maria
        // dolroes") stays close; a name left out ("jose") or a particle does not count.
        let rest = |s: &'a str| s.split(' ').skip(1).filter(|w| !is_particle(w));
        let (mut ra, mut rb) = (rest(a).peekable(), rest(b).peekable());
        if ra.peek().is_none() || rb.peek().is_none() || rest(a).any(|w| rest(b).any(|v| v == w)) {
            return 2;
        }
        let (ra, rb) = (
            ra.collect::<Vec<_>>().join(" "),
            rb.collect::<Vec<_>>().join(" "),
        );
        return if jw(&ra, &rb) >= 0.85 || one_edit_apart(&ra, &rb) {
            2
        } else {
            7
        };
    }
    // Two compound names whose first given names differ are two people: "jose maria" and
    // "rosa maria", "maria jose" and "jose luis" (a family's shared mailbox). Only their first
    // given names compare, which keeps a typo in one ("jsoe maria") close. An initial
    // ("m carmen") is left to the rules below.
    if a.contains(' ') && b.contains(' ') && fa.len() > 1 && fb.len() > 1 {
        let s = jw(fa, fb);
        return if s >= 0.92 {
            3
        } else if s >= 0.85 {
            4
        } else {
            7
        };
    }
    // Compound names: "maria del carmen" vs "carmen", "jose antonio" vs "antonio"; also
    // through the nickname table ("lola" is "dolores", a part of "maria dolores").
    let shares_word = |a: &str, b: &str| {
        (a.contains(' ') || b.contains(' '))
            && a.split(' ')
                .any(|w| w.len() >= 3 && !is_particle(w) && b.split(' ').any(|v| v == w))
    };
    if shares_word(a, b) || shares_word(canon_a, canon_b) {
        return 2;
    }
    let s = jw(a, b);
    if s >= 0.92 {
        return 3;
    }
    if s >= 0.85 {
        return 4;
    }
    if (a.len() == 1 && b.starts_with(a)) || (b.len() == 1 && a.starts_with(b)) {
        return 5;
    }
    7
}

/// Whether two records have first name and surname swapped (one side written the other way
/// round): each name equal to, or within Jaro-Winkler 0.92 of, the other record's other name.
pub fn swapped(first_a: &str, last_a: &str, first_b: &str, last_b: &str) -> bool {
    let close = |x: &str, y: &str| x == y || jw(x, y) >= 0.92;
    (first_a == last_b || first_b == last_a) && close(first_a, last_b) && close(last_a, first_b)
}

/// Surnames: exact, a surname in common (two-surname cultures write one or both, in
/// either order), close spellings, different. Particles ("de", "la", ...) are ignored in
/// the shared-surname test.
pub fn last_name(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    with_surname_tokens(a, |ta| {
        with_surname_tokens(b, |tb| last_name_tokens(a, b, ta, tb, None))
    })
}

/// [`last_name`] with both values' words split beforehand ([`Words`] without particles,
/// [`is_particle`]): the same level.
pub fn last_name_words(a: &str, sa: Split, b: &str, sb: Split) -> u8 {
    if a == b {
        return 1;
    }
    let (wa, wb) = (sa.words, sb.words);
    const MAX: usize = 6;
    if wa.len() > MAX || wb.len() > MAX || a.len() > MAX_SPLIT || b.len() > MAX_SPLIT {
        return last_name(a, b);
    }
    let (mut ta, mut tb) = ([""; MAX], [""; MAX]);
    for (t, w) in ta.iter_mut().zip(wa) {
        *t = w.text(a);
    }
    for (t, w) in tb.iter_mut().zip(wb) {
        *t = w.text(b);
    }
    let first = match (wa.first(), wb.first()) {
        (Some(x), Some(y)) => Some((x.letters, y.letters)),
        _ => None,
    };
    last_name_tokens(
        a,
        b,
        &ta[..wa.len()],
        &tb[..wb.len()],
        Some(((sa.letters, sb.letters), first)),
    )
}

/// Keeps a surname's words that are not particles (what [`Words`] keeps for surnames).
pub fn not_particle(w: &str) -> bool {
    !is_particle(w)
}

/// `f` of [`surname_tokens`] of `s`, without allocating for up to six words.
fn with_surname_tokens<R>(s: &str, f: impl FnOnce(&[&str]) -> R) -> R {
    let mut buf = [""; 6];
    let mut n = 0;
    for w in s.split(' ').filter(|w| !w.is_empty() && !is_particle(w)) {
        if n == buf.len() {
            return f(&surname_tokens(s));
        }
        buf[n] = w;
        n += 1;
    }
    f(&buf[..n])
}

/// `letters`: [`value_letters`] of `a` and `b`, and [`letters`] of their first tokens, when
/// known: the Jaro-Winkler thresholds are then checked against [`may_reach`]'s bound first.
type SurnameLetters = ((u64, u64), Option<(u64, u64)>);

fn last_name_tokens(
    a: &str,
    b: &str,
    ta: &[&str],
    tb: &[&str],
    letters: Option<SurnameLetters>,
) -> u8 {
    if ta.iter().any(|x| x.len() > 1 && tb.contains(x)) {
        // Both sides write two surnames, one agrees in its place and the other is
        // different: "martinez suarez" and "martinez blanco" are two people of one family,
        // not one person who left a surname out ("martinez"), wrote them the other way
        // round or misspelt one ("martinez suares"). A compound first name split into the
        // surnames ("angel sanchez" for Miguel Ángel Sánchez) puts the shared one elsewhere.
        if let ([a1, a2], [b1, b2]) = (ta, tb) {
            let differ = |x: &str, y: &str| {
                x.len() > 1 && y.len() > 1 && jw(x, y) < 0.85 && !one_edit_apart(x, y)
            };
            if (a1 == b1 && differ(a2, b2)) || (a2 == b2 && differ(a1, b1)) {
                return 5;
            }
        }
        return 2;
    }
    let whole = letters.is_none_or(|((la, lb), _)| may_reach(a, la, b, lb, 0.92));
    if whole && jw(a, b) >= 0.92 {
        return 3;
    }
    // The first surnames alone may be close ("garcia lopez" vs "garcya").
    let s1 = match (ta.first(), tb.first()) {
        (Some(x), Some(y))
            if letters
                .and_then(|l| l.1)
                .is_none_or(|(lx, ly)| may_reach(x, lx, y, ly, 0.80)) =>
        {
            jw(x, y)
        }
        _ => 0.0,
    };
    if s1 >= 0.92 {
        return 3;
    }
    if s1 >= 0.80 {
        return 4;
    }
    7
}

const PARTICLES: [&str; 12] = [
    "de", "del", "la", "las", "los", "y", "i", "van", "von", "da", "di", "le",
];

/// Whether a folded word is one of [`PARTICLES`] (all of three bytes or fewer: most words
/// are ruled out by their length alone).
#[inline]
fn is_particle(w: &str) -> bool {
    w.len() <= 3 && PARTICLES.contains(&w)
}

/// A folded surname's words without particles.
pub fn surname_tokens(s: &str) -> Vec<&str> {
    s.split(' ')
        .filter(|w| !w.is_empty() && !is_particle(w))
        .collect()
}

/// Birth dates as days since the epoch: exact; day and month swapped (a US/EU format
/// confusion); one of day, month, year differs (a typo); different.
pub fn birth_date(a: i32, b: i32) -> u8 {
    if a == b {
        return 1;
    }
    let (ya, ma, da) = ymd(a);
    let (yb, mb, db) = ymd(b);
    if ya == yb && ma == db && da == mb {
        return 2;
    }
    let same = (ya == yb) as u8 + (ma == mb) as u8 + (da == db) as u8;
    if same == 2 {
        return 3;
    }
    4
}

/// Civil date of a day number (days since 1970-01-01), proleptic Gregorian.
pub fn ymd(days: i32) -> (i32, u32, u32) {
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((if m <= 2 { y + 1 } else { y }) as i32, m, d)
}

/// Postcodes, already uppercase without leading zeros: exact; same district (the outward
/// code of a UK postcode, the first three digits of a Spanish one); different.
pub fn postcode(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if district(a) == district(b) {
        return 2;
    }
    3
}

fn district(p: &str) -> &str {
    if let Some((outward, _)) = p.split_once(' ') {
        return outward;
    }
    if p.bytes().all(|c| c.is_ascii_digit()) {
        // Leading zeros are stripped: "8016" is 08016, district "080" → "80".
        let keep = p.len().saturating_sub(2);
        return &p[..keep];
    }
    p
}

/// Addresses (folded): exact; similar (Jaro-Winkler ≥ 0.9, or most words shared); some
/// words shared (at least a third: the street without the number, or the number and the
/// building without a misspelt street); different. Words match when equal or, from four
/// letters on, within Jaro-Winkler 0.9 of each other ("messenger" / "messenge"), so typos
/// and the two address lines written in either order still count.
pub fn address(a: &str, b: &str) -> u8 {
    let (wa, wb) = (Words::split(a, |_| true), Words::split(b, |_| true));
    address_words(a, wa.of(0), b, wb.of(0))
}

/// [`address`] with both values' words split beforehand ([`Words`]): the same level.
pub fn address_words(a: &str, sa: Split, b: &str, sb: Split) -> u8 {
    if a == b {
        return 1;
    }
    let (wa, wb) = (sa.words, sb.words);
    let overlap = if wb.len() > 32 || a.len() > MAX_SPLIT || b.len() > MAX_SPLIT {
        word_overlap_slow(a, b)
    } else {
        word_overlap(a, wa, b, wb)
    };
    if overlap >= 0.6
        || (may_reach(a, sa.letters, b, sb.letters, 0.9)
            && jw_bound(a, b) >= 0.9 - 1e-9
            && jw(a, b) >= 0.9)
    {
        return 2;
    }
    if overlap >= 0.3 {
        return 3;
    }
    4
}

/// One word of a value, as [`Words`] keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Word {
    /// [`letters`] of the word.
    letters: u64,
    /// A hash of its bytes: equal words have equal hashes (a match is checked on the bytes).
    hash: u32,
    /// Byte span in the value (values of more than 64 KiB are not split).
    start: u16,
    len: u16,
}

impl Word {
    #[inline]
    fn text<'a>(&self, value: &'a str) -> &'a str {
        &value[self.start as usize..(self.start + self.len) as usize]
    }
}

/// The words (split on spaces) of every distinct value of a text column, split once: the
/// address and surname comparators otherwise split both values again for every pair of
/// values they meet. Value id `v`'s words are `of(v)`.
#[derive(Debug, Default)]
pub struct Words {
    starts: Vec<u32>,
    words: Vec<Word>,
    /// [`value_letters`] of each value.
    letters: Vec<u64>,
}

/// One value's words and [`value_letters`].
#[derive(Debug, Clone, Copy)]
pub struct Split<'a> {
    pub words: &'a [Word],
    pub letters: u64,
}

impl Words {
    /// The words of each value that `keep` keeps, in order, in parallel.
    pub fn new(values: &[String], keep: fn(&str) -> bool) -> Words {
        use rayon::prelude::*;
        let parts: Vec<(Vec<u32>, Vec<Word>)> = values
            .par_chunks(4_096)
            .map(|chunk| {
                let mut counts = Vec::with_capacity(chunk.len());
                let mut words = Vec::new();
                for v in chunk {
                    let before = words.len();
                    split_into(v, keep, &mut words);
                    counts.push((words.len() - before) as u32);
                }
                (counts, words)
            })
            .collect();
        let mut out = Words {
            starts: Vec::with_capacity(values.len() + 1),
            words: Vec::with_capacity(parts.iter().map(|p| p.1.len()).sum()),
            letters: values.par_iter().map(|v| value_letters(v)).collect(),
        };
        out.starts.push(0);
        for (counts, words) in parts {
            let mut at = out.words.len() as u32;
            for c in counts {
                at += c;
                out.starts.push(at);
            }
            out.words.extend(words);
        }
        out
    }

    /// One value's words.
    pub fn split(value: &str, keep: fn(&str) -> bool) -> Words {
        let mut words = Vec::new();
        split_into(value, keep, &mut words);
        Words {
            starts: vec![0, words.len() as u32],
            words,
            letters: vec![value_letters(value)],
        }
    }

    /// The words of value `v`, or `None` when this column's words were not split (empty).
    #[inline]
    pub fn get(&self, v: u32) -> Option<Split<'_>> {
        let v = v as usize;
        (v + 1 < self.starts.len()).then(|| Split {
            words: &self.words[self.starts[v] as usize..self.starts[v + 1] as usize],
            letters: self.letters[v],
        })
    }

    fn of(&self, v: u32) -> Split<'_> {
        self.get(v).unwrap_or(Split {
            words: &[],
            letters: 1 << 63,
        })
    }
}

/// Longest value split into [`Word`]s (their spans are `u16`); the comparators read longer
/// ones as text.
const MAX_SPLIT: usize = u16::MAX as usize;

fn split_into(v: &str, keep: fn(&str) -> bool, out: &mut Vec<Word>) {
    if v.len() > MAX_SPLIT {
        // One word standing for "anything" (bit 63: no bound applies).
        out.push(Word {
            letters: 1 << 63,
            hash: 0,
            start: 0,
            len: 0,
        });
        return;
    }
    let base = v.as_ptr() as usize;
    for w in v.split(' ').filter(|w| !w.is_empty() && keep(w)) {
        use std::hash::BuildHasher;
        out.push(Word {
            letters: letters(w),
            hash: rustc_hash::FxBuildHasher.hash_one(w) as u32,
            start: (w.as_ptr() as usize - base) as u16,
            len: w.len() as u16,
        });
    }
}

/// The letters and digits of a whole value, as [`letters`] but spaces left out (bit 63 when
/// it has any other byte).
fn value_letters(v: &str) -> u64 {
    v.bytes()
        .filter(|&c| c != b' ')
        .fold(0u64, |m, c| m | 1 << letters_bit(c))
}

/// Whether `x` and `y` could be within Jaro-Winkler `t`, from their lengths and letter sets
/// alone: every letter or digit of one that the other lacks is at least one byte left
/// unmatched, so at most `m` = min(|x| − those of `x`, |y| − those of `y`) bytes match. A
/// bound never below [`jw_bound`]'s (it counts fewer unmatched bytes), computed the same way,
/// so it never rejects a pair that reaches `t`; text with other bytes always passes.
#[inline]
fn may_reach(x: &str, lx: u64, y: &str, ly: u64, t: f64) -> bool {
    if (lx | ly) & (1 << 63) != 0 {
        return true;
    }
    let mx = x.len() - (lx & !ly).count_ones() as usize;
    let my = y.len() - (ly & !lx).count_ones() as usize;
    let m = mx.min(my) as f64;
    let jaro = (m / x.len() as f64 + m / y.len() as f64 + 1.0) / 3.0;
    0.4 + 0.6 * jaro >= t - 1e-9
}

/// Share of words matched, over the longer address's word count. Each word of `a` takes the
/// first unused word of `b` (at most 32) that equals it or, from four letters on, is within
/// Jaro-Winkler 0.9 of it. A Jaro-Winkler is computed only when bounds from the letters the
/// two words share allow 0.9 (a bound never rejects a pair that reaches it: same result as
/// comparing every pair, checked in the tests).
fn word_overlap(a: &str, wa: &[Word], b: &str, wb: &[Word]) -> f64 {
    debug_assert!(wb.len() <= 32);
    let mut used = 0u64;
    let mut shared = 0usize;
    for wx in wa {
        let w = wx.text(a);
        let long = w.len() >= 4;
        let hit = wb.iter().enumerate().position(|(j, wy)| {
            used & (1 << j) == 0 && {
                let v = wy.text(b);
                (wx.hash == wy.hash && v == w)
                    || (long
                        && v.len() >= 4
                        && may_reach(w, wx.letters, v, wy.letters, 0.9)
                        && may_reach_jw(w, wx.letters, v, wy.letters)
                        && jw(w, v) >= 0.9)
            }
        });
        if let Some(j) = hit {
            used |= 1 << j;
            shared += 1;
        }
    }
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    shared as f64 / wa.len().max(wb.len()) as f64
}

/// The bytes a word holds, as a set: letters and digits a bit each, anything else one bit.
#[inline]
fn letters(w: &str) -> u64 {
    w.bytes().fold(0u64, |m, c| m | 1 << letters_bit(c))
}

/// Whether two words could be within Jaro-Winkler 0.9: only bytes present in the other word
/// can match, so at most `m` = min(bytes of `x` found in `y`, bytes of `y` found in `x`)
/// match, Jaro is at most (m/|x| + m/|y| + 1) / 3 and Jaro-Winkler at most 0.4 + 0.6 × that.
/// Words with bytes other than ASCII letters and digits always pass.
#[inline]
fn may_reach_jw(x: &str, lx: u64, y: &str, ly: u64) -> bool {
    if lx & (1 << 63) != 0 || ly & (1 << 63) != 0 {
        return true;
    }
    let found = |w: &str, set: u64| {
        w.bytes()
            .filter(|&c| set & (1 << letters_bit(c)) != 0)
            .count()
    };
    let m = found(x, ly).min(found(y, lx)) as f64;
    let jaro = (m / x.len() as f64 + m / y.len() as f64 + 1.0) / 3.0;
    0.4 + 0.6 * jaro >= 0.9 - 1e-9
}

#[inline]
fn letters_bit(c: u8) -> u8 {
    match c {
        b'a'..=b'z' => c - b'a',
        b'0'..=b'9' => 26 + c - b'0',
        _ => 63,
    }
}

/// An upper bound of `jw(a, b)` from the bytes the two strings have in common: a match
/// pairs equal bytes, so at most `m` = Σ over bytes of the smaller count match; Jaro is at
/// most (m/|a| + m/|b| + 1) / 3 and Jaro-Winkler at most 0.4 + 0.6 × that. Cheaper than the
/// Jaro-Winkler itself (one pass over each string); 1 for non-ASCII text and for `a` longer
/// than 255 bytes.
pub fn jw_bound(a: &str, b: &str) -> f64 {
    if !a.is_ascii() || !b.is_ascii() || a.len() > 255 {
        return 1.0;
    }
    if a.is_empty() || b.is_empty() {
        return f64::from(u8::from(a.is_empty() && b.is_empty()));
    }
    let mut count = [0u8; 128];
    for c in a.bytes() {
        count[c as usize] += 1;
    }
    let mut m = 0usize;
    for c in b.bytes() {
        let k = &mut count[c as usize];
        if *k > 0 {
            *k -= 1;
            m += 1;
        }
    }
    let m = m as f64;
    let jaro = (m / a.len() as f64 + m / b.len() as f64 + 1.0) / 3.0;
    (0.4 + 0.6 * jaro).min(1.0)
}

/// [`word_overlap`] comparing every pair of words (addresses of more than 32 words, and the
/// reference in the tests).
fn word_overlap_slow(a: &str, b: &str) -> f64 {
    let nb = b.split(' ').filter(|w| !w.is_empty()).count();
    let mut na = 0usize;
    let mut used = 0u64;
    let mut shared = 0usize;
    for w in a.split(' ').filter(|w| !w.is_empty()) {
        na += 1;
        // Each word of `b` is matched once (the first 64 words are tracked).
        let hit = b
            .split(' ')
            .filter(|v| !v.is_empty())
            .enumerate()
            .find(|&(j, v)| {
                (j >= 64 || used & (1 << j) == 0)
                    && (v == w || (w.len() >= 4 && v.len() >= 4 && jw(w, v) >= 0.9))
            });
        if let Some((j, _)) = hit {
            if j < 64 {
                used |= 1 << j;
            }
            shared += 1;
        }
    }
    if na == 0 || nb == 0 {
        return 0.0;
    }
    shared as f64 / na.max(nb) as f64
}

/// Cities (folded): exact; close spellings ("a coruna" / "la coruna"); different.
pub fn city(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if jw(a, b) >= 0.88 {
        return 2;
    }
    5
}

/// The town of one record's landline (see `omni_normalize::landline_area`) against the
/// other record's city, for pairs where only one side has a city: agrees (same town, or
/// written alike) or differs. Weaker evidence than two cities (people call from work, a
/// province's code covers its towns): the EM gives these levels weights of their own.
pub fn city_by_area(area: &str, city: &str) -> u8 {
    if area == city || jw(area, city) >= 0.88 {
        3
    } else {
        4
    }
}

/// Email match keys: exact; one typo apart at the same domain, both local parts of four
/// characters or more (a letter changed, added, dropped or two swapped — not a digit, since
/// `maria.garcia1` and `maria.garcia2` are usually two people); different. The same local
/// part at another domain is *not* partial agreement: local parts are built from names, so
/// namesakes share them.
pub fn email(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    let (la, da) = a.split_once('@').unwrap_or((a, ""));
    let (lb, db) = b.split_once('@').unwrap_or((b, ""));
    if da == db
        && la.len().min(lb.len()) >= 4
        && one_edit_apart(la, lb)
        && !la.bytes().chain(lb.bytes()).any(|c| c.is_ascii_digit())
    {
        return 2;
    }
    3
}

/// What [`email`] needs to know of one key to rule out its middle level cheaply: its domain
/// (hashed), its local part's length in characters, and whether that part could be one typo
/// from another (four bytes or more, no digit). See [`email_may_be_close`].
pub fn email_summary(key: &str) -> u64 {
    let (local, domain) = key.split_once('@').unwrap_or((key, ""));
    let hash = domain.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, c| {
        (h ^ u64::from(c)).wrapping_mul(0x0100_0000_01b3)
    });
    let eligible = local.len() >= 4 && !local.bytes().any(|c| c.is_ascii_digit());
    let chars = local.chars().count().min(0x7fff) as u64;
    (hash << 16) | (u64::from(eligible) << 15) | chars
}

/// False only when [`email`] of two different keys with these summaries is certainly 3
/// (different): a local part unfit for the middle level, other domains, or local parts whose
/// lengths differ by more than one character (one edit changes the length by one at most).
#[inline]
pub fn email_may_be_close(x: u64, y: u64) -> bool {
    const ELIGIBLE: u64 = 1 << 15;
    let len = |s: u64| s & 0x7fff;
    x & y & ELIGIBLE != 0 && x >> 16 == y >> 16 && len(x).abs_diff(len(y)) <= 1
}

/// Whether `a` and `b` are one edit apart: one character changed, added or dropped, or two
/// adjacent characters swapped (Damerau-Levenshtein distance exactly 1, as
/// `strsim::damerau_levenshtein(a, b) == 1`, without its allocations; tested against it).
pub fn one_edit_apart(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        one_edit_generic(a.as_bytes(), b.as_bytes())
    } else {
        // Rare (folded keys are ASCII): compare by characters.
        let x: Vec<char> = a.chars().collect();
        let y: Vec<char> = b.chars().collect();
        one_edit_generic(&x, &y)
    }
}

fn one_edit_generic<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (a, b) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if b.len() - a.len() > 1 {
        return false;
    }
    // Skip the common prefix and suffix; what is left must be one edit.
    let pre = a.iter().zip(b).take_while(|(x, y)| x == y).count();
    if pre == a.len() && a.len() == b.len() {
        return false; // equal
    }
    let suf = a[pre..]
        .iter()
        .rev()
        .zip(b[pre..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ra, rb) = (&a[pre..a.len() - suf], &b[pre..b.len() - suf]);
    match (ra.len(), rb.len()) {
        (0, 1) | (1, 1) => true,
        (2, 2) => ra[0] == rb[1] && ra[1] == rb[0],
        _ => false,
    }
}

/// E.164 phones: exact; one digit substituted or two adjacent digits swapped; different.
pub fn phone(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if a.len() == b.len() && a.len() >= 8 {
        // The positions of the first three differing digits (no more are needed).
        let (mut diff, mut n) = ([0usize; 3], 0);
        for (i, (x, y)) in a.bytes().zip(b.bytes()).enumerate() {
            if x != y {
                diff[n] = i;
                n += 1;
                if n == 3 {
                    break;
                }
            }
        }
        let diff = &diff[..n];
        let (ab, bb) = (a.as_bytes(), b.as_bytes());
        if diff.len() == 1
            || (diff.len() == 2
                && diff[1] == diff[0] + 1
                && ab[diff[0]] == bb[diff[1]]
                && ab[diff[1]] == bb[diff[0]])
        {
            return 2;
        }
    }
    4
}

/// National ids: exact; one character changed, added, dropped or two swapped (a typing
/// error); different.
pub fn national_id(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if one_edit_apart(a, b) {
        return 2;
    }
    3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn days(y: i32, m: u32, d: u32) -> i32 {
        // inverse of ymd, by search from a known point (tests only)
        let mut x = (y - 1970) * 365 + (y - 1969) / 4;
        while ymd(x) < (y, m, d) {
            x += 1;
        }
        while ymd(x) > (y, m, d) {
            x -= 1;
        }
        x
    }

    #[test]
    fn jaro_winkler_matches_strsim_bit_for_bit() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        let alphabet = b"abcdeaeiou -";
        let word = |rng: &mut rand_chacha::ChaCha8Rng, max: usize| -> String {
            let n = rng.random_range(0..=max);
            (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
                .collect()
        };
        for k in 0..200_000 {
            // Names, and strings as long as the fast path takes (addresses).
            let a = word(&mut rng, if k % 4 == 0 { 64 } else { 12 });
            // Half the pairs are near variants, so matches and transpositions occur.
            let b = if rng.random_bool(0.5) {
                let mut v: Vec<u8> = a.clone().into_bytes();
                if v.len() > 1 {
                    let i = rng.random_range(0..v.len() - 1);
                    v.swap(i, i + 1);
                }
                String::from_utf8(v).unwrap()
            } else {
                word(&mut rng, if k % 4 == 0 { 64 } else { 12 })
            };
            assert_eq!(
                jw(&a, &b).to_bits(),
                strsim::jaro_winkler(&a, &b).to_bits(),
                "{a:?} {b:?}"
            );
        }
        // The longest strings the fast path takes, and one past it (strsim's path).
        let long_a = "ab".repeat(32);
        let long_b = "ba".repeat(32);
        assert_eq!(jw(&long_a, &long_b), strsim::jaro_winkler(&long_a, &long_b));
        let longer = format!("{long_a}c");
        assert_eq!(jw(&longer, &long_b), strsim::jaro_winkler(&longer, &long_b));
        assert_eq!(jw("josé", "jose"), strsim::jaro_winkler("josé", "jose"));
    }

    #[test]
    fn one_edit_apart_matches_damerau_levenshtein_of_one() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let alphabet = ['a', 'b', 'c', 'a', 'é', '1'];
        for _ in 0..100_000 {
            let n = rng.random_range(0..7);
            let a: String = (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let mut b: Vec<char> = a.chars().collect();
            // One or two random edits, so distances 0, 1 and 2 all occur.
            for _ in 0..rng.random_range(0..3) {
                match rng.random_range(0..4) {
                    0 if !b.is_empty() => {
                        let i = rng.random_range(0..b.len());
                        b[i] = alphabet[rng.random_range(0..alphabet.len())];
                    }
                    1 => {
                        let i = rng.random_range(0..=b.len());
                        b.insert(i, alphabet[rng.random_range(0..alphabet.len())]);
                    }
                    2 if !b.is_empty() => {
                        b.remove(rng.random_range(0..b.len()));
                    }
                    3 if b.len() > 1 => {
                        let i = rng.random_range(0..b.len() - 1);
                        b.swap(i, i + 1);
                    }
                    _ => {}
                }
            }
            let b: String = b.into_iter().collect();
            assert_eq!(
                one_edit_apart(&a, &b),
                strsim::damerau_levenshtein(&a, &b) == 1,
                "{a:?} {b:?}"
            );
        }
    }

    #[test]
    fn civil_dates_round_trip() {
        assert_eq!(ymd(0), (1970, 1, 1));
        assert_eq!(ymd(-1), (1969, 12, 31));
        assert_eq!(ymd(11_016), (2000, 2, 29));
        assert_eq!(ymd(days(1957, 1, 2)), (1957, 1, 2));
    }

    #[test]
    fn first_name_levels() {
        let l = |a, b| first_name(a, b, a, b);
        assert_eq!(l("maria", "maria"), 1);
        assert_eq!(first_name("pepe", "jose", "jose", "jose"), 2);
        // A nickname of one part of a compound name.
        assert_eq!(
            first_name("lola", "maria dolores", "dolores", "maria dolores"),
            2
        );
        assert_eq!(first_name("lola", "maria", "dolores", "maria"), 7);
        assert_eq!(l("jose luis", "jose"), 2);
        assert_eq!(l("maria del carmen", "carmen"), 2);
        // Two compound names with different first given names: two people, even with a
        // word in common; a typo in the first given name stays close.
        assert_eq!(l("jose maria", "rosa maria"), 7);
        assert_eq!(l("maria jose", "jose luis"), 7);
        assert_eq!(l("jsoe maria", "jose maria"), 3);
        assert_eq!(l("maria del carmen", "maria carmen"), 2);
        // One first given name, then different ones: two people; a typo is the same name.
        assert_eq!(l("maria del carmen", "maria dolores"), 7);
        assert_eq!(l("jose luis", "jose antonio"), 7);
        assert_eq!(l("maria dolores", "maria dolroes"), 2);
        assert_eq!(l("jose luis", "jose kuis"), 2);
        assert_eq!(l("cristina", "christina"), 3);
        assert_eq!(l("jon", "john"), 3);
        assert_eq!(l("j", "javier"), 5);
        assert_eq!(l("maria", "carlos"), 7);
        assert_eq!(Comparison::FirstName.levels()[7], "different");
    }

    #[test]
    fn last_name_levels() {
        assert_eq!(last_name("garcia lopez", "garcia lopez"), 1);
        // one or both surnames, either order, particles ignored
        assert_eq!(last_name("garcia lopez", "garcia"), 2);
        assert_eq!(last_name("lopez garcia", "garcia"), 2);
        assert_eq!(last_name("de la fuente", "fuente ruiz"), 2);
        assert_eq!(last_name("smith", "smyth"), 4);
        assert_eq!(last_name("rodriguez", "rodrigues"), 3);
        assert_eq!(last_name("garcia", "perez"), 7);
        // Two surnames each, one shared and the other different: two people.
        assert_eq!(last_name("martinez suarez", "martinez blanco"), 5);
        assert_eq!(last_name("medina garcia", "marcos garcia"), 5);
        assert_eq!(last_name("angel sanchez", "sanchez perez"), 2);
        assert_eq!(last_name("gil garcia", "gli garcia"), 2);
        // ... but not a misspelt, left-out or reordered second surname.
        assert_eq!(last_name("martinez suarez", "martinez suares"), 2);
        assert_eq!(last_name("martinez suarez", "martinez"), 2);
        assert_eq!(last_name("martinez suarez", "suarez martinez"), 2);
        assert_eq!(Comparison::LastName.levels()[5], "second surname differs");
        // a particle alone is not a shared surname
        assert_eq!(last_name("de leon", "de soto"), 7);
        // More than six words: the same levels as with few.
        let long = "garcia lopez perez ruiz diaz moreno alonso";
        assert_eq!(last_name(long, "garcia"), 2);
        assert_eq!(last_name(long, "fernandez"), 7);
    }

    #[test]
    fn swapped_names() {
        assert!(swapped("mason", "madeline", "madeline", "mason"));
        assert!(swapped("masno", "madeline", "madeline", "mason"));
        assert!(!swapped("maria", "garcia", "garcia", "lopez"));
        assert!(!swapped("maria", "garcia", "maria", "garcia"));
    }

    #[test]
    fn birth_date_levels() {
        let a = days(1980, 3, 7);
        assert_eq!(birth_date(a, a), 1);
        assert_eq!(birth_date(a, days(1980, 7, 3)), 2);
        assert_eq!(birth_date(a, days(1981, 3, 7)), 3);
        assert_eq!(birth_date(a, days(1980, 3, 17)), 3);
        assert_eq!(birth_date(a, days(1975, 11, 20)), 4);
    }

    #[test]
    fn postcode_address_city_levels() {
        assert_eq!(postcode("28041", "28041"), 1);
        assert_eq!(postcode("28041", "28045"), 2);
        assert_eq!(postcode("8016", "8019"), 2);
        assert_eq!(postcode("SW1A 1AA", "SW1A 2BB"), 2);
        assert_eq!(postcode("28041", "08016"), 3);
        assert_eq!(address("calle mayor 5", "calle mayor 5"), 1);
        assert_eq!(address("calle mayor 5 2 a", "calle mayor 5"), 2);
        assert_eq!(address("calle mayor 5", "avenida de america 20"), 4);
        // Typos inside words, and the two address lines in either order.
        assert_eq!(
            address(
                "4 messenger street brownes reef",
                "4 messenge street brownes reef"
            ),
            2
        );
        assert_eq!(
            address(
                "6 ashburton circuit north avenue",
                "6 north avenue ashburton circuit"
            ),
            2
        );
        // The number and one line agree, the other line is another street: some words.
        assert_eq!(address("53 albermarle place kyeema", "53 kyeema"), 3);
        assert_eq!(
            address("19 loder place eden park", "19 lode place eden park"),
            2
        );
        // A word matches once: "5 5 5" shares one word of three with "5 calle mayor", not
        // three (which would make it similar).
        assert_eq!(address("5 5 5", "5 calle mayor"), 3);
        assert_eq!(city("a coruna", "la coruna"), 2);
        assert_eq!(city("madrid", "madrid"), 1);
        assert_eq!(city("madrid", "bilbao"), 5);
        assert_eq!(city_by_area("sevilla", "sevilla"), 3);
        assert_eq!(city_by_area("a coruna", "la coruna"), 3);
        assert_eq!(city_by_area("madrid", "getafe"), 4);
    }

    fn overlap_of(a: &str, b: &str) -> f64 {
        let (wa, wb) = (Words::split(a, |_| true), Words::split(b, |_| true));
        word_overlap(a, wa.of(0).words, b, wb.of(0).words)
    }

    /// The address level from every pair of words and the full Jaro-Winkler, no bounds.
    fn address_slow(a: &str, b: &str) -> u8 {
        if a == b {
            return 1;
        }
        let overlap = word_overlap_slow(a, b);
        if overlap >= 0.6 || jw(a, b) >= 0.9 {
            2
        } else if overlap >= 0.3 {
            3
        } else {
            4
        }
    }

    #[test]
    fn surnames_split_beforehand_give_the_same_levels() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let vocab = [
            "garcia",
            "garcía",
            "lopez",
            "de",
            "la",
            "martinez",
            "suarez",
            "suares",
            "del",
            "rio",
            "sanchez",
            "blanco",
            "y",
            "o'neil",
            "smith-jones",
            "nuñez",
            "van",
            "der",
            "berg",
            "gil",
            "ruiz",
            "ruis",
            "i",
            "puig",
        ];
        let surname = |rng: &mut rand_chacha::ChaCha8Rng| {
            let n = rng.random_range(0..5);
            let sep = if rng.random_range(0..5) == 0 {
                "  "
            } else {
                " "
            };
            (0..n)
                .map(|_| {
                    let mut w: Vec<char> =
                        vocab[rng.random_range(0..vocab.len())].chars().collect();
                    if rng.random_range(0..4) == 0 {
                        let i = rng.random_range(0..w.len());
                        w[i] = (b'a' + rng.random_range(0..26u8)) as char;
                    }
                    w.into_iter().collect::<String>()
                })
                .collect::<Vec<_>>()
                .join(sep)
        };
        let pairs: Vec<(String, String)> = (0..100_000)
            .map(|_| (surname(&mut rng), surname(&mut rng)))
            .collect();
        let values: Vec<String> = pairs
            .iter()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect();
        let words = Words::new(&values, not_particle);
        let mut levels = [0usize; 8];
        for (i, (a, b)) in pairs.iter().enumerate() {
            let (wa, wb) = (words.of(2 * i as u32), words.of(2 * i as u32 + 1));
            let level = last_name(a, b);
            assert_eq!(last_name_words(a, wa, b, wb), level, "{a:?} / {b:?}");
            levels[level as usize] += 1;
        }
        for l in [1, 2, 3, 4, 5, 7] {
            assert!(levels[l] > 100, "{levels:?}");
        }
    }

    #[test]
    fn word_overlap_with_the_letter_bound_matches_every_pair_compared() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let vocab = [
            "calle",
            "mayor",
            "avenida",
            "america",
            "messenger",
            "street",
            "brownes",
            "reef",
            "plaza",
            "españa",
            "12",
            "3",
            "bajo",
            "izquierda",
            "paseo",
            "castellana",
            "ronda",
            "sant",
            "antoni",
            "maria",
            "claret",
            "c/",
            "n.º",
            "loder",
            "place",
            "eden",
            "park",
        ];
        let word = |rng: &mut rand_chacha::ChaCha8Rng| {
            let w = vocab[rng.random_range(0..vocab.len())];
            let mut b: Vec<char> = w.chars().collect();
            // A typo in a third of the words: a letter changed, dropped or doubled.
            if rng.random_range(0..3) == 0 && !b.is_empty() {
                let i = rng.random_range(0..b.len());
                match rng.random_range(0..3) {
                    0 => b[i] = (b'a' + rng.random_range(0..26u8)) as char,
                    1 => {
                        b.remove(i);
                    }
                    _ => b.insert(i, b[i]),
                }
            }
            b.into_iter().collect::<String>()
        };
        // Words joined by one space, sometimes two, sometimes with a space at either end.
        let gen_address = |rng: &mut rand_chacha::ChaCha8Rng| {
            let n = rng.random_range(0..8);
            let sep = if rng.random_range(0..4) == 0 {
                "  "
            } else {
                " "
            };
            let mut s = (0..n).map(|_| word(rng)).collect::<Vec<_>>().join(sep);
            if rng.random_range(0..8) == 0 {
                s.insert(0, ' ');
            }
            s
        };
        let mut agreeing = 0;
        let mut levels = [0usize; 5];
        let pairs: Vec<(String, String)> = (0..200_000)
            .map(|_| (gen_address(&mut rng), gen_address(&mut rng)))
            .collect();
        // Split as the features split a column's values, and one by one.
        let values: Vec<String> = pairs
            .iter()
            .flat_map(|(a, b)| [a.clone(), b.clone()])
            .collect();
        let words = Words::new(&values, |_| true);
        for (i, (a, b)) in pairs.iter().enumerate() {
            let fast = overlap_of(a, b);
            assert_eq!(
                fast.to_bits(),
                word_overlap_slow(a, b).to_bits(),
                "{a:?} / {b:?}"
            );
            agreeing += usize::from(fast > 0.0);
            let level = address_slow(a, b);
            assert_eq!(address(a, b), level, "{a:?} / {b:?}");
            let (wa, wb) = (words.of(2 * i as u32), words.of(2 * i as u32 + 1));
            assert_eq!(address_words(a, wa, b, wb), level, "{a:?} / {b:?}");
            levels[level as usize] += 1;
        }
        // The sample exercises both outcomes, and every level.
        assert!(agreeing > 10_000, "{agreeing}");
        assert!(levels[1..].iter().all(|&n| n > 100), "{levels:?}");
        let long = vec!["calle"; 40].join(" ");
        assert_eq!(
            address(&long, "calle mayor"),
            address_slow(&long, "calle mayor")
        );
        assert_eq!(
            address("calle mayor", &long),
            address_slow("calle mayor", &long)
        );
    }

    #[test]
    fn jaro_winkler_bound_is_never_below_the_jaro_winkler() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
        let alphabet = b"aeiouklmnrst 0123";
        let mut close = 0;
        for _ in 0..200_000 {
            let random = |rng: &mut rand_chacha::ChaCha8Rng| {
                let n = rng.random_range(0..40);
                (0..n)
                    .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
                    .collect::<String>()
            };
            let a = random(&mut rng);
            // Half the time a near copy, so that high similarities are covered.
            let b = if rng.random_bool(0.5) && !a.is_empty() {
                let mut v: Vec<u8> = a.clone().into_bytes();
                let i = rng.random_range(0..v.len());
                v[i] = alphabet[rng.random_range(0..alphabet.len())];
                String::from_utf8(v).unwrap()
            } else {
                random(&mut rng)
            };
            let (s, bound) = (jw(&a, &b), jw_bound(&a, &b));
            assert!(s <= bound + 1e-12, "{a:?} / {b:?}: {s} > {bound}");
            close += usize::from(s >= 0.9);
        }
        assert!(close > 1_000, "{close}");
        assert_eq!(jw_bound("", ""), 1.0);
        assert_eq!(jw_bound("abc", ""), 0.0);
        assert_eq!(jw_bound("mañana", "manana"), 1.0);
    }

    #[test]
    fn national_id_levels() {
        assert_eq!(national_id("1804974", "1804974"), 1);
        assert_eq!(national_id("1804974", "1809474"), 2);
        assert_eq!(national_id("1804974", "180497"), 2);
        assert_eq!(national_id("1804974", "6089216"), 3);
    }

    #[test]
    fn email_and_phone_levels() {
        assert_eq!(email("ana@gmail.com", "ana@gmail.com"), 1);
        assert_eq!(email("ana.ruiz@gmail.com", "ana.ruiz@hotmail.com"), 3);
        assert_eq!(email("anaruiz@gmail.com", "anaruis@gmail.com"), 2);
        assert_eq!(email("anaruiz@gmail.com", "anarui@gmail.com"), 2);
        assert_eq!(email("ana.ruiz1@gmail.com", "ana.ruiz2@gmail.com"), 3);
        assert_eq!(email("ana@gmail.com", "bob@gmail.com"), 3);
        assert_eq!(phone("+34600111222", "+34600111222"), 1);
        assert_eq!(phone("+34600111222", "+34600111223"), 2);
        assert_eq!(phone("+34600111222", "+34600112122"), 2);
        assert_eq!(phone("+34600111222", "+34699999999"), 4);
    }

    /// The comparing memo keys a level by the unordered pair of values: every comparator must
    /// give the same level whichever side comes first, or the level of a pair would depend on
    /// which orientation a thread met first.
    #[test]
    fn every_comparator_is_symmetric() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(17);
        let words = [
            "ana", "anna", "maria", "mari", "jose", "jsoe", "luis", "de", "del", "la", "y",
            "garcia", "garcya", "lopez", "m", "a", "carmen", "calle", "c", "mayor", "12", "3b",
            "anaa", "anab", "sevilla", "sevila", "rosa",
        ];
        let text = |rng: &mut rand_chacha::ChaCha8Rng| -> String {
            let n = rng.random_range(1..=4);
            (0..n)
                .map(|_| words[rng.random_range(0..words.len())])
                .collect::<Vec<_>>()
                .join(" ")
        };
        let domains = ["gmail.com", "hotmail.com", "x.es"];
        let mail = |rng: &mut rand_chacha::ChaCha8Rng| -> String {
            let local: String = (0..rng.random_range(1..=3))
                .map(|_| words[rng.random_range(0..words.len())])
                .collect();
            format!("{local}@{}", domains[rng.random_range(0..domains.len())])
        };
        let digits = |rng: &mut rand_chacha::ChaCha8Rng| -> String {
            let n = rng.random_range(5..=9);
            (0..n)
                .map(|_| char::from(b'0' + rng.random_range(0..3u8)))
                .collect()
        };
        let mut typos = 0;
        for _ in 0..100_000 {
            let (a, b) = (text(&mut rng), text(&mut rng));
            let (ca, cb) = (text(&mut rng), text(&mut rng));
            assert_eq!(
                first_name(&a, &b, &ca, &cb),
                first_name(&b, &a, &cb, &ca),
                "{a:?} {b:?}"
            );
            assert_eq!(last_name(&a, &b), last_name(&b, &a), "{a:?} {b:?}");
            assert_eq!(address(&a, &b), address(&b, &a), "{a:?} {b:?}");
            assert_eq!(city(&a, &b), city(&b, &a), "{a:?} {b:?}");
            assert_eq!(city_by_area(&a, &b), city_by_area(&b, &a), "{a:?} {b:?}");
            let (x, y) = (mail(&mut rng), mail(&mut rng));
            assert_eq!(email(&x, &y), email(&y, &x), "{x:?} {y:?}");
            // The shortcut the comparing pass takes never hides the middle level.
            if x != y && !email_may_be_close(email_summary(&x), email_summary(&y)) {
                assert_eq!(email(&x, &y), 3, "{x:?} {y:?}");
            }
            typos += usize::from(email(&x, &y) == 2);
            let (x, y) = (digits(&mut rng), digits(&mut rng));
            assert_eq!(phone(&x, &y), phone(&y, &x), "{x:?} {y:?}");
            assert_eq!(national_id(&x, &y), national_id(&y, &x), "{x:?} {y:?}");
            assert_eq!(postcode(&x, &y), postcode(&y, &x), "{x:?} {y:?}");
            // Jaro-Winkler itself, on short strings of few letters (many near matches).
            let short = |rng: &mut rand_chacha::ChaCha8Rng| -> String {
                (0..rng.random_range(0..9))
                    .map(|_| char::from(b"abcab "[rng.random_range(0..6)]))
                    .collect()
            };
            let (x, y) = (short(&mut rng), short(&mut rng));
            assert_eq!(jw(&x, &y).to_bits(), jw(&y, &x).to_bits(), "{x:?} {y:?}");
        }
        // The sample holds e-mails one typo apart.
        assert!(typos > 50, "{typos}");
        // Lengths count characters: an accent is one edit, not two bytes.
        for (x, y) in [("josé@x.es", "jose@x.es"), ("anaruiz@x.es", "añaruiz@x.es")] {
            assert_eq!(email(x, y), 2);
            assert!(email_may_be_close(email_summary(x), email_summary(y)));
        }
    }
}
