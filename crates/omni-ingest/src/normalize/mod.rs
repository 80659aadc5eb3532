//! Normalisers: raw channel values to the forms matching compares. Each keeps the raw value
//! beside the normalised one (the caller stores both); an invalid value normalises to `None`
//! rather than rejecting the row, because a bad phone is no reason to lose a customer.

pub mod email;
pub mod name;
pub mod phone;
pub mod text;

pub use email::{NormalizedEmail, normalize_email};
pub use name::{fold_name, split_full_name};
pub use phone::PhoneNormalizer;
pub use text::{normalize_id, normalize_postcode};
