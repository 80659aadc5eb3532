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
            Comparison::Address => &["null", "exact", "similar", "different"],
            Comparison::City => &["null", "exact", "jw>=0.88", "different"],
            Comparison::Email => &["null", "exact", "one typo", "different"],
            Comparison::Phone => &["null", "exact", "one digit off", "different"],
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

/// Jaro-Winkler similarity, via strsim.
#[inline]
pub fn jw(a: &str, b: &str) -> f64 {
    strsim::jaro_winkler(a, b)
}

/// First names: exact, same formal name (via the nickname table: `canon` is the formal name
/// of each side), close spellings, one side an initial of the other, different.
pub fn first_name(a: &str, b: &str, canon_a: &str, canon_b: &str) -> u8 {
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
        return 2;
    }
    // Compound names: "maria del carmen" vs "carmen", "jose antonio" vs "antonio".
    if (a.contains(' ') || b.contains(' '))
        && a.split(' ')
            .any(|w| w.len() >= 3 && !PARTICLES.contains(&w) && b.split(' ').any(|v| v == w))
    {
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
    let ta = surname_tokens(a);
    let tb = surname_tokens(b);
    if ta.iter().any(|x| x.len() > 1 && tb.contains(x)) {
        return 2;
    }
    let s = jw(a, b);
    if s >= 0.92 {
        return 3;
    }
    // The first surnames alone may be close ("garcia lopez" vs "garcya").
    let s1 = match (ta.first(), tb.first()) {
        (Some(x), Some(y)) => jw(x, y),
        _ => 0.0,
    };
    if s1 >= 0.92 {
        return 3;
    }
    if s1 >= 0.80 {
        return 4;
    }
    6
}

const PARTICLES: [&str; 12] = [
    "de", "del", "la", "las", "los", "y", "i", "van", "von", "da", "di", "le",
];

/// A folded surname's words without particles.
pub fn surname_tokens(s: &str) -> Vec<&str> {
    s.split(' ')
        .filter(|w| !w.is_empty() && !PARTICLES.contains(w))
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

/// Addresses (folded): exact; similar (Jaro-Winkler ≥ 0.9, or most words shared); different.
pub fn address(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if jw(a, b) >= 0.9 || word_overlap(a, b) >= 0.6 {
        return 2;
    }
    3
}

fn word_overlap(a: &str, b: &str) -> f64 {
    let wa: Vec<&str> = a.split(' ').filter(|w| !w.is_empty()).collect();
    let wb: Vec<&str> = b.split(' ').filter(|w| !w.is_empty()).collect();
    if wa.is_empty() || wb.is_empty() {
        return 0.0;
    }
    let shared = wa.iter().filter(|w| wb.contains(w)).count();
    shared as f64 / wa.len().max(wb.len()) as f64
}

/// Cities (folded): exact; close spellings ("a coruna" / "la coruna"); different.
pub fn city(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if jw(a, b) >= 0.88 {
        return 2;
    }
    3
}

/// Email match keys: exact; one typo apart at the same domain (a letter changed, added,
/// dropped or two swapped — not a digit, since `maria.garcia1` and `maria.garcia2` are
/// usually two people); different. The same local part at another domain is *not* partial
/// agreement: local parts are built from names, so namesakes share them.
pub fn email(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    let (la, da) = a.split_once('@').unwrap_or((a, ""));
    let (lb, db) = b.split_once('@').unwrap_or((b, ""));
    if da == db
        && la.len() >= 4
        && strsim::damerau_levenshtein(la, lb) == 1
        && !la.bytes().chain(lb.bytes()).any(|c| c.is_ascii_digit())
    {
        return 2;
    }
    3
}

/// E.164 phones: exact; one digit substituted or two adjacent digits swapped; different.
pub fn phone(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if a.len() == b.len() && a.len() >= 8 {
        let diff: Vec<usize> = a
            .bytes()
            .zip(b.bytes())
            .enumerate()
            .filter(|(_, (x, y))| x != y)
            .map(|(i, _)| i)
            .collect();
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
    3
}

/// National ids: exact; one character changed, added, dropped or two swapped (a typing
/// error); different.
pub fn national_id(a: &str, b: &str) -> u8 {
    if a == b {
        return 1;
    }
    if a.len().abs_diff(b.len()) <= 1 && strsim::damerau_levenshtein(a, b) == 1 {
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
        assert_eq!(l("jose luis", "jose"), 2);
        assert_eq!(l("maria del carmen", "carmen"), 2);
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
        assert_eq!(last_name("garcia", "perez"), 6);
        // a particle alone is not a shared surname
        assert_eq!(last_name("de leon", "de soto"), 6);
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
        assert_eq!(address("calle mayor 5", "avenida de america 20"), 3);
        assert_eq!(city("a coruna", "la coruna"), 2);
        assert_eq!(city("madrid", "madrid"), 1);
        assert_eq!(city("madrid", "bilbao"), 3);
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
        assert_eq!(phone("+34600111222", "+34699999999"), 3);
    }
}
