//! `omni runs` and `omni rollback`.

use std::io::Write;

use clap::Args;

use super::{Failure, WarehouseArg};

#[derive(Debug, Args)]
pub struct RunsArgs {
    #[command(flatten)]
    pub wh: WarehouseArg,
    /// Output format: table or json.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

#[derive(Debug, Args)]
pub struct RollbackArgs {
    /// The run id of the snapshot to publish (default: the one before the published one).
    pub run: Option<String>,
    #[command(flatten)]
    pub wh: WarehouseArg,
}

pub fn runs(args: RunsArgs) -> Result<(), Failure> {
    let list = omni_pipeline::snapshots::list(&args.wh.warehouse)?;
    if list.is_empty() {
        return Err(Failure::user(format!(
            "{} has no snapshot: run `omni build PIPELINE` first",
            args.wh.warehouse.display()
        )));
    }
    let mut out = std::io::stdout().lock();
    let res = if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &list)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        (|| {
            writeln!(
                out,
                "  {:<30} {:<14} {:>10} {:>9} {:>9} {:>10} {:>8}",
                "run", "pipeline", "rows read", "rejected", "records", "customers", "seconds"
            )?;
            for s in &list {
                writeln!(
                    out,
                    "{} {:<30} {:<14} {:>10} {:>9} {:>9} {:>10} {:>8.2}",
                    if s.published { "*" } else { " " },
                    s.run_id,
                    s.pipeline,
                    s.rows_read,
                    s.rejected,
                    s.records,
                    s.customers,
                    s.seconds
                )?;
            }
            writeln!(out, "(* published)")
        })()
    };
    res.map_err(|e| Failure::internal(format!("cannot write: {e}")))
}

pub fn rollback(args: RollbackArgs) -> Result<(), Failure> {
    let run = omni_pipeline::snapshots::rollback(&args.wh.warehouse, args.run.as_deref())?;
    println!(
        "published snapshot {run} of {}",
        args.wh.warehouse.display()
    );
    Ok(())
}
