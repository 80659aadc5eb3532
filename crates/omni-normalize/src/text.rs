//! Postcodes and opaque identifiers.

/// Uppercase, single spaces (`" sw1a  1aa"` → `"SW1A 1AA"`); a UK postcode written without
/// its space gets it back (`"sw1a1aa"` → `"SW1A 1AA"`), so both spellings match; a number
/// written with a decimal part by a spreadsheet loses it (`"28001.0"` → `"28001"`). `None`
/// when empty.
pub fn normalize_postcode(raw: &str) -> Option<String> {
    let mut t = if raw
        .bytes()
        .all(|b| b.is_ascii() && !char::from(b).is_whitespace())
    {
        // One word of ASCII (the usual case): no split, no join.
        raw.to_ascii_uppercase()
    } else {
        raw.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_uppercase()
    };
    if let Some(int) = t.strip_suffix(".0")
        && !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
    {
        t.truncate(int.len());
    }
    if is_uk_postcode_without_space(&t) {
        t.insert(t.len() - 3, ' ');
    }
    (!t.is_empty()).then_some(t)
}

/// A Spanish postcode a spreadsheet stored as a number lost its leading zero (`8001` for
/// Barcelona's `08001`): four digits are padded back to five. Anything else is returned as
/// it is.
pub fn pad_spanish_postcode(postcode: &str) -> Option<String> {
    (postcode.len() == 4 && postcode.bytes().all(|b| b.is_ascii_digit()))
        .then(|| format!("0{postcode}"))
}

/// `A9 9AA`, `A99 9AA`, `A9A 9AA`, `AA9 9AA`, `AA99 9AA`, `AA9A 9AA` without the space.
fn is_uk_postcode_without_space(t: &str) -> bool {
    let b = t.as_bytes();
    if !(5..=7).contains(&b.len()) || !b.iter().all(u8::is_ascii_alphanumeric) {
        return false;
    }
    let (outward, inward) = b.split_at(b.len() - 3);
    let inward_ok = inward[0].is_ascii_digit()
        && inward[1].is_ascii_alphabetic()
        && inward[2].is_ascii_alphabetic();
    let letters = outward
        .iter()
        .take_while(|c| c.is_ascii_alphabetic())
        .count();
    let rest = &outward[letters..];
    inward_ok
        && (1..=2).contains(&letters)
        && !rest.is_empty()
        && rest[0].is_ascii_digit()
        && rest.len() <= 2
}

/// Identifiers (loyalty cards, account and device ids, national ids): trimmed, uppercase,
/// separators (spaces, dashes, dots) removed. `None` for empty values or values made only
/// of zeros, which exports use as placeholders.
pub fn normalize_id(raw: &str) -> Option<String> {
    let t: String = raw
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '.' | '_' | '/'))
        .flat_map(char::to_uppercase)
        .collect();
    if t.is_empty() || t.chars().all(|c| c == '0') {
        return None;
    }
    Some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postcodes() {
        assert_eq!(
            normalize_postcode(" sw1a  1aa").as_deref(),
            Some("SW1A 1AA")
        );
        assert_eq!(normalize_postcode("28001").as_deref(), Some("28001"));
        assert_eq!(normalize_postcode(""), None);
        for uk in ["sw1a1aa", "SW1A 1AA", " sw1a  1aa ", "Sw1A1aA"] {
            assert_eq!(normalize_postcode(uk).as_deref(), Some("SW1A 1AA"), "{uk}");
        }
        assert_eq!(normalize_postcode("m11ae").as_deref(), Some("M1 1AE"));
        assert_eq!(normalize_postcode("ec1a1bb").as_deref(), Some("EC1A 1BB"));
        // Not UK shapes: left alone.
        assert_eq!(normalize_postcode("28001").as_deref(), Some("28001"));
        assert_eq!(normalize_postcode("1000-001").as_deref(), Some("1000-001"));
        assert_eq!(normalize_postcode("75008").as_deref(), Some("75008"));
        assert_eq!(normalize_postcode("28001.0").as_deref(), Some("28001"));
        assert_eq!(pad_spanish_postcode("8001").as_deref(), Some("08001"));
        assert_eq!(pad_spanish_postcode("28001"), None);
        assert_eq!(pad_spanish_postcode("SW1A"), None);
    }

    #[test]
    fn one_word_shortcut_matches_the_general_path() {
        let general = |raw: &str| {
            raw.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_uppercase()
        };
        let all: String = (0u8..128)
            .map(char::from)
            .filter(|c| !c.is_whitespace())
            .collect();
        for raw in [
            all.as_str(),
            "sw1a1aa",
            "28001",
            "28001.0",
            "a-b_c",
            "\u{1c}x",
            "",
            "a\u{b}b",
            " 28 001 ",
            "a\u{c}b",
        ] {
            let mut want = general(raw);
            if let Some(int) = want.strip_suffix(".0")
                && !int.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
            {
                want.truncate(int.len());
            }
            if is_uk_postcode_without_space(&want) {
                want.insert(want.len() - 3, ' ');
            }
            assert_eq!(
                normalize_postcode(raw),
                (!want.is_empty()).then_some(want),
                "{raw:?}"
            );
        }
    }

    #[test]
    fn identifiers() {
        assert_eq!(
            normalize_id(" 2400-1234 5678 9 ").as_deref(),
            Some("2400123456789")
        );
        assert_eq!(normalize_id("a123456").as_deref(), Some("A123456"));
        assert_eq!(normalize_id("0000"), None);
        assert_eq!(normalize_id(" "), None);
    }
}
