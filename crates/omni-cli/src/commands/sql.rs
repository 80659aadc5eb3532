//! `omni sql`.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Args;
use omni_sql::Warehouse;
use omni_sql::output::{Format, write_results};

use super::Failure;

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The SQL query (one statement). Without it, the query is read from standard input.
    pub query: Option<String>,
    #[arg(
        long,
        value_name = "DIR",
        env = "OMNI_WAREHOUSE",
        default_value = "warehouse"
    )]
    /// Warehouse directory.
    pub warehouse: PathBuf,
    /// Output format: table, csv, json (an array of objects) or parquet.
    #[arg(long, short = 'f', default_value = "table", value_parser = parse_format)]
    pub format: Format,
    /// Write the result to FILE instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    s.parse()
}

pub async fn run(args: SqlArgs) -> Result<(), Failure> {
    let query = match args.query {
        Some(q) => q,
        None => {
            let stdin = std::io::stdin();
            if stdin.is_terminal() {
                return Err(Failure::user(
                    "no query given: pass it as an argument (omni sql \"SELECT ...\") or on standard input",
                ));
            }
            let mut q = String::new();
            stdin.lock().read_to_string(&mut q).map_err(|e| {
                Failure::user(format!("cannot read the query from standard input: {e}"))
            })?;
            q
        }
    };
    if query.trim().is_empty() {
        return Err(Failure::user("the query is empty"));
    }
    if args.format == Format::Parquet && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Failure::user(
            "parquet output is binary: write it to a file with -o FILE (or redirect standard output)",
        ));
    }
    let wh = Warehouse::new(&args.warehouse);
    let ctx = omni_sql::open_snapshot(&wh.current_dir()?).await?;
    let (schema, batches) = omni_sql::query(&ctx, &query).await?;
    match &args.output {
        Some(path) => {
            let f = std::fs::File::create(path)
                .map_err(|e| Failure::user(format!("cannot create {}: {e}", path.display())))?;
            write_results(args.format, &schema, &batches, std::io::BufWriter::new(f))?;
        }
        None => {
            write_results(
                args.format,
                &schema,
                &batches,
                std::io::BufWriter::new(std::io::stdout()),
            )?;
            let _ = std::io::stdout().flush();
        }
    }
    Ok(())
}
