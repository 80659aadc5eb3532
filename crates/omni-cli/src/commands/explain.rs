//! `omni explain`: how a customer was built, or why two records are (not) one customer.

use std::io::Write;

use clap::Args;
use omni_sql::Warehouse;
use omni_sql::explain::{Key, Link, explain_customer, explain_pair};

use super::{Failure, WarehouseArg};

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The customer id to explain (from identity_map or profiles).
    #[arg(required_unless_present = "records")]
    pub customer_id: Option<String>,
    /// Two records, as SOURCE:RECORD_ID SOURCE:RECORD_ID, to explain instead.
    #[arg(long, num_args = 2, value_names = ["SRC:ID", "SRC:ID"], conflicts_with = "customer_id")]
    pub records: Option<Vec<String>>,
    #[command(flatten)]
    pub wh: WarehouseArg,
    /// Output format: table or json.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
}

fn parse_key(s: &str) -> Result<Key, Failure> {
    match s.split_once(':') {
        Some((src, id)) if !src.is_empty() && !id.is_empty() => Ok((src.into(), id.into())),
        _ => Err(Failure::user(format!(
            "{s:?} is not SOURCE:RECORD_ID (for example web_orders:W100023)"
        ))),
    }
}

fn link_line(l: &Link) -> String {
    format!(
        "{}:{} — {}:{}  {} = {}{}",
        l.left.0,
        l.left.1,
        l.right.0,
        l.right.1,
        l.rule,
        l.value.as_deref().unwrap_or("-"),
        match (&l.decision[..], &l.reason) {
            ("link", _) => String::new(),
            (_, Some(r)) => format!("  (refused: {r})"),
            (d, None) => format!("  ({d})"),
        }
    )
}

pub async fn run(args: ExplainArgs) -> Result<(), Failure> {
    let wh = Warehouse::new(&args.wh.warehouse);
    let ctx = omni_sql::open_snapshot(&wh.current_dir()?).await?;
    let json = args.format == "json";
    let mut out = std::io::stdout().lock();
    let io = |e: std::io::Error| Failure::internal(format!("cannot write: {e}"));
    if let Some(r) = &args.records {
        let (a, b) = (parse_key(&r[0])?, parse_key(&r[1])?);
        let e = explain_pair(&ctx, &a, &b).await?;
        if json {
            serde_json::to_writer_pretty(&mut out, &e).map_err(|e| io(e.into()))?;
            return writeln!(out).map_err(io);
        }
        if e.customer_a == e.customer_b {
            writeln!(
                out,
                "{}:{} and {}:{} are one customer, {}.",
                a.0, a.1, b.0, b.1, e.customer_a
            )
            .map_err(io)?;
            writeln!(out, "Linked through {} step(s):", e.path.len()).map_err(io)?;
            for l in &e.path {
                writeln!(out, "  {}", link_line(l)).map_err(io)?;
            }
        } else {
            writeln!(
                out,
                "{}:{} ({}) and {}:{} ({}) are different customers.",
                a.0, a.1, e.customer_a, b.0, b.1, e.customer_b
            )
            .map_err(io)?;
            if e.refused.is_empty() {
                writeln!(
                    out,
                    "No identifier rule links them: they share no strong identifier."
                )
                .map_err(io)?;
            } else {
                writeln!(out, "A link between them was refused:").map_err(io)?;
                for l in &e.refused {
                    writeln!(out, "  {}", link_line(l)).map_err(io)?;
                }
            }
        }
        return Ok(());
    }
    let id = args.customer_id.as_deref().unwrap_or_default();
    let e = explain_customer(&ctx, id).await?;
    if json {
        serde_json::to_writer_pretty(&mut out, &e).map_err(|e| io(e.into()))?;
        return writeln!(out).map_err(io);
    }
    writeln!(
        out,
        "customer {} — {} records",
        e.customer_id,
        e.records.len()
    )
    .map_err(io)?;
    for ((s, r), ch) in &e.records {
        writeln!(out, "  {s}:{r} ({ch})").map_err(io)?;
    }
    writeln!(out, "links kept ({}):", e.kept.len()).map_err(io)?;
    for l in &e.kept {
        writeln!(out, "  {}", link_line(l)).map_err(io)?;
    }
    if !e.refused.is_empty() {
        writeln!(out, "links refused ({}):", e.refused.len()).map_err(io)?;
        for l in &e.refused {
            writeln!(out, "  {}", link_line(l)).map_err(io)?;
        }
    }
    Ok(())
}
