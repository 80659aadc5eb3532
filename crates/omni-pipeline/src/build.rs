//! `omni build`: ingest → resolve → profiles → RFM → segments → publish → exports.
//!
//! Everything is written into a staging directory of the warehouse; only a complete snapshot
//! is renamed into `snapshots/` and published by replacing `CURRENT`, so a failure at any
//! point leaves the previously published snapshot as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use chrono::{DateTime, Utc};
use omni_core::{schema, table};
use omni_ingest::normalize::PhoneNormalizer;
use omni_ingest::{MapOptions, SourceStats};
use omni_resolve::ResolveStats;
use omni_sql::Warehouse;
use rayon::prelude::*;
use serde::Serialize;

use crate::error::{Error, Result, io};
use crate::lock::BuildLock;
use crate::parquet_io;
use crate::report::{self, Baseline, DriftThresholds, DriftWarning, RunReport, StageStat};
use crate::runs::{self, RunRow};
use crate::validate::{Pipeline, normalized_blocked};

/// Receives stage events of a build (the CLI shows them as progress).
pub trait Progress: Send + Sync {
    /// A stage starts.
    fn start(&self, stage: &str);
    /// A stage ended after `secs` seconds; `detail` says what it did.
    fn done(&self, stage: &str, secs: f64, detail: &str);
    /// Within a stage: `done` of `total` units (sources, for ingest) are finished.
    fn step(&self, _stage: &str, _done: u64, _total: u64) {}
}

/// Options of one build.
#[derive(Clone, Default)]
pub struct BuildOptions {
    /// Overrides the pipeline file's `warehouse`.
    pub warehouse: Option<PathBuf>,
    /// Stage events, if anyone listens.
    pub progress: Option<Arc<dyn Progress>>,
}

impl std::fmt::Debug for BuildOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BuildOptions")
            .field("warehouse", &self.warehouse)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

/// What a build did; also written to the snapshot as `manifest.json`.
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub run_id: String,
    pub pipeline: String,
    pub warehouse: PathBuf,
    pub snapshot: PathBuf,
    pub started_at: String,
    pub finished_at: String,
    pub config_hash: String,
    /// Region of phone numbers without a country code (used by `normalize_phone` in SQL).
    pub default_region: String,
    pub as_of: String,
    pub sources: Vec<SourceStats>,
    pub identity: ResolveStats,
    /// Rows per table.
    pub tables: BTreeMap<String, u64>,
    pub segments: Vec<omni_profile::segments::SegmentSize>,
    pub exports: Vec<ExportResult>,
    /// Seconds per stage.
    pub timings: Vec<(String, f64)>,
    /// Wall and CPU time and peak memory per stage.
    pub stages: Vec<StageStat>,
    /// Highest resident set size of the build, in bytes.
    pub peak_rss_bytes: u64,
    /// Sharp changes from the previous run (also in the run report).
    pub warnings: Vec<DriftWarning>,
    /// The run report inside the snapshot (`report.html`, beside `report.json`).
    pub report_html: PathBuf,
}

/// One export written after the build.
#[derive(Debug, Clone, Serialize)]
pub struct ExportResult {
    pub name: String,
    pub path: PathBuf,
    pub rows: u64,
}

impl BuildReport {
    pub fn rows_read(&self) -> u64 {
        self.sources.iter().map(|s| s.rows_read).sum()
    }
    pub fn accepted(&self) -> u64 {
        self.sources.iter().map(|s| s.accepted).sum()
    }
    pub fn rejected(&self) -> u64 {
        self.sources.iter().map(|s| s.rejected).sum()
    }
}

/// Times the stages: wall time, the process's CPU time and its peak memory after each, in a
/// `tracing` span per stage.
struct Timer {
    timings: Vec<(String, f64)>,
    stages: Vec<StageStat>,
    t: Instant,
    cpu: f64,
    span: tracing::Span,
    progress: Option<Arc<dyn Progress>>,
}

impl Timer {
    fn new(progress: Option<Arc<dyn Progress>>) -> Self {
        Timer {
            timings: Vec::new(),
            stages: Vec::new(),
            t: Instant::now(),
            cpu: 0.0,
            span: tracing::Span::none(),
            progress,
        }
    }

    fn start(&mut self, stage: &str) {
        self.t = Instant::now();
        self.cpu = report::resource_usage().1;
        self.span = tracing::info_span!(
            "stage",
            stage,
            wall_secs = tracing::field::Empty,
            cpu_secs = tracing::field::Empty,
            max_rss_mb = tracing::field::Empty
        );
        tracing::debug!(parent: &self.span, "stage starts");
        if let Some(p) = &self.progress {
            p.start(stage);
        }
    }

    fn lap(&mut self, stage: &str, detail: &str) {
        let secs = self.t.elapsed().as_secs_f64();
        let (rss, cpu_now) = report::resource_usage();
        let cpu = (cpu_now - self.cpu).max(0.0);
        self.timings.push((stage.to_string(), secs));
        self.stages.push(StageStat {
            stage: stage.to_string(),
            wall_secs: secs,
            cpu_secs: cpu,
            max_rss_bytes: rss,
        });
        let rss_mb = rss / (1024 * 1024);
        self.span.record("wall_secs", secs);
        self.span.record("cpu_secs", cpu);
        self.span.record("max_rss_mb", rss_mb);
        tracing::info!(parent: &self.span, secs, cpu_secs = cpu, max_rss_mb = rss_mb, detail, "stage done");
        if let Some(p) = &self.progress {
            p.done(stage, secs, detail);
        }
    }
}

fn run_id(now: DateTime<Utc>, config_hash: &str) -> String {
    format!("{}-{}", now.format("%Y%m%dT%H%M%S%3fZ"), &config_hash[..8])
}

async fn write_frame(df: datafusion::dataframe::DataFrame, path: &Path) -> Result<u64> {
    use futures::StreamExt;
    // Batch by batch as the query makes them: the result (10 M records: tens of millions of
    // timeline events) is never held whole next to the query's own state.
    let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
    let mut stream = df.execute_stream().await?;
    let mut out = parquet_io::PartWriter::create(path, &schema)?;
    while let Some(batch) = stream.next().await {
        out.write(&batch?)?;
    }
    out.finish_synced()
}

/// Runs a validated pipeline and publishes a new snapshot.
pub async fn build(p: &Pipeline, opts: &BuildOptions) -> Result<BuildReport> {
    let started = Utc::now();
    let spec = &p.spec;
    let wh_dir = p.warehouse_dir(opts.warehouse.as_deref());
    let _lock = BuildLock::acquire(&wh_dir)?;
    let wh = Warehouse::new(&wh_dir);
    let snapshots = wh.snapshots_dir();
    std::fs::create_dir_all(&snapshots).map_err(io(&snapshots))?;
    // Leftovers of builds that were killed: safe to remove, we hold the lock.
    for e in std::fs::read_dir(&snapshots)
        .map_err(io(&snapshots))?
        .flatten()
    {
        if e.file_name()
            .to_string_lossy()
            .starts_with(omni_sql::warehouse::STAGING_PREFIX)
        {
            tracing::warn!(dir = %e.path().display(), "removing an unfinished snapshot of an earlier build");
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
    let previous = wh.current()?;
    let mut id = run_id(started, &p.config_hash);
    while wh.snapshot_dir(&id).exists() {
        id.push('x');
    }
    let staging = wh.staging_dir(&id);
    std::fs::create_dir_all(&staging).map_err(io(&staging))?;
    let result = build_into(
        p,
        &wh,
        &staging,
        &id,
        previous.as_deref(),
        started,
        opts.progress.clone(),
    )
    .await;
    let mut report = match result {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // Publish: the snapshot directory appears whole (rename), then CURRENT moves to it.
    let final_dir = wh.snapshot_dir(&id);
    std::fs::rename(&staging, &final_dir).map_err(io(&final_dir))?;
    wh.publish(&id)?;
    report.report_html = final_dir.join(report::REPORT_HTML);
    report.snapshot = final_dir;
    report.warehouse = wh_dir.clone();
    prune(&wh, spec.pipeline.keep_snapshots, &id)?;
    // Exports read the published snapshot.
    report.exports = crate::export::run_exports(p, &wh).await?;
    Ok(report)
}

/// Deletes the oldest snapshots beyond `keep`, never the published one.
fn prune(wh: &Warehouse, keep: usize, current: &str) -> Result<()> {
    let all = wh.snapshots()?;
    let excess = all.len().saturating_sub(keep);
    for old in all.iter().take(excess).filter(|s| s.as_str() != current) {
        let d = wh.snapshot_dir(old);
        tracing::info!(snapshot = %old, "pruning old snapshot");
        std::fs::remove_dir_all(&d).map_err(io(&d))?;
    }
    Ok(())
}

/// One source's ingest output while it is made: its records and transactions written to
/// Parquet parts, the columns the resolver reads kept in memory.
struct SourceParts<'a> {
    records: parquet_io::PartWriter,
    transactions: parquet_io::PartWriter,
    resolver_input: Vec<RecordBatch>,
    identity: &'a omni_resolve::IdentityConfig,
}

/// What ingest kept of one source.
struct IngestedSource {
    records_part: PathBuf,
    transactions_part: PathBuf,
    resolver_input: Vec<RecordBatch>,
    rejects: RecordBatch,
    stats: SourceStats,
}

impl<'a> SourceParts<'a> {
    fn create(
        dir: &Path,
        index: usize,
        identity: &'a omni_resolve::IdentityConfig,
    ) -> Result<Self> {
        Ok(SourceParts {
            records: parquet_io::PartWriter::create(
                &dir.join(format!("{index:04}.{}.parquet", table::SOURCE_RECORDS)),
                &schema::source_records(),
            )?,
            transactions: parquet_io::PartWriter::create(
                &dir.join(format!("{index:04}.{}.parquet", table::TRANSACTIONS)),
                &schema::transactions(),
            )?,
            resolver_input: Vec::new(),
            identity,
        })
    }

    fn write(&mut self, part: omni_ingest::Part) -> Result<()> {
        for records in part.records.iter().filter(|b| b.num_rows() > 0) {
            self.records.write(records)?;
            self.resolver_input
                .push(omni_resolve::resolver_input(records, self.identity)?);
        }
        for transactions in &part.transactions {
            self.transactions.write(transactions)?;
        }
        Ok(())
    }

    fn finish(self, rejects: RecordBatch, stats: SourceStats) -> Result<IngestedSource> {
        let (records_part, _) = self.records.finish()?;
        let (transactions_part, _) = self.transactions.finish()?;
        Ok(IngestedSource {
            records_part,
            transactions_part,
            resolver_input: self.resolver_input,
            rejects,
            stats,
        })
    }
}

async fn build_into(
    p: &Pipeline,
    wh: &Warehouse,
    staging: &Path,
    run_id: &str,
    previous: Option<&str>,
    started: DateTime<Utc>,
    progress: Option<Arc<dyn Progress>>,
) -> Result<BuildReport> {
    let spec = &p.spec;
    let mut timer = Timer::new(progress);
    timer.start("ingest");
    let mut tables: BTreeMap<String, u64> = BTreeMap::new();
    let file = |t: &str| staging.join(format!("{t}.parquet"));

    // Ingest: sources in parallel, each source's files in parallel.
    let map_opts = MapOptions {
        phone: PhoneNormalizer::new(&spec.pipeline.default_region).map_err(Error::Internal)?,
        currency: spec.pipeline.default_currency.clone(),
    };
    let sources_done = std::sync::atomic::AtomicU64::new(0);
    let total_sources = spec.source.len() as u64;
    let step_progress = timer.progress.clone();
    // Sources whose files are unchanged since the published snapshot are reused from it.
    let incremental =
        crate::incremental::Incremental::new(previous.map(|prev| wh.snapshot_dir(prev)));
    // Each source's records and transactions are written to Parquet parts of their own as
    // its blocks are mapped, keeping only the columns the resolver reads; the parts are then
    // joined, in source order, without decoding them. Memory is bounded by blocks, not by
    // the size of the exports.
    let parts_dir = staging.join(".ingest");
    std::fs::create_dir_all(&parts_dir).map_err(io(&parts_dir))?;
    let ingested: Vec<IngestedSource> = spec
        .source
        .par_iter()
        .enumerate()
        .map(|(i, s)| {
            let mut parts = SourceParts::create(&parts_dir, i, &spec.identity)?;
            let (rejects, stats) = incremental.ingest(p, s, &map_opts, |part| parts.write(part))?;
            let out = parts.finish(rejects, stats)?;
            let done = sources_done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            if let Some(p) = &step_progress {
                p.step("ingest", done, total_sources);
            }
            Ok(out)
        })
        .collect::<Result<_>>()?;
    let sources: Vec<SourceStats> = ingested.iter().map(|m| m.stats.clone()).collect();
    for s in &sources {
        if s.rows_read != s.accepted + s.rejected {
            return Err(Error::Internal(format!(
                "source {}: {} rows read but {} accepted + {} rejected",
                s.source, s.rows_read, s.accepted, s.rejected
            )));
        }
    }
    let records_parts: Vec<PathBuf> = ingested.iter().map(|m| m.records_part.clone()).collect();
    let tx_parts: Vec<PathBuf> = ingested
        .iter()
        .map(|m| m.transactions_part.clone())
        .collect();
    let (written_records, written_txs) = rayon::join(
        || parquet_io::concat(&records_parts, &file(table::SOURCE_RECORDS)),
        || parquet_io::concat(&tx_parts, &file(table::TRANSACTIONS)),
    );
    tables.insert(table::SOURCE_RECORDS.into(), written_records?);
    tables.insert(table::TRANSACTIONS.into(), written_txs?);
    std::fs::remove_dir_all(&parts_dir).map_err(io(&parts_dir))?;
    let mut rejects = Vec::with_capacity(ingested.len());
    let mut records = Vec::new();
    for m in ingested {
        rejects.push(m.rejects);
        records.extend(m.resolver_input);
    }
    tables.insert(
        table::REJECTS.into(),
        parquet_io::write(&file(table::REJECTS), &schema::rejects(), &rejects)?,
    );
    drop(rejects);
    let (read, rejected): (u64, u64) = sources
        .iter()
        .fold((0, 0), |(a, b), s| (a + s.rows_read, b + s.rejected));
    incremental.write_manifest(staging)?;
    timer.lap(
        "ingest",
        &format!(
            "{read} rows read, {rejected} rejected, {} sources ({} unchanged, reused)",
            sources.len(),
            incremental.reused()
        ),
    );

    // Resolve.
    timer.start("resolve");
    let blocked = normalized_blocked(p);
    // Ids carry over from the published snapshot (a missing table: a first build, or a
    // snapshot from before customer_id_history existed).
    let read_prev = |t: &str| -> Result<Vec<RecordBatch>> {
        match previous {
            Some(prev) => {
                let f = wh.snapshot_dir(prev).join(format!("{t}.parquet"));
                if f.is_file() {
                    parquet_io::read(&f)
                } else {
                    Ok(Vec::new())
                }
            }
            None => Ok(Vec::new()),
        }
    };
    let prev_map = read_prev(table::IDENTITY_MAP)?;
    let prev_hist = read_prev(table::CUSTOMER_ID_HISTORY)?;
    let prev_ids = previous.map(|_| omni_resolve::PreviousIds {
        identity_map: &prev_map,
        history: &prev_hist,
    });
    // The edges (tens of millions at 10 M records) are written as they are made.
    let mut edges =
        parquet_io::PartWriter::create(&file(table::IDENTITY_EDGES), &schema::identity_edges())?;
    let mut edge_error = None;
    let res = omni_resolve::resolve_streaming(
        &records,
        &spec.identity,
        &blocked,
        prev_ids,
        run_id,
        &mut |batch| {
            edges.write(&batch).map_err(|e| {
                let message = e.to_string();
                edge_error = Some(e);
                omni_resolve::Error::Sink(message)
            })
        },
    );
    let res = match (res, edge_error) {
        (Err(_), Some(e)) => return Err(e),
        (res, _) => res?,
    };
    drop(records);
    tables.insert(table::IDENTITY_EDGES.into(), edges.finish_synced()?);
    tables.insert(
        table::CUSTOMER_ID_HISTORY.into(),
        parquet_io::write(
            &file(table::CUSTOMER_ID_HISTORY),
            &schema::customer_id_history(),
            std::slice::from_ref(&res.history),
        )?,
    );
    tables.insert(
        table::IDENTITY_MAP.into(),
        parquet_io::write(
            &file(table::IDENTITY_MAP),
            &schema::identity_map(),
            std::slice::from_ref(&res.identity_map),
        )?,
    );
    let identity = res.stats.clone();
    drop(res);
    timer.lap(
        "resolve",
        &format!(
            "{} records → {} customers",
            identity.records, identity.customers
        ),
    );
    timer.start("profiles");

    // Profiles and RFM, in SQL over what was just written.
    let ctx = omni_sql::new_build_context();
    omni_sql::register_dir(&ctx, staging).await?;
    omni_sql::udf::register(&ctx, &spec.pipeline.default_region);
    let as_of = spec
        .rfm
        .as_of_date(started.date_naive())
        .map_err(|m| Error::Config {
            file: p.file.clone(),
            problems: vec![m],
        })?;
    let profiles = omni_profile::golden::profiles(&ctx, as_of, &spec.profile).await?;
    tables.insert(
        table::PROFILES.into(),
        write_frame(profiles, &file(table::PROFILES)).await?,
    );
    omni_sql::register_parquet(&ctx, table::PROFILES, &file(table::PROFILES)).await?;
    let contacts = omni_profile::contact_points::contact_points(&ctx).await?;
    tables.insert(
        table::CONTACT_POINTS.into(),
        parquet_io::write(
            &file(table::CONTACT_POINTS),
            &schema::contact_points(),
            &contacts,
        )?,
    );
    drop(contacts);
    let events = omni_profile::timeline::events(&ctx).await?;
    tables.insert(
        table::CUSTOMER_EVENTS.into(),
        write_frame(events, &file(table::CUSTOMER_EVENTS)).await?,
    );
    omni_profile::joined::release_records(&ctx)?;
    timer.lap(
        "profiles",
        &format!(
            "{} profiles, {} events",
            tables[table::PROFILES],
            tables[table::CUSTOMER_EVENTS]
        ),
    );
    timer.start("rfm");
    let rfm = omni_profile::rfm::rfm(&ctx, as_of, &spec.rfm.rules()).await?;
    tables.insert(
        table::RFM.into(),
        write_frame(rfm, &file(table::RFM)).await?,
    );
    omni_sql::register_parquet(&ctx, table::RFM, &file(table::RFM)).await?;
    tables.insert(
        table::RFM_CUT_POINTS.into(),
        parquet_io::write(
            &file(table::RFM_CUT_POINTS),
            &schema::rfm_cut_points(),
            &omni_profile::rfm::cut_points(&ctx).await?,
        )?,
    );
    // Segment SQL sees the warehouse tables only, not the profile stage's joined views.
    omni_profile::joined::release(&ctx)?;
    timer.lap("rfm", &format!("{} customers scored", tables[table::RFM]));
    timer.start("segments");

    // Segments see the new profiles and rfm (registered above, after they were written).
    let prev_members = read_prev(table::SEGMENT_MEMBERSHIP)?;
    let (membership, segments) =
        omni_profile::segments::materialize(&ctx, &spec.segment, run_id, &prev_members).await?;
    tables.insert(
        table::SEGMENT_MEMBERSHIP.into(),
        parquet_io::write(
            &file(table::SEGMENT_MEMBERSHIP),
            &omni_profile::segments::membership_schema(),
            &[membership],
        )?,
    );
    timer.lap("segments", &format!("{} segments", segments.len()));

    // The run report, compared with the previous run's (read from the published snapshot).
    timer.start("report");
    let coverage = report::collect::coverage(&ctx).await?;
    let rfm_grid = report::collect::rfm_grid(&ctx).await?;
    let channel_overlap = report::collect::channel_overlap(&ctx).await?;
    let baseline = previous.and_then(|prev| {
        let dir = wh.snapshot_dir(prev);
        [report::REPORT_JSON, omni_sql::warehouse::MANIFEST]
            .iter()
            .find_map(|f| std::fs::read_to_string(dir.join(f)).ok())
            .and_then(|t| Baseline::from_json(&t))
    });
    let thresholds = DriftThresholds::default();
    let warnings = baseline
        .as_ref()
        .map(|b| report::drift(b, &sources, &identity, &thresholds))
        .unwrap_or_default();
    for w in &warnings {
        tracing::warn!(kind = %w.kind, subject = %w.subject, "drift: {}", w.message);
    }
    timer.lap(
        "report",
        &format!(
            "{} drift warning{}",
            warnings.len(),
            if warnings.len() == 1 { "" } else { "s" }
        ),
    );
    let run_report = RunReport {
        run_id: run_id.to_string(),
        pipeline: spec.pipeline.name.clone(),
        previous_run: previous.map(str::to_string),
        started_at: started.to_rfc3339(),
        finished_at: Utc::now().to_rfc3339(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        sources: sources.clone(),
        identity: identity.clone(),
        coverage,
        rfm: rfm_grid,
        segments: segments.clone(),
        channel_overlap,
        stages: timer.stages.clone(),
        peak_rss_bytes: report::resource_usage().0,
        drift_thresholds: thresholds,
        warnings: warnings.clone(),
    };
    for (name, text) in [
        (report::REPORT_JSON, report::to_json(&run_report)),
        (report::REPORT_HTML, report::html::render(&run_report)),
    ] {
        let path = staging.join(name);
        std::fs::write(&path, text).map_err(io(&path))?;
    }
    timer.start("publish");

    // Runs: the previous snapshot's history plus this run.
    let mut run_batches = Vec::new();
    if let Some(prev) = previous {
        let prev_runs = wh
            .snapshot_dir(prev)
            .join(format!("{}.parquet", table::RUNS));
        match parquet_io::read(&prev_runs) {
            Ok(b) if b.iter().all(|x| x.schema() == runs::schema()) => run_batches.extend(b),
            Ok(_) => {
                tracing::warn!("previous runs table has another layout; starting a new history")
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the previous runs table; starting a new history")
            }
        }
    }
    let finished = Utc::now();
    let row = RunRow {
        run_id: run_id.to_string(),
        pipeline: spec.pipeline.name.clone(),
        started_at_us: started.timestamp_micros(),
        finished_at_us: finished.timestamp_micros(),
        status: "success".into(),
        config_hash: p.config_hash.clone(),
        rows_read: sources.iter().map(|s| s.rows_read).sum(),
        accepted: sources.iter().map(|s| s.accepted).sum(),
        rejected: sources.iter().map(|s| s.rejected).sum(),
        records: identity.records,
        customers: identity.customers,
        transactions: tables[table::TRANSACTIONS],
        duration_ms: (finished - started).num_milliseconds().max(0) as u64,
        omni_version: env!("CARGO_PKG_VERSION").into(),
    };
    run_batches.push(runs::to_batch(&row));
    tables.insert(
        table::RUNS.into(),
        parquet_io::write(&file(table::RUNS), &runs::schema(), &run_batches)?,
    );
    timer.lap("publish", "");

    let report = BuildReport {
        run_id: run_id.to_string(),
        pipeline: spec.pipeline.name.clone(),
        warehouse: PathBuf::new(),
        snapshot: PathBuf::new(),
        started_at: started.to_rfc3339(),
        finished_at: finished.to_rfc3339(),
        config_hash: p.config_hash.clone(),
        default_region: spec.pipeline.default_region.clone(),
        as_of: as_of.format("%Y-%m-%d").to_string(),
        sources,
        identity,
        tables,
        segments,
        exports: Vec::new(),
        timings: timer.timings,
        stages: timer.stages,
        peak_rss_bytes: report::resource_usage().0,
        warnings,
        report_html: PathBuf::new(),
    };
    let manifest = staging.join(omni_sql::warehouse::MANIFEST);
    let json = serde_json::to_vec_pretty(&report).map_err(|e| Error::Internal(e.to_string()))?;
    std::fs::write(&manifest, json).map_err(io(&manifest))?;
    Ok(report)
}
