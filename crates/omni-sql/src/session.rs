//! A DataFusion session over one snapshot.

use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion::prelude::{ParquetReadOptions, SessionConfig, SessionContext};

use crate::error::{Error, Result};

/// A session with every `<table>.parquet` of `dir` registered under its table name, and
/// omnicanal's SQL functions ([`crate::udf`]) set to the region the snapshot was built with.
pub async fn open_snapshot(dir: &Path) -> Result<SessionContext> {
    let ctx = new_context();
    register_dir(&ctx, dir).await?;
    crate::udf::register(&ctx, &snapshot_region(dir));
    Ok(ctx)
}

/// The `default_region` recorded in a snapshot's manifest (`ES` for snapshots without one).
fn snapshot_region(dir: &Path) -> String {
    std::fs::read_to_string(dir.join(crate::warehouse::MANIFEST))
        .ok()
        .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
        .and_then(|m| m["default_region"].as_str().map(str::to_string))
        .unwrap_or_else(|| "ES".to_string())
}

/// A session configured the way omnicanal runs queries (deterministic, 2 partitions max
/// on small machines is plenty; DataFusion picks the core count by default).
pub fn new_context() -> SessionContext {
    let cfg = SessionConfig::new().with_information_schema(true);
    SessionContext::new_with_config(cfg)
}

/// A session for the build's batch queries (profiles, RFM, segments, the run report):
/// Parquet strings are read as `Utf8`, not DataFusion's default `Utf8View`.
///
/// A view array taken or sorted points at every data buffer of its input, and the chains
/// of sorts and joins of the profile queries multiply that: at 10 M records the RFM query's
/// final `ORDER BY customer_id` took 77 s and 11.8 GB with views, 5.5 s and 1.3 GB with
/// `Utf8` (same output). Analysts' sessions ([`new_context`]) keep views.
pub fn new_build_context() -> SessionContext {
    let mut cfg = SessionConfig::new().with_information_schema(true);
    cfg.options_mut().execution.parquet.schema_force_view_types = false;
    SessionContext::new_with_config(cfg)
}

/// Registers every Parquet file of `dir` as a table named after the file.
pub async fn register_dir(ctx: &SessionContext, dir: &Path) -> Result<Vec<String>> {
    let rd = std::fs::read_dir(dir).map_err(|source| Error::Io {
        path: dir.to_path_buf(),
        source,
    })?;
    let mut names = Vec::new();
    let mut files: Vec<_> = rd.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    files.sort();
    for p in files {
        if p.extension().and_then(|e| e.to_str()) != Some("parquet") {
            continue;
        }
        let Some(name) = p.file_stem().and_then(|s| s.to_str()) else {
            continue;
        };
        register_parquet(ctx, name, &p).await?;
        names.push(name.to_string());
    }
    Ok(names)
}

/// Registers (or replaces) one Parquet file as a table.
pub async fn register_parquet(ctx: &SessionContext, name: &str, path: &Path) -> Result<()> {
    let _ = ctx.deregister_table(name);
    let p = path
        .to_str()
        .ok_or_else(|| Error::Usage(format!("path {} is not valid UTF-8", path.display())))?;
    ctx.register_parquet(name, p, ParquetReadOptions::default())
        .await?;
    Ok(())
}

/// The tables a session knows (public schema), sorted.
pub fn table_names(ctx: &SessionContext) -> Vec<String> {
    let mut names: Vec<String> = ctx
        .catalog("datafusion")
        .and_then(|c| c.schema("public"))
        .map(|s| s.table_names())
        .unwrap_or_default();
    names.sort();
    names
}

/// Runs one SQL statement and collects the result. Errors name the missing table and the
/// closest existing one.
pub async fn query(ctx: &SessionContext, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>)> {
    let run = async {
        let df = ctx.sql(sql).await?;
        let schema: SchemaRef = df.schema().inner().clone();
        let batches = df.collect().await?;
        Ok::<_, Error>((schema, batches))
    };
    run.await.map_err(|e| match e {
        Error::Query { message } => Error::Query {
            message: with_table_hint(ctx, &message),
        },
        other => other,
    })
}

fn with_table_hint(ctx: &SessionContext, message: &str) -> String {
    // DataFusion says: "table 'datafusion.public.profile' not found".
    let Some(start) = message.find("table '") else {
        return message.to_string();
    };
    let rest = &message[start + 7..];
    let Some(end) = rest.find('\'') else {
        return message.to_string();
    };
    if !rest[end..].starts_with("' not found") {
        return message.to_string();
    }
    let missing = rest[..end].rsplit('.').next().unwrap_or(&rest[..end]);
    let names = table_names(ctx);
    let hint = omni_core::suggest(missing, names.iter().map(String::as_str))
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default();
    format!("{message}{hint} (tables: {})", names.join(", "))
}
