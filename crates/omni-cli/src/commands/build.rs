//! `omni build`.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::Args;
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressBar, ProgressStyle};
use omni_pipeline::{BuildOptions, BuildReport, Progress};

use super::Failure;

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The pipeline file (pipelines/*.toml).
    pub pipeline: PathBuf,
    /// Warehouse directory; overrides the pipeline file's `warehouse`.
    #[arg(long, value_name = "DIR")]
    pub warehouse: Option<PathBuf>,
    /// Print the run report as JSON instead of the summary.
    #[arg(long)]
    pub json: bool,
    /// Validate the pipeline file and its inputs, then stop without building.
    #[arg(long)]
    pub check: bool,
    /// Also copy the run's HTML report (always written into the snapshot as report.html)
    /// to PATH (a file, or a directory to put report.html in).
    #[arg(long, value_name = "PATH")]
    pub report: Option<PathBuf>,
}

/// Stage progress on a terminal: a spinner per stage (a bar where the stage counts its units,
/// like ingest's sources), left as a ✓ line when it ends.
#[derive(Default)]
struct Spinners {
    current: Mutex<Option<ProgressBar>>,
}

impl Progress for Spinners {
    fn start(&self, stage: &str) {
        let bar = ProgressBar::new_spinner().with_message(format!("{stage}…"));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            bar.set_style(style);
        }
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        if let Ok(mut c) = self.current.lock() {
            *c = Some(bar);
        }
    }

    fn done(&self, stage: &str, secs: f64, detail: &str) {
        if let Ok(mut c) = self.current.lock()
            && let Some(bar) = c.take()
        {
            bar.set_style(ProgressStyle::default_spinner());
            bar.finish_with_message(format!("✓ {stage:<9} {secs:>6.2}s  {detail}"));
        }
    }

    fn step(&self, stage: &str, done: u64, total: u64) {
        if let Ok(c) = self.current.lock()
            && let Some(bar) = c.as_ref()
        {
            if bar.length() != Some(total) {
                bar.set_length(total);
                if let Ok(style) =
                    ProgressStyle::with_template("{spinner} {msg} [{bar:30}] {pos}/{len} {elapsed}")
                {
                    bar.set_style(style.progress_chars("=> "));
                }
                bar.set_message(format!("{stage}…"));
            }
            bar.set_position(done);
        }
    }
}

/// Stage progress when standard error is not a terminal: one plain line per stage.
struct PlainLines;

impl Progress for PlainLines {
    fn start(&self, _stage: &str) {}

    fn done(&self, stage: &str, secs: f64, detail: &str) {
        let sep = if detail.is_empty() { "" } else { ": " };
        eprintln!("omni build: {stage} done in {secs:.2}s{sep}{detail}");
    }
}

/// Where `--report PATH` puts the HTML: PATH itself, or PATH/report.html for a directory.
/// Checked before the build, so a typo does not cost a whole build.
fn report_destination(path: &Path) -> Result<PathBuf, Failure> {
    if path.is_dir() {
        return Ok(path.join(omni_pipeline::report::REPORT_HTML));
    }
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        return Err(Failure::user(format!(
            "--report {}: directory {} does not exist; create it or choose another path",
            path.display(),
            parent.display()
        )));
    }
    Ok(path.to_path_buf())
}

/// Stage progress: none with `-q`; with `-v` the log lines (tracing, with the stages'
/// timings) say it all; otherwise spinners on a terminal, plain lines elsewhere.
fn progress_for(quiet: bool, verbose: u8) -> Option<Arc<dyn Progress>> {
    if quiet || verbose > 0 {
        None
    } else if std::io::stderr().is_terminal() {
        Some(Arc::new(Spinners::default()))
    } else {
        Some(Arc::new(PlainLines))
    }
}

pub async fn run(args: BuildArgs, quiet: bool, verbose: u8) -> Result<(), Failure> {
    let report_to = args.report.as_deref().map(report_destination).transpose()?;
    let p = omni_pipeline::load(&args.pipeline)?;
    if args.check {
        if !quiet {
            println!(
                "{}: valid ({} sources, {} files, {} segments, {} exports)",
                args.pipeline.display(),
                p.spec.source.len(),
                p.files.iter().map(Vec::len).sum::<usize>(),
                p.spec.segment.len(),
                p.spec.export.len()
            );
        }
        return Ok(());
    }
    let report = omni_pipeline::build(
        &p,
        &BuildOptions {
            warehouse: args.warehouse.clone(),
            progress: progress_for(quiet, verbose),
        },
    )
    .await?;
    if !quiet {
        for w in &report.warnings {
            eprintln!("warning: drift: {}", w.message);
        }
    }
    if let Some(dest) = &report_to {
        std::fs::copy(&report.report_html, dest).map_err(|e| {
            Failure::user(format!(
                "the build succeeded and was published, but the report could not be copied to {}: {e}; it is in {}",
                dest.display(),
                report.report_html.display()
            ))
        })?;
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(|e| Failure::user(format!("cannot write the report: {e}")))?;
        let _ = writeln!(out);
    } else if !quiet {
        let _ = print_summary(&mut out, &report);
        if !report.warnings.is_empty() {
            let _ = writeln!(
                out,
                "{} drift warning{} against the previous run (see the report)",
                report.warnings.len(),
                if report.warnings.len() == 1 { "" } else { "s" }
            );
        }
        let _ = writeln!(out, "report: {}", report.report_html.display());
        if let Some(dest) = &report_to {
            let _ = writeln!(out, "report copied to {}", dest.display());
        }
    }
    Ok(())
}

fn shell_quote(p: &std::path::Path) -> String {
    let s = p.display().to_string();
    if s.chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        s
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// How the user ran us, so the printed follow-up commands can be pasted as they are
/// (`target/debug/omni` under `cargo run`, `omni` when installed on the PATH).
fn program_name() -> String {
    let arg0 = std::env::args().next().unwrap_or_default();
    let path = std::path::Path::new(&arg0);
    if arg0.contains('/') {
        let cwd = std::env::current_dir().ok();
        let rel = cwd
            .as_deref()
            .and_then(|c| path.strip_prefix(c).ok())
            .map(|r| r.to_path_buf())
            .unwrap_or_else(|| path.to_path_buf());
        let s = shell_quote(&rel);
        if rel.is_relative() && !s.starts_with('.') && !s.starts_with('\'') {
            format!("./{s}")
        } else {
            s
        }
    } else {
        "omni".into()
    }
}

fn print_summary(out: &mut impl Write, r: &BuildReport) -> std::io::Result<()> {
    writeln!(
        out,
        "omni build: pipeline {} — run {}",
        r.pipeline, r.run_id
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "{:<24} {:>6} {:>10} {:>10} {:>10} {:>13}",
        "source", "files", "rows read", "accepted", "rejected", "transactions"
    )?;
    for s in &r.sources {
        writeln!(
            out,
            "{:<24} {:>6} {:>10} {:>10} {:>10} {:>13}",
            s.source, s.files, s.rows_read, s.accepted, s.rejected, s.transactions
        )?;
    }
    writeln!(
        out,
        "{:<24} {:>6} {:>10} {:>10} {:>10} {:>13}",
        "total",
        r.sources.iter().map(|s| s.files).sum::<usize>(),
        r.rows_read(),
        r.accepted(),
        r.rejected(),
        r.sources.iter().map(|s| s.transactions).sum::<u64>()
    )?;
    writeln!(out)?;
    let links: Vec<String> = r
        .identity
        .links_by_rule
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    writeln!(
        out,
        "identity: {} records → {} customers (largest cluster {} records)",
        r.identity.records, r.identity.customers, r.identity.largest_cluster
    )?;
    writeln!(
        out,
        "  links kept: {}",
        if links.is_empty() {
            "none".into()
        } else {
            links.join(", ")
        }
    )?;
    if !r.identity.rejected_by_rule.is_empty() {
        let refused: Vec<String> = r
            .identity
            .rejected_by_rule
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(
            out,
            "  links refused (blocked or generic values, guards, below the threshold): {}",
            refused.join(", ")
        )?;
    }
    if !r.identity.guard_actions.is_empty() {
        let guards: Vec<String> = r
            .identity
            .guard_actions
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(out, "  guards: {}", guards.join(", "))?;
    }
    if r.identity.pairs_scored > 0 {
        writeln!(
            out,
            "  probabilistic: {} candidate pairs scored",
            r.identity.pairs_scored
        )?;
    }
    let ids = &r.identity.ids;
    writeln!(
        out,
        "  customer ids: {} kept, {} new, {} merged, {} split, {} retired",
        ids.kept, ids.created, ids.merged, ids.split, ids.retired
    )?;
    writeln!(
        out,
        "profiles: {}   rfm: {}   segments: {}",
        r.tables.get("profiles").copied().unwrap_or(0),
        r.tables.get("rfm").copied().unwrap_or(0),
        r.segments
            .iter()
            .map(|x| format!("{} {} (+{} −{})", x.segment, x.members, x.entered, x.exited))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    for x in &r.exports {
        writeln!(
            out,
            "export {}: {} rows → {}",
            x.name,
            x.rows,
            x.path.display()
        )?;
    }
    let secs: f64 = r.timings.iter().map(|(_, s)| s).sum();
    writeln!(
        out,
        "stages: {} (total {secs:.2}s)",
        r.timings
            .iter()
            .map(|(n, s)| format!("{n} {s:.2}s"))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(out, "snapshot: {} (published)", r.snapshot.display())?;
    writeln!(out)?;
    let wh = shell_quote(&r.warehouse);
    let omni = program_name();
    if r.rejected() > 0 {
        writeln!(out, "{} rows were rejected; see why with:", r.rejected())?;
        writeln!(
            out,
            "  {omni} sql --warehouse {wh} \"SELECT source, file, line, reason FROM rejects ORDER BY source, line\""
        )?;
    }
    writeln!(out, "Query the customers:")?;
    writeln!(
        out,
        "  {omni} sql --warehouse {wh} \"SELECT rfm_segment, count(*) AS customers, sum(monetary) AS revenue FROM rfm GROUP BY rfm_segment ORDER BY customers DESC\""
    )?;
    Ok(())
}
