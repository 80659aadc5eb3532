//! The reference tables compiled into the binary (`data/*.csv`, `data/*.txt`), parsed once.
//!
//! They are data, not code, so that a retailer's own nicknames or street words are a line in a
//! file; every key is folded the way it is looked up ([`crate::fold_name`]).

use std::collections::HashMap;
use std::sync::LazyLock;

use rustc_hash::FxHashMap;
use rustc_hash::FxHashSet as HashSet;

use crate::name::fold_name;

const NICKNAMES: &str = include_str!("../data/nicknames.csv");
const PARTICLES: &str = include_str!("../data/surname_particles.txt");
const STREET_WORDS: &str = include_str!("../data/street_abbreviations.csv");
const LANDLINE_AREAS: &str = include_str!("../data/landline_areas.csv");

/// Data lines of a table: comments (`#`), blank lines and the header row (`header`) skipped.
fn rows<'a>(text: &'a str, header: &'a str) -> impl Iterator<Item = &'a str> {
    text.lines()
        .map(str::trim)
        .filter(move |l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(header))
}

/// Folded nickname → folded formal name (`pepe` → `jose`).
pub(crate) static NICKNAME: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    rows(NICKNAMES, "nickname,")
        .filter_map(|l| {
            let (nick, formal) = l.split_once(',')?;
            Some((fold_name(nick)?, fold_name(formal)?))
        })
        .collect()
});

/// Folded given names the tables know (formal names and their words, and nicknames): used
/// to tell a compound given name (`José María`) from a first surname.
pub(crate) static GIVEN_NAMES: LazyLock<HashSet<String>> = LazyLock::new(|| {
    let mut out = HashSet::default();
    for (nick, formal) in NICKNAME.iter() {
        out.insert(nick.clone());
        out.extend(formal.split(' ').map(str::to_string));
    }
    for p in PARTICLES_SET.iter() {
        out.remove(*p);
    }
    out
});

/// Surname particles, folded (`de`, `la`, `van`, ...).
pub(crate) static PARTICLES_SET: LazyLock<HashSet<&'static str>> =
    LazyLock::new(|| rows(PARTICLES, "\u{0}").collect());

/// How one address word is written out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StreetWord {
    /// The expansion (empty: the word is dropped).
    pub expansion: String,
    /// When set, `expansion` applies at the end of an address part only, this elsewhere.
    pub elsewhere: Option<String>,
}

/// Folded abbreviation (`avda`, `c/`, `st`) → its expansion.
pub(crate) static STREET: LazyLock<HashMap<String, StreetWord>> = LazyLock::new(|| {
    rows(STREET_WORDS, "abbreviation,")
        .filter_map(|l| {
            let mut cols = l.split(',').map(str::trim);
            let abbr = cols.next()?.to_lowercase();
            let expansion = cols.next()?.to_string();
            let elsewhere = cols.next().filter(|s| !s.is_empty()).map(str::to_string);
            Some((
                abbr,
                StreetWord {
                    expansion,
                    elsewhere,
                },
            ))
        })
        .collect()
});

/// Landline prefixes by [`area_key`] → folded area name, and the longest prefix of the table
/// (in digits).
pub(crate) type LandlineAreas = (FxHashMap<u64, String>, usize);

/// A country code and a national prefix (ASCII digits, at most 9 each) as one integer:
/// lookups without allocating.
pub(crate) fn area_key(country: &str, prefix: &str) -> Option<u64> {
    let num = |s: &str| -> Option<u64> {
        (s.len() <= 9 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.bytes().fold(0u64, |n, b| n * 10 + u64::from(b - b'0')))
    };
    Some((num(country)? << 34) | ((prefix.len() as u64) << 30) | num(prefix)?)
}

/// The table `data/landline_areas.csv`, parsed once.
pub(crate) static LANDLINE_AREA: LazyLock<LandlineAreas> = LazyLock::new(|| {
    let mut longest = 0;
    let map = rows(LANDLINE_AREAS, "country,")
        .filter_map(|l| {
            let mut it = l.splitn(3, ',');
            let (country, prefix, area) = (it.next()?, it.next()?, it.next()?);
            longest = longest.max(prefix.len());
            Some((area_key(country, prefix)?, fold_name(area)?))
        })
        .collect();
    (map, longest)
});

#[cfg(test)]
mod tests {
    use super::*;

    /// Every data row parses, and no key appears twice once folded (a second row would
    /// silently win over the first).
    #[test]
    fn tables_parse_without_duplicate_keys() {
        let nick_rows = rows(NICKNAMES, "nickname,").count();
        assert_eq!(NICKNAME.len(), nick_rows, "a nickname appears twice");
        assert!(NICKNAME.len() >= 150, "{} nicknames", NICKNAME.len());
        assert!(NICKNAME.iter().all(|(k, v)| k != v), "identity rows");
        let street_rows = rows(STREET_WORDS, "abbreviation,").count();
        assert_eq!(STREET.len(), street_rows, "an abbreviation appears twice");
        assert!(PARTICLES_SET.contains("del") && PARTICLES_SET.contains("van"));
        assert!(GIVEN_NAMES.contains("maria") && GIVEN_NAMES.contains("william"));
        assert!(!GIVEN_NAMES.contains("del"));
        let area_rows = rows(LANDLINE_AREAS, "country,").count();
        assert_eq!(
            LANDLINE_AREA.0.len(),
            area_rows,
            "a prefix appears twice or does not parse"
        );
        assert_eq!(area_key("34", "91"), area_key("34", "91"));
        assert_ne!(
            area_key("34", "91"),
            area_key("34", "091"),
            "the length is in the key"
        );
        assert_ne!(area_key("34", "91"), area_key("3", "491"));
        assert_eq!(area_key("34", "9x"), None);
    }
}
