//! Personal names.

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Folds a name for matching: NFKD, accents removed, lowercase, punctuation to spaces,
/// whitespace collapsed. `"  JOSÉ-María  O'Neill "` → `"jose maria o neill"`.
pub fn fold_name(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(raw.len());
    let mut space = false;
    for c in raw.nfkd().filter(|c| !is_combining_mark(*c)) {
        if c.is_alphanumeric() {
            if space && !out.is_empty() {
                out.push(' ');
            }
            space = false;
            out.extend(c.to_lowercase());
        } else {
            space = true;
        }
    }
    (!out.is_empty()).then_some(out)
}

/// Splits a full name into (first, last). `"GARCÍA LÓPEZ, MARÍA"` (surnames, comma, given
/// name, as call centres write it) and `"María García López"` both give
/// (`María`, `García López`). A single word is a first name.
pub fn split_full_name(raw: &str) -> (Option<String>, Option<String>) {
    let t = raw.trim();
    if t.is_empty() {
        return (None, None);
    }
    if let Some((last, first)) = t.split_once(',') {
        return (non_empty(first), non_empty(last));
    }
    let mut parts = t.split_whitespace();
    let first = parts.next().map(str::to_string);
    let rest: Vec<&str> = parts.collect();
    (first, non_empty(&rest.join(" ")))
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.split_whitespace().collect::<Vec<_>>().join(" ");
    (!t.is_empty()).then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_accents_case_and_punctuation() {
        assert_eq!(
            fold_name("  JOSÉ-María  O'Neill ").as_deref(),
            Some("jose maria o neill")
        );
        assert_eq!(fold_name("Núñez").as_deref(), Some("nunez"));
        assert_eq!(fold_name("Ｍａｒｉａ").as_deref(), Some("maria")); // full-width
        assert_eq!(fold_name(" - "), None);
    }

    #[test]
    fn splits_both_orders() {
        let want = (Some("María".to_string()), Some("García López".to_string()));
        assert_eq!(split_full_name("María García López"), want);
        assert_eq!(split_full_name("García López, María"), want);
        assert_eq!(split_full_name("Cher"), (Some("Cher".into()), None));
        assert_eq!(split_full_name("  "), (None, None));
    }
}
