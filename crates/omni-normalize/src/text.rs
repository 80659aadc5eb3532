//! Postcodes and opaque identifiers.

/// Uppercase, single spaces (`" sw1a  1aa"` → `"SW1A 1AA"`); `None` when empty.
pub fn normalize_postcode(raw: &str) -> Option<String> {
    let t = raw
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_uppercase();
    (!t.is_empty()).then_some(t)
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
