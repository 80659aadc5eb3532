//! `omni eval`: a build's identity_map against ground truth.

use std::io::Write;
use std::path::PathBuf;

use arrow::array::StringArray;
use clap::Args;
use std::collections::HashMap;

use omni_datagen::eval::{Assignment, EvalReport, evaluate, read_truth};
use omni_datagen::rfm_check::{RfmAccuracy, read_truth_transactions, rfm_accuracy};
use omni_sql::Warehouse;

use super::{Failure, WarehouseArg};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Ground truth: a CSV file with columns source,record_id,person_id (as `omni datagen`
    /// writes it).
    #[arg(long, value_name = "FILE")]
    pub truth: PathBuf,
    #[command(flatten)]
    pub wh: WarehouseArg,
    /// Output format: table or json.
    #[arg(long, short = 'f', default_value = "table", value_parser = ["table", "json"])]
    pub format: String,
    /// How many clusters and confusions to list.
    #[arg(long, default_value_t = 10)]
    pub top: usize,
    /// True transactions (`person_id,source,transaction_id,ts,amount,currency,kind`) to check
    /// each person's RFM [default: truth_transactions.csv beside the truth file, if present].
    #[arg(long, value_name = "FILE")]
    pub truth_transactions: Option<PathBuf>,
}

fn strings(batch: &arrow::record_batch::RecordBatch, i: usize) -> Result<StringArray, Failure> {
    omni_core::text::as_utf8(batch.column(i))
        .map_err(|e| Failure::internal(format!("identity_map: {e}")))
}

pub async fn run(args: EvalArgs) -> Result<(), Failure> {
    let truth = read_truth(&args.truth).map_err(Failure::user)?;
    let wh = Warehouse::new(&args.wh.warehouse);
    let ctx = omni_sql::open_snapshot(&wh.current_dir()?).await?;
    let (_, batches) = omni_sql::query(
        &ctx,
        "SELECT source, record_id, customer_id FROM identity_map",
    )
    .await?;
    let mut predicted: Vec<Assignment> = Vec::new();
    for b in &batches {
        let (s, r, c) = (strings(b, 0)?, strings(b, 1)?, strings(b, 2)?);
        for i in 0..b.num_rows() {
            predicted.push((s.value(i).into(), r.value(i).into(), c.value(i).into()));
        }
    }
    let mut report = evaluate(&predicted, &truth, args.top);
    let tx_file = args.truth_transactions.clone().or_else(|| {
        let f = args.truth.with_file_name("truth_transactions.csv");
        f.is_file().then_some(f)
    });
    if let Some(f) = tx_file {
        report.rfm = rfm_check(&ctx, &f).await?;
    }
    let mut out = std::io::stdout().lock();
    let res = if args.format == "json" {
        serde_json::to_writer_pretty(&mut out, &report)
            .map_err(std::io::Error::other)
            .and_then(|_| writeln!(out))
    } else {
        print_table(&mut out, &report)
    };
    res.map_err(|e| Failure::internal(format!("cannot write the report: {e}")))
}

/// Each true person's RFM against the built `rfm` (None when the build has no RFM rows).
async fn rfm_check(
    ctx: &omni_sql::SessionContext,
    file: &std::path::Path,
) -> Result<Option<RfmAccuracy>, Failure> {
    let truth = read_truth_transactions(file).map_err(Failure::user)?;
    let (_, tx) = omni_sql::query(
        ctx,
        "SELECT t.source, t.transaction_id, m.customer_id FROM transactions t \
         JOIN identity_map m ON t.source = m.source AND t.record_id = m.record_id",
    )
    .await?;
    let mut customer_of = HashMap::new();
    for b in &tx {
        let (s, t, c) = (strings(b, 0)?, strings(b, 1)?, strings(b, 2)?);
        for i in 0..b.num_rows() {
            customer_of.insert(
                (s.value(i).to_string(), t.value(i).to_string()),
                c.value(i).to_string(),
            );
        }
    }
    let (_, rows) = omni_sql::query(
        ctx,
        "SELECT customer_id, CAST(recency_days AS VARCHAR), CAST(frequency AS VARCHAR), \
         CAST(CAST(monetary * 100 AS BIGINT) AS VARCHAR), CAST(as_of AS VARCHAR) FROM rfm",
    )
    .await?;
    let mut built = HashMap::new();
    let mut as_of = None;
    let num = |a: &StringArray, i: usize| a.value(i).parse::<i64>().unwrap_or(i64::MIN);
    for b in &rows {
        let cols: Vec<StringArray> = (0..5).map(|i| strings(b, i)).collect::<Result<_, _>>()?;
        for i in 0..b.num_rows() {
            built.insert(
                cols[0].value(i).to_string(),
                (num(&cols[1], i), num(&cols[2], i), num(&cols[3], i)),
            );
            as_of = as_of
                .or_else(|| chrono::NaiveDate::parse_from_str(cols[4].value(i), "%Y-%m-%d").ok());
        }
    }
    Ok(as_of.map(|d| rfm_accuracy(&truth, &customer_of, &built, d)))
}

fn merges(ms: &[omni_datagen::eval::Merge]) -> Vec<(&str, u64, u64)> {
    ms.iter()
        .map(|m| (m.cluster.as_str(), m.records, m.persons))
        .collect()
}

fn print_table(out: &mut impl Write, r: &EvalReport) -> std::io::Result<()> {
    writeln!(
        out,
        "records {}   true persons {}   predicted customers {}",
        r.records, r.true_persons, r.predicted_clusters
    )?;
    if r.only_in_prediction + r.only_in_truth > 0 {
        writeln!(
            out,
            "not scored: {} records only in the warehouse, {} only in the truth",
            r.only_in_prediction, r.only_in_truth
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "{:<10} {:>10} {:>10} {:>10}",
        "", "precision", "recall", "F1"
    )?;
    for (name, m) in [("pairwise", r.pairwise), ("B-cubed", r.bcubed)] {
        writeln!(
            out,
            "{:<10} {:>10.4} {:>10.4} {:>10.4}",
            name, m.precision, m.recall, m.f1
        )?;
    }
    writeln!(
        out,
        "pairs: {} true, {} predicted, {} correct",
        r.true_pairs, r.predicted_pairs, r.correct_pairs
    )?;
    writeln!(
        out,
        "persons resolved whole: {:.2}%",
        100.0 * r.persons_resolved_whole
    )?;
    if let Some(x) = &r.rfm {
        writeln!(
            out,
            "RFM exact (recency, frequency, monetary as of {}): {} of {} persons with purchases ({:.2}%)",
            x.as_of,
            x.exact,
            x.persons,
            100.0 * x.share_exact
        )?;
    }
    writeln!(out)?;
    let sizes: Vec<String> = r
        .cluster_sizes
        .iter()
        .map(|(s, n)| format!("{s}:{n}"))
        .collect();
    writeln!(out, "cluster sizes (size:count): {}", sizes.join(" "))?;
    let rows = |title: &str, items: Vec<(&str, u64, u64)>, unit: &str| -> Vec<String> {
        std::iter::once(title.to_string())
            .chain(items.into_iter().map(|(name, records, n)| {
                format!("  {name:<22} {records:>6} records {n:>4} {unit}")
            }))
            .collect()
    };
    let lines = [
        rows("largest clusters:", merges(&r.largest_clusters), "persons"),
        rows(
            "top merges (one customer, several persons):",
            merges(&r.top_merges),
            "persons",
        ),
        rows(
            "top splits (one person, several customers):",
            r.top_splits
                .iter()
                .map(|s| (s.person.as_str(), s.records, s.clusters))
                .collect(),
            "customers",
        ),
    ];
    for line in lines.iter().flatten() {
        writeln!(out, "{line}")?;
    }
    Ok(())
}
