//! Street addresses: the form two spellings of one address share.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::data::STREET;

/// Folds a street address for matching: accents removed, lowercase, street-type
/// abbreviations written out from `data/street_abbreviations.csv` (`C/` → `calle`,
/// `Avda.` → `avenida`, `Pº` → `paseo`, `Pza.` → `plaza`, `Rd` → `road`, `St` → `street` at
/// the end of a part and `saint` before a name), number markers (`nº`, `num.`) dropped,
/// punctuation to single spaces. `None` when nothing is left.
///
/// ```
/// use omni_normalize::normalize_address;
/// assert_eq!(
///     normalize_address("C/ Mayor, nº 5, 2º Izq.").as_deref(),
///     normalize_address("calle mayor 5 2o izquierda").as_deref(),
/// );
/// ```
pub fn normalize_address(raw: &str) -> Option<String> {
    // NFKD turns `º`/`ª` into `o`/`a` and splits accents off.
    let folded: String = raw
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let mut out = String::with_capacity(folded.len() + 8);
    for part in folded.split([',', ';', '\n', '(', ')']) {
        let words = words(part);
        for (k, w) in words.iter().enumerate() {
            let at_end = k + 1 == words.len();
            let key = w.trim_end_matches('.');
            let written: &str = match STREET.get(key) {
                // A number marker only when a number follows (`no` is also a word).
                Some(sw) if sw.expansion.is_empty() => {
                    let before_number = words
                        .get(k + 1)
                        .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()));
                    if before_number { "" } else { key }
                }
                Some(sw) => match (&sw.elsewhere, at_end) {
                    (Some(other), false) => other,
                    _ => &sw.expansion,
                },
                None => key,
            };
            for piece in written
                .split(|c: char| !c.is_alphanumeric())
                .filter(|p| !p.is_empty())
            {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(piece);
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

/// The words of one address part. A `/` ends the word it follows (`c/mayor` → `c/`,
/// `mayor`); other punctuation separates words, except a `.` ending an abbreviation.
fn words(part: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in part.char_indices() {
        if c.is_alphanumeric() {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            if c == '/' || c == '.' {
                out.push(&part[s..i + 1]);
            } else {
                out.push(&part[s..i]);
            }
        }
    }
    if let Some(s) = start {
        out.push(&part[s..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> String {
        normalize_address(s).unwrap_or_default()
    }

    #[test]
    fn spanish_variants_agree() {
        let want = "calle mayor 5 2o izquierda";
        for v in [
            "C/ Mayor, 5, 2º Izq.",
            "c/Mayor 5 2º izq",
            "CALLE MAYOR Nº 5, 2º IZQDA",
            "Cl. Mayor, num. 5 - 2o izda.",
            "C. Mayor 5 2o izq",
        ] {
            assert_eq!(n(v), want, "{v}");
        }
        assert_eq!(
            n("Avda. de la Constitución 12"),
            "avenida de la constitucion 12"
        );
        assert_eq!(n("Av Constitución, 12"), "avenida constitucion 12");
        assert_eq!(n("Pº de Gracia 21"), "paseo de gracia 21");
        assert_eq!(n("Pza. España 1"), "plaza espana 1");
        assert_eq!(n("Pl. Mayor s/n"), "plaza mayor s n");
        assert_eq!(n("Ctra. de Valencia km 7"), "carretera de valencia km 7");
        assert_eq!(n("C/ Dr. Fleming 3"), "calle doctor fleming 3");
    }

    #[test]
    fn english_variants_agree() {
        assert_eq!(n("12 High St, London"), "12 high street london");
        assert_eq!(n("12 High Street, London"), "12 high street london");
        assert_eq!(n("3 St John's Rd"), "3 saint john s road");
        assert_eq!(n("221B Baker St."), "221b baker street");
        assert_eq!(n("5 Park Ave Apt 4"), "5 park avenue apartment 4");
        assert_eq!(n("10 Mulholland Dr"), "10 mulholland drive");
        assert_eq!(n("No Name Lane"), "no name lane");
    }

    #[test]
    fn empty_is_none() {
        assert_eq!(normalize_address(""), None);
        assert_eq!(normalize_address(" , - ."), None);
    }
}
