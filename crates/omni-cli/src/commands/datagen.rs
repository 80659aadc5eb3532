//! `omni datagen`: realistic channel exports with ground truth.

use std::path::PathBuf;

use clap::Args;
use omni_datagen::{Channel, GenOptions};

use super::Failure;

#[derive(Debug, Args)]
pub struct DatagenArgs {
    /// Number of persons to generate (each appears in ~8 records across channels).
    #[arg(long, default_value_t = 1000)]
    pub persons: u64,
    /// Seed: the same seed gives byte-identical files at any thread count.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Channels to generate, comma-separated: web, pos, loyalty, app, call_centre, messaging
    /// (default: all).
    #[arg(long, value_delimiter = ',', value_parser = parse_channel)]
    pub channels: Vec<Channel>,
    /// Share of deliberately malformed rows per file (listed in bad_rows.csv).
    #[arg(long, default_value_t = 0.0005)]
    pub bad_row_rate: f64,
}

fn parse_channel(s: &str) -> Result<Channel, String> {
    s.parse::<Channel>().map_err(|e| e.to_string())
}

pub fn run(args: DatagenArgs, quiet: bool) -> Result<(), Failure> {
    if !(0.0..=0.5).contains(&args.bad_row_rate) {
        return Err(Failure::user("--bad-row-rate must be between 0 and 0.5"));
    }
    if args.persons == 0 {
        return Err(Failure::user("--persons must be at least 1"));
    }
    let opts = GenOptions {
        persons: args.persons,
        seed: args.seed,
        channels: args.channels,
        bad_row_rate: args.bad_row_rate,
    };
    let started = std::time::Instant::now();
    let summary = omni_datagen::generate(&opts, &args.out).map_err(Failure::from_error)?;
    let secs = started.elapsed().as_secs_f64();
    if !quiet {
        println!(
            "omni datagen: {} persons → {} records in {:.2}s ({:.0} records/s), {} bad rows",
            summary.persons,
            summary.records,
            secs,
            summary.records as f64 / secs.max(1e-9),
            summary.bad_rows
        );
        for (file, rows, bytes) in &summary.files {
            println!("  {:<28} {:>10} rows {:>12} bytes", file, rows, bytes);
        }
        println!("written to {}", args.out.display());
    }
    Ok(())
}
