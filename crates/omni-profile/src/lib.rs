//! # omni-profile
//!
//! From resolved records to what marketing uses: golden [`profiles`](golden) (one row per
//! customer) and every [`contact_points`] entry behind them, the [`timeline`] of every
//! interaction, [`rfm`] scores, named segments and saved cut points, and SQL-defined
//! [`segments`]. The work is
//! SQL over the snapshot's tables in DataFusion: set-based, parallel, and readable by the
//! analysts who will ask how a value was chosen. Records and transactions are joined to
//! `identity_map` once per session and kept in memory ([`joined`]); the queries read those
//! views, and per-customer choices are aggregates rather than windows over every record.
//!
//! ```no_run
//! # async fn demo(ctx: datafusion::prelude::SessionContext) -> omni_profile::Result<()> {
//! use omni_profile::{golden, rfm, config::default_segment_rules};
//! let as_of = chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
//! let profiles = golden::profiles(&ctx, as_of, &Default::default()).await?; // needs source_records, identity_map, transactions
//! let scores = rfm::rfm(&ctx, as_of, &default_segment_rules()).await?;
//! # Ok(()) }
//! ```

pub mod config;
mod conform;
pub mod contact_points;
pub mod error;
pub mod golden;
pub mod joined;
pub mod rfm;
pub mod segments;
pub mod timeline;

pub use error::{Error, Result};
