//! `omni sql`: one query, a script on standard input, or an interactive shell.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;

use clap::Args;
use omni_sql::SessionContext;
use omni_sql::Warehouse;
use omni_sql::output::{Format, write_results};
use omni_sql::repl::{HELP, Input, StatementBuffer, describe_table, list_tables};

use super::{Failure, WarehouseArg};

#[derive(Debug, Args)]
pub struct SqlArgs {
    /// The SQL query (one statement). Without it: statements are read from standard input
    /// (a script, `;`-separated), or an interactive shell starts when standard input is a
    /// terminal (`\?` for help).
    pub query: Option<String>,
    #[command(flatten)]
    pub wh: WarehouseArg,
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
    if args.format == Format::Parquet && args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(Failure::user(
            "parquet output is binary: write it to a file with -o FILE (or redirect standard output)",
        ));
    }
    let wh = Warehouse::new(&args.wh.warehouse);
    let ctx = omni_sql::open_snapshot(&wh.current_dir()?).await?;
    match &args.query {
        Some(q) => {
            if q.trim().is_empty() {
                return Err(Failure::user("the query is empty"));
            }
            run_one(&ctx, q, args.format, args.output.as_ref()).await
        }
        None if std::io::stdin().is_terminal() => shell(&ctx, args.format).await,
        None => script(&ctx, &args).await,
    }
}

async fn run_one(
    ctx: &SessionContext,
    query: &str,
    format: Format,
    output: Option<&PathBuf>,
) -> Result<(), Failure> {
    let (schema, batches) = omni_sql::query(ctx, query).await?;
    match output {
        Some(path) => {
            let f = std::fs::File::create(path)
                .map_err(|e| Failure::user(format!("cannot create {}: {e}", path.display())))?;
            write_results(format, &schema, &batches, std::io::BufWriter::new(f))?;
        }
        None => {
            write_results(
                format,
                &schema,
                &batches,
                std::io::BufWriter::new(std::io::stdout()),
            )?;
            let _ = std::io::stdout().flush();
        }
    }
    Ok(())
}

/// Runs one statement or meta-command of a script or the shell.
async fn run_input(
    ctx: &SessionContext,
    input: Input,
    format: &mut Format,
) -> Result<bool, Failure> {
    match input {
        Input::Sql(q) => run_one(ctx, &q, *format, None).await.map(|_| true),
        Input::Meta(m) => {
            let mut parts = m.split_whitespace();
            match (parts.next().unwrap_or(""), parts.next()) {
                ("\\q", _) => return Ok(false),
                ("\\?", _) | ("\\h", _) => println!("{HELP}"),
                ("\\d", None) => {
                    let (s, b) = list_tables(ctx).await?;
                    write_results(*format, &s, &b, std::io::stdout())?;
                }
                ("\\d", Some(t)) => {
                    let (s, b) = describe_table(ctx, t).await?;
                    write_results(*format, &s, &b, std::io::stdout())?;
                }
                ("\\f", Some(f)) => match f.parse::<Format>() {
                    Ok(Format::Parquet) | Err(_) => {
                        return Err(Failure::user("\\f takes table, csv or json"));
                    }
                    Ok(f) => *format = f,
                },
                _ => {
                    return Err(Failure::user(format!(
                        "unknown command {m}; \\? lists them"
                    )));
                }
            }
            Ok(true)
        }
    }
}

/// Statements from a non-interactive standard input, run in order; the first error stops.
async fn script(ctx: &SessionContext, args: &SqlArgs) -> Result<(), Failure> {
    let mut text = String::new();
    std::io::stdin()
        .lock()
        .read_to_string(&mut text)
        .map_err(|e| Failure::user(format!("cannot read standard input: {e}")))?;
    let mut buf = StatementBuffer::default();
    let mut inputs = Vec::new();
    for line in text.lines() {
        inputs.extend(buf.push_line(line));
    }
    inputs.extend(buf.finish());
    if inputs.is_empty() {
        return Err(Failure::user(
            "no query given: pass it as an argument (omni sql \"SELECT ...\") or on standard input",
        ));
    }
    if inputs.len() == 1
        && let Input::Sql(q) = &inputs[0]
    {
        return run_one(ctx, q, args.format, args.output.as_ref()).await;
    }
    if args.output.is_some() {
        return Err(Failure::user(
            "-o FILE takes a single statement, not a script",
        ));
    }
    let mut format = args.format;
    for input in inputs {
        if !run_input(ctx, input, &mut format).await? {
            break;
        }
    }
    Ok(())
}

/// The interactive shell: line editing and history (rustyline), multi-line statements.
async fn shell(ctx: &SessionContext, format: Format) -> Result<(), Failure> {
    use rustyline::error::ReadlineError;
    let mut format = if format == Format::Parquet {
        Format::Table
    } else {
        format
    };
    let mut rl = rustyline::DefaultEditor::new()
        .map_err(|e| Failure::internal(format!("cannot start the line editor: {e}")))?;
    let history = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".omni_history"));
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    println!(
        "omni sql — tables: {}",
        omni_sql::table_names(ctx).join(", ")
    );
    println!("End statements with `;`. \\? for help, \\q to quit.");
    let mut buf = StatementBuffer::default();
    loop {
        let prompt = if buf.is_pending() {
            "   ...> "
        } else {
            "omni> "
        };
        match rl.readline(prompt) {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = rl.add_history_entry(line.as_str());
                }
                for input in buf.push_line(&line) {
                    match run_input(ctx, input, &mut format).await {
                        Ok(true) => {}
                        Ok(false) => return save(&mut rl, history.as_ref()),
                        Err(f) => eprintln!("error: {}", f.message),
                    }
                }
            }
            Err(ReadlineError::Interrupted) => buf.clear(),
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(Failure::internal(format!("terminal error: {e}"))),
        }
    }
    save(&mut rl, history.as_ref())
}

fn save(rl: &mut rustyline::DefaultEditor, history: Option<&PathBuf>) -> Result<(), Failure> {
    if let Some(h) = history {
        let _ = rl.save_history(h);
    }
    Ok(())
}
