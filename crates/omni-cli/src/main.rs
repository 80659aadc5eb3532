//! `omni`: the omnicanal command line. Thin: parses arguments, calls the library crates,
//! prints results, and maps errors to exit codes (0 ok, 1 user error, 2 internal error).

mod commands;

use std::process::ExitCode;

use clap::{ArgAction, Parser, Subcommand};

/// omnicanal: a customer data platform with identity resolution.
///
/// Ingests channel exports (web shop, stores, app, call centre, messaging) through a
/// declarative pipeline file, resolves them into customers, builds golden profiles, RFM
/// scores and segments, and serves the result to SQL.
///
/// Exit codes: 0 success, 1 user error (bad pipeline file, missing input, bad SQL),
/// 2 internal error.
#[derive(Debug, Parser)]
#[command(name = "omni", version, propagate_version = true)]
struct Cli {
    /// More log output on stderr (-v: stage progress, -vv: debug).
    #[arg(short, long, action = ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a pipeline: ingest → resolve → profiles → RFM → segments, then publish a new
    /// warehouse snapshot atomically and write the pipeline's exports.
    Build(commands::build::BuildArgs),
    /// Generate realistic channel exports (web, POS, loyalty, app, call centre, messaging)
    /// with ground truth (truth.csv, truth_transactions.csv), deterministic for a seed.
    Datagen(commands::datagen::DatagenArgs),
    /// Compare a build's identity_map with ground truth: pairwise and B-cubed precision,
    /// recall and F1, persons resolved whole, cluster sizes, top confusions.
    Eval(commands::eval::EvalArgs),
    /// Explain how a customer was built (its records and the links that joined them), or with
    /// --records why two records are or are not one customer.
    Explain(commands::explain::ExplainArgs),
    /// Export an audience (a segment or a query) as csv/parquet/jsonl or in the upload layout
    /// of Meta, Google Ads, Mailchimp or Klaviyo; customers without consent are left out and
    /// counted; a manifest (PATH.manifest.json) gives counts, the query, the snapshot and
    /// checksums.
    Export(commands::export::ExportArgs),
    /// List the warehouse's snapshots (one per successful build), the published one starred.
    Runs(commands::runs::RunsArgs),
    /// Publish an earlier snapshot again (default: the one before the published one).
    Rollback(commands::runs::RollbackArgs),
    /// Run a SQL query over the published warehouse snapshot.
    ///
    /// Tables: source_records, transactions, rejects, identity_edges, identity_map,
    /// customer_id_history, profiles, contact_points, customer_events, rfm, rfm_cut_points,
    /// segment_membership, runs.
    Sql(commands::sql::SqlArgs),
    /// Serve the published snapshot over the PostgreSQL wire protocol, read-only (user
    /// `omni`, password from OMNI_SERVE_PASSWORD or --password-file); new connections see
    /// newly published snapshots without a restart. Stops on ctrl-c or SIGTERM.
    Serve(commands::serve::ServeArgs),
}

fn init_logging(cli: &Cli) {
    let level = if cli.quiet {
        "error"
    } else {
        match cli.verbose {
            0 => "warn",
            1 => "info",
            _ => "debug",
        }
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("OMNI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .init();
}

// mimalloc: many small strings are made and dropped on several threads at once (ingest,
// resolution); glibc's allocator spent a fifth of ingest's CPU on them.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // No transparent huge pages for this process. On machines where THP is `always`, the
    // kernel zeroed (and compacted for) 2 MB pages each time the allocator took fresh memory:
    // on 1M records, system time of the resolver fell from 3.5-4.3 s to 1.3 s and its wall
    // time by a fifth without them, with a lower peak RSS (BENCHMARKS.md, "Ingest").
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process's memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    // Like other Unix tools, stop quietly when the reader of our output goes away
    // (`omni sql ... | head`), instead of reporting a write error.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of SIGPIPE before any thread starts.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print and succeed; a usage error is a user error (1).
            let code = if e.use_stderr() { 1 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    init_logging(&cli);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        runtime.block_on(async {
            match cli.command {
                Command::Build(a) => commands::build::run(a, cli.quiet, cli.verbose).await,
                Command::Sql(a) => commands::sql::run(a).await,
                Command::Serve(a) => commands::serve::run(a).await,
                Command::Datagen(a) => commands::datagen::run(a, cli.quiet),
                Command::Eval(a) => commands::eval::run(a).await,
                Command::Explain(a) => commands::explain::run(a).await,
                Command::Export(a) => commands::export::run(a).await,
                Command::Runs(a) => commands::runs::runs(a),
                Command::Rollback(a) => commands::runs::rollback(a),
            }
        })
    }));
    match outcome {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(f)) => {
            eprintln!("error: {}", f.message);
            ExitCode::from(f.code)
        }
        Err(_) => {
            eprintln!("error: internal error (a bug in omni; the message above says where)");
            ExitCode::from(2)
        }
    }
}
