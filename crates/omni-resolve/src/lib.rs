//! # omni-resolve
//!
//! The identity engine: which records of which channels are the same customer.
//!
//! This release links records deterministically on strong identifiers (loyalty card,
//! account and device ids, national id, email match key, E.164 phone) with union-find, with
//! guards against over-merging: blocked values and values shared by implausibly many records
//! link nothing. Every candidate link, kept or refused, is an `identity_edges` row with its
//! rule and reason. Customer ids survive rebuilds ([`stable_ids`]): a cluster inherits the
//! id of the previous snapshot's customer it overlaps most, merges keep the oldest id, splits
//! keep it on the largest part, and every event is recorded in `customer_id_history`. New
//! ids are derived from the smallest record key of the cluster (never from PII), so the same
//! records always get the same ids.
//!
//! Entry point: [`resolve`] over `source_records` batches.
//!
//! ```
//! use std::collections::HashMap;
//! use omni_resolve::{resolve, IdentityConfig};
//! # let batch = arrow::record_batch::RecordBatch::new_empty(omni_core::schema::source_records());
//! let r = resolve(&[batch], &IdentityConfig::default(), &HashMap::new(), None, "run-1").unwrap();
//! assert_eq!(r.identity_map.num_rows() as u64, r.stats.records);
//! ```

pub mod compare;
pub mod config;
pub mod deterministic;
pub mod error;
pub mod features;
pub mod guards;
pub mod probabilistic;
pub mod stable_ids;
pub mod union_find;

pub use config::{IdentityConfig, ProbabilisticConfig};
pub use deterministic::{
    ClusterSummary, EdgeSink, Resolution, ResolveStats, WeightBin, resolve, resolve_streaming,
    resolver_columns, resolver_input, validate,
};
pub use error::{Error, Result};
pub use probabilistic::Model;
pub use stable_ids::{IdStats, PreviousIds};
