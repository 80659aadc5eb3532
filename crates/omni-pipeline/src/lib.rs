//! # omni-pipeline
//!
//! The pipeline file and the build that runs it. [`load`] reads a `pipelines/*.toml` file
//! into a typed [`PipelineSpec`], validates it (keys, values, files, columns) and reports
//! every problem with the file, the key and the fix; [`build`] runs the stages
//! (`omni-ingest` → `omni-resolve` → `omni-profile`) and publishes an atomic warehouse
//! snapshot that `omni-sql` reads.
//!
//! ```no_run
//! # async fn demo() -> omni_pipeline::Result<()> {
//! let p = omni_pipeline::load(std::path::Path::new("pipelines/retail_demo.toml"))?;
//! let report = omni_pipeline::build(&p, &Default::default()).await?;
//! println!("{} customers in {}", report.identity.customers, report.snapshot.display());
//! # Ok(()) }
//! ```

pub mod audience;
pub mod build;
pub mod error;
pub mod export;
pub mod incremental;
pub mod lock;
pub mod parquet_io;
pub mod report;
pub mod runs;
pub mod snapshots;
pub mod spec;
pub mod validate;

pub use build::{BuildOptions, BuildReport, Progress, build};
pub use error::{Error, Result};
pub use spec::PipelineSpec;
pub use validate::{Pipeline, load, parse};
