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

/// The evidence of a probabilistic link, one comparison a line with the running total:
/// `reason` is "HEAD: prior(-14.46); first_name=exact(+6.63); last_name=null; ...".
fn waterfall(reason: &str) -> Vec<String> {
    let Some((head, parts)) = reason.split_once(": prior(") else {
        return Vec::new();
    };
    let mut lines = vec![head.to_string()];
    let mut total = 0.0f64;
    for (i, part) in format!("prior({parts}").split("; ").enumerate() {
        let (name, rest) = if i == 0 {
            ("prior", part.trim_start_matches("prior"))
        } else {
            part.split_once('=').unwrap_or((part, ""))
        };
        let (level, weight) = match rest.rfind('(') {
            Some(at) if rest.ends_with(')') => (
                &rest[..at],
                rest[at + 1..rest.len() - 1].parse::<f64>().ok(),
            ),
            _ => (rest, None),
        };
        match weight {
            Some(w) => {
                total += w;
                lines.push(format!("{name:<12} {level:<20} {w:>+7.2}  → {total:>+7.2}"));
            }
            None => lines.push(format!("{name:<12} {level:<20} {:>7}", "·")),
        }
    }
    lines
}

fn link_line(l: &Link) -> String {
    let mut s = link_head(l);
    if l.rule == "probabilistic"
        && let Some(r) = &l.reason
    {
        for line in waterfall(r) {
            s.push_str("\n      ");
            s.push_str(&line);
        }
    }
    s
}

fn link_head(l: &Link) -> String {
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
            (_, Some(_)) if l.rule == "probabilistic" => "  (refused)".to_string(),
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
                    "No rule links them: they share no strong identifier, and no blocking rule made them a candidate pair (or their match probability was negligible)."
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

#[cfg(test)]
mod tests {
    use super::waterfall;

    #[test]
    fn a_probabilistic_reason_reads_back_as_a_waterfall() {
        let w = waterfall(
            "match probability 0.9990 >= threshold 0.99: prior(-14.46); first_name=exact(+6.63); \
             last_name=shared surname(+3.18); birth_date=null",
        );
        assert_eq!(w[0], "match probability 0.9990 >= threshold 0.99");
        assert!(
            w[1].starts_with("prior") && w[1].ends_with("-14.46"),
            "{}",
            w[1]
        );
        assert!(
            w[2].contains("exact") && w[2].ends_with("-7.83"),
            "{}",
            w[2]
        );
        assert!(
            w[3].contains("shared surname") && w[3].ends_with("-4.65"),
            "{}",
            w[3]
        );
        assert!(
            w[4].starts_with("birth_date") && w[4].ends_with('·'),
            "{}",
            w[4]
        );
        assert!(waterfall("same email").is_empty());
    }
}
