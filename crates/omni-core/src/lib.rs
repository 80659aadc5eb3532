//! # omni-core
//!
//! The vocabulary every omnicanal stage shares: the canonical fields a pipeline can map
//! channel columns to ([`fields`]), the Arrow schemas of the warehouse tables ([`schema`]),
//! opaque identifiers ([`ids`]) and the error classification the CLI turns into exit codes
//! ([`ErrorKind`]). No I/O happens here.
//!
//! Stages (`omni-ingest`, `omni-resolve`, `omni-profile`, `omni-sql`) depend on this crate
//! and never on each other; they exchange Arrow record batches with these schemas.
//!
//! ```
//! use omni_core::{fields::CanonicalField, schema};
//!
//! let f = CanonicalField::parse("email").unwrap();
//! assert_eq!(f.name(), "email");
//! assert!(schema::source_records().field_with_name("email_match").is_ok());
//! ```

pub mod fields;
pub mod ids;
pub mod schema;
pub mod table;
pub mod text;

/// How an error should be reported: a user error (bad input, bad config; exit code 1) or an
/// internal one (a bug or an environment failure; exit code 2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    User,
    Internal,
}

/// Implemented by every crate's error type so the binary can pick an exit code.
pub trait Classify {
    fn kind(&self) -> ErrorKind;
}

/// The closest candidate to `word` among `candidates`, when it is close enough to be a
/// plausible typo (Jaro-Winkler ≥ 0.8, or the candidate contains the word).
pub fn suggest<'a, I>(word: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let w = word.to_lowercase();
    candidates
        .into_iter()
        .map(|c| {
            let cl = c.to_lowercase();
            let mut score = strsim::jaro_winkler(&w, &cl);
            if !w.is_empty() && (cl.contains(&w) || w.contains(&cl)) {
                score = score.max(0.85);
            }
            (score, c)
        })
        .filter(|(s, _)| *s >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0).then_with(|| b.1.cmp(a.1)))
        .map(|(_, c)| c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["email", "phone", "loyalty_card", "first_name"];
        assert_eq!(suggest("emial", names), Some("email"));
        assert_eq!(suggest("loyalty", names), Some("loyalty_card"));
        assert_eq!(suggest("zzzz", names), None);
    }
}
