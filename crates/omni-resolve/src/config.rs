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
    /// Identifiers a customer has at most one value of: two records with different values
    /// are never one customer (a link that would join them is refused).
    #[serde(default = "default_cannot_link")]
    pub cannot_link: Vec<String>,
    /// Shared identifiers (a family mailbox, a household landline) whose links are refused
    /// when the two sides are clearly different people: first names that do not agree, or
    /// two surnames each with one differing in its place (relatives), and no agreeing birth
    /// date. `probabilistic` checks the probabilistic tier's links too
    /// (a household shares a surname and an address).
    #[serde(default = "default_family_guard")]
    pub family_guard: Vec<String>,
    /// Identifiers whose links no guard refuses (e.g. an account id: one login is one
    /// person, even with two national ids on file).
    #[serde(default)]
    pub must_link: Vec<String>,
    /// No customer grows beyond this many records: links that would exceed it are refused,
    /// the weakest first (probabilistic links by weight, then deterministic rules from the
    /// last to the first).
    #[serde(default = "default_max_cluster")]
    pub max_cluster_size: usize,
    /// The probabilistic tier.
    #[serde(default)]
    pub probabilistic: ProbabilisticConfig,
}

/// `[identity.probabilistic]`: Fellegi-Sunter matching on names, birth dates, addresses and
/// partial contact details, for records no identifier links.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ProbabilisticConfig {
    /// Off: deterministic stitching only.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// A candidate pair links when its match probability reaches this.
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Fields compared: first_name, last_name, birth_date, postcode, address, city, email,
    /// phone, national_id.
    #[serde(default = "default_comparisons")]
    pub comparisons: Vec<String>,
    /// Blocking rules, OR-ed: records are candidate pairs when they agree on every key of
    /// at least one rule. Keys: first_name, last_name, surname1, first_initial, birth_date,
    /// birth_year, postcode, city, address, email_local, phone, national_id, first3 and
    /// last3 (the first three letters of the first name and of the surname).
    #[serde(default = "default_blocking")]
    pub blocking: Vec<Vec<String>>,
    /// A blocking key value shared by more records than this makes no pairs (a hot key
    /// such as a common surname in a big city would explode the pair count).
    #[serde(default = "default_max_block")]
    pub max_block_size: usize,
    /// Comparisons whose exact agreement is weighted by how rare the value is.
    #[serde(default = "default_tf")]
    pub term_frequency: Vec<String>,
    /// Random record pairs sampled to estimate the u probabilities.
    #[serde(default = "default_u_pairs")]
    pub u_sample_pairs: usize,
    /// EM iterations at most (EM stops earlier when the parameters settle).
    #[serde(default = "default_em_iter")]
    pub em_max_iterations: usize,
    /// Rejected candidate pairs below this match probability are counted, not written to
    /// `identity_edges`.
    #[serde(default = "default_keep_edges")]
    pub keep_edges_above: f64,
}

fn yes() -> bool {
    true
}
fn default_threshold() -> f64 {
    0.9
}
fn default_comparisons() -> Vec<String> {
    [
        "first_name",
        "last_name",
        "birth_date",
        "postcode",
        "address",
        "city",
        "email",
        "phone",
    ]
    .map(String::from)
    .to_vec()
}
fn default_blocking() -> Vec<Vec<String>> {
    [
        &["first_name", "last_name"][..],
        &["surname1", "postcode"],
        &["first_name", "postcode"],
        &["birth_date"],
        &["email_local"],
    ]
    .iter()
    .map(|r| r.iter().map(|k| k.to_string()).collect())
    .collect()
}
fn default_max_block() -> usize {
    50
}
fn default_tf() -> Vec<String> {
    ["first_name", "last_name", "city"]
        .map(String::from)
        .to_vec()
}
fn default_u_pairs() -> usize {
    300_000
}
fn default_em_iter() -> usize {
    40
}
fn default_keep_edges() -> f64 {
    0.01
}

impl Default for ProbabilisticConfig {
    fn default() -> Self {
        ProbabilisticConfig {
            enabled: true,
            threshold: default_threshold(),
            comparisons: default_comparisons(),
            blocking: default_blocking(),
            max_block_size: default_max_block(),
            term_frequency: default_tf(),
            u_sample_pairs: default_u_pairs(),
            em_max_iterations: default_em_iter(),
            keep_edges_above: default_keep_edges(),
        }
    }
}

fn default_cannot_link() -> Vec<String> {
    vec!["national_id".into()]
}
fn default_family_guard() -> Vec<String> {
    vec!["email".into(), "phone".into(), "probabilistic".into()]
}
fn default_max_cluster() -> usize {
    1000
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
            cannot_link: default_cannot_link(),
            family_guard: default_family_guard(),
            must_link: Vec::new(),
            max_cluster_size: default_max_cluster(),
            probabilistic: ProbabilisticConfig::default(),
        }
    }
}
