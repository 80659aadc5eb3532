//! The `[identity]` section of a pipeline file.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Deterministic identity rules.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    /// Identifiers that link two records when equal (after normalisation), in priority
    /// order. `email` compares the gmail-folded match key.
    #[serde(default = "default_rules")]
    pub deterministic: Vec<String>,
    /// Values that never link (store placeholders, test addresses), per identifier. Written
    /// as in the exports; they are normalised like the data before comparison.
    #[serde(default)]
    pub blocked_values: BTreeMap<String, Vec<String>>,
    /// A value shared by more records than this is treated as generic (a shop's own email,
    /// a family landline used at the till) and links nothing.
    #[serde(default = "default_max")]
    pub max_records_per_value: usize,
}

fn default_rules() -> Vec<String> {
    [
        "loyalty_card",
        "account_id",
        "device_id",
        "national_id",
        "email",
        "phone",
    ]
    .map(String::from)
    .to_vec()
}

fn default_max() -> usize {
    50
}

impl Default for IdentityConfig {
    fn default() -> Self {
        IdentityConfig {
            deterministic: default_rules(),
            blocked_values: BTreeMap::new(),
            max_records_per_value: default_max(),
        }
    }
}
