//! # omni-sql
//!
//! SQL over the warehouse with Apache DataFusion: a session over the published snapshot
//! ([`open_snapshot`], [`Warehouse`]), one-shot queries ([`query`]) and result formats
//! ([`output`]), and the PostgreSQL wire protocol server of `omni serve` ([`serve`]). Table
//! names are the product contract listed in `omni_core::table`.
//!
//! ```no_run
//! # async fn demo() -> omni_sql::Result<()> {
//! let wh = omni_sql::Warehouse::new("warehouse");
//! let ctx = omni_sql::open_snapshot(&wh.current_dir()?).await?;
//! let (schema, batches) = omni_sql::query(&ctx, "SELECT count(*) FROM profiles").await?;
//! omni_sql::output::write_results(omni_sql::output::Format::Table, &schema, &batches, std::io::stdout())?;
//! # Ok(()) }
//! ```

pub mod error;
pub mod explain;
pub mod output;
pub mod repl;
pub mod serve;
pub mod session;
pub mod udf;
pub mod warehouse;

pub use datafusion::prelude::SessionContext;
pub use error::{Error, Result};
pub use session::{
    new_build_context, new_context, open_snapshot, query, register_dir, register_parquet,
    table_names,
};
pub use warehouse::Warehouse;
