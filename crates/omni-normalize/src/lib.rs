//! # omni-normalize
//!
//! Raw channel values to the forms matching compares: emails (lowercase + a gmail-folded match
//! key), phones (E.164 through libphonenumber's metadata), names (NFKD, accents and punctuation
//! folded; nicknames to formal names, surname particles, Spanish double surnames), street
//! addresses (abbreviations expanded), postcodes and opaque ids. Reference tables are data files
//! under `data/`, compiled in with `include_str!` and parsed once. Each keeps the raw value beside the normalised one (the
//! caller stores both); an invalid value normalises to `None` rather than failing, because a
//! bad phone is no reason to lose a customer.
//!
//! One crate so that ingest (`omni-ingest`) and SQL (`omni-sql`'s `normalize_email`,
//! `normalize_phone` functions) run the same code.
//!
//! ```
//! use omni_normalize::{normalize_email, PhoneNormalizer};
//!
//! assert_eq!(normalize_email(" M.Garcia+shop@Gmail.com").unwrap().match_key, "mgarcia@gmail.com");
//! let es = PhoneNormalizer::new("ES").unwrap();
//! assert_eq!(es.normalize("612 345 678").as_deref(), Some("+34612345678"));
//! ```

pub mod address;
mod data;
pub mod email;
pub mod name;
pub mod phone;
pub mod text;

pub use address::normalize_address;
pub use email::{NormalizedEmail, normalize_email, normalize_email_into};
pub use name::{canonical_first, fold_name, split_full_name, split_surnames, surname_tokens};
pub use phone::{PhoneCache, PhoneNormalizer, landline_area};
pub use text::{normalize_id, normalize_postcode, pad_spanish_postcode};
