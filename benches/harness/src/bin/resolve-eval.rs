//! `resolve-eval`: runs the identity engine alone over a snapshot's `source_records` and scores
//! it against ground truth — the fast loop for tuning identity rules, and the resolver step of
//! the benchmark harness.
//!
//! ```text
//! cargo run --profile quick -p omni-harness --bin resolve-eval -- PIPELINE.toml SNAPSHOT_DIR TRUTH.csv [key=value ...]
//! ```
//! `RESOLVE_EVAL_EDGES=path` writes `identity_edges` as Parquet (every candidate link with its
//! weight and decision), for analysing misses.
//! `key=value` pairs override `[identity.probabilistic]` settings (`threshold=0.995`,
//! `enabled=false`, `max_block_size=100`) for a quick sweep. Prints one JSON object: times,
//! resolution stats and pairwise / B-cubed precision, recall and F1.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use arrow::array::RecordBatch;
use omni_datagen::eval::{Assignment, evaluate, read_truth};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

fn read_parquet(path: &std::path::Path) -> Result<Vec<RecordBatch>, String> {
    let f = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(f)
        .map_err(|e| e.to_string())?
        .with_batch_size(65_536)
        .build()
        .map_err(|e| e.to_string())?;
    reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

/// The parts of a pipeline file the resolver reads (the rest is ignored here).
#[derive(serde::Deserialize)]
struct PipelineIdentity {
    pipeline: PipelineSection,
    #[serde(default)]
    identity: omni_resolve::IdentityConfig,
}

#[derive(serde::Deserialize)]
struct PipelineSection {
    #[serde(default = "es")]
    default_region: String,
}

fn es() -> String {
    "ES".into()
}

/// Blocked values normalised like the data (as the pipeline does).
fn normalized_blocked(
    id: &omni_resolve::IdentityConfig,
    region: &str,
) -> Result<HashMap<String, HashSet<String>>, String> {
    let phone = omni_normalize::PhoneNormalizer::new(region)?;
    Ok(id
        .blocked_values
        .iter()
        .map(|(rule, values)| {
            let set = values
                .iter()
                .filter_map(|v| match rule.as_str() {
                    "email" => omni_normalize::normalize_email(v).map(|e| e.match_key),
                    "phone" => phone.normalize(v),
                    _ => omni_normalize::normalize_id(v),
                })
                .collect();
            (rule.clone(), set)
        })
        .collect())
}

fn run() -> Result<(), String> {
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("OMNI_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        return Err(
            "usage: resolve-eval PIPELINE.toml SNAPSHOT_DIR TRUTH.csv [key=value ...]".into(),
        );
    }
    let text = std::fs::read_to_string(&args[0]).map_err(|e| format!("{}: {e}", args[0]))?;
    let pipeline: PipelineIdentity =
        toml::from_str(&text).map_err(|e| format!("{}: {e}", args[0]))?;
    let mut identity = pipeline.identity.clone();
    let mut pc = toml::Table::try_from(&identity.probabilistic).map_err(|e| e.to_string())?;
    for kv in &args[3..] {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| format!("`{kv}`: expected key=value"))?;
        let val: toml::Value = format!("x = {v}")
            .parse::<toml::Table>()
            .map(|t| t["x"].clone())
            .or_else(|_| Ok::<_, String>(toml::Value::String(v.to_string())))?;
        pc.insert(k.to_string(), val);
    }
    identity.probabilistic = pc.try_into().map_err(|e| format!("override: {e}"))?;
    let blocked = normalized_blocked(&identity, &pipeline.pipeline.default_region)?;
    let snapshot = PathBuf::from(&args[1]);
    let t0 = Instant::now();
    let records = read_parquet(&snapshot.join("source_records.parquet"))?;
    let read_s = t0.elapsed().as_secs_f64();
    let t1 = Instant::now();
    let res = omni_resolve::resolve(&records, &identity, &blocked, None, "eval")
        .map_err(|e| e.to_string())?;
    let resolve_s = t1.elapsed().as_secs_f64();
    let m = &res.identity_map;
    let col = |i: usize| omni_core::text::as_utf8(m.column(i).as_ref()).map_err(|e| e.to_string());
    let (s, r, c) = (col(0)?, col(1)?, col(2)?);
    let predicted: Vec<Assignment> = (0..m.num_rows())
        .map(|i| (s.value(i).into(), r.value(i).into(), c.value(i).into()))
        .collect();
    if let Ok(path) = std::env::var("RESOLVE_EVAL_MAP") {
        let mut w = String::from("source,record_id,customer_id\n");
        for (s, r, c) in &predicted {
            w.push_str(&format!("{s},{r},{c}\n"));
        }
        std::fs::write(&path, w).map_err(|e| format!("{path}: {e}"))?;
    }
    if let Ok(path) = std::env::var("RESOLVE_EVAL_EDGES") {
        let file = std::fs::File::create(&path).map_err(|e| format!("{path}: {e}"))?;
        let mut w = parquet::arrow::ArrowWriter::try_new(file, res.identity_edges.schema(), None)
            .map_err(|e| format!("{path}: {e}"))?;
        w.write(&res.identity_edges)
            .and_then(|_| w.close().map(|_| ()))
            .map_err(|e| format!("{path}: {e}"))?;
    }
    let truth = read_truth(&PathBuf::from(&args[2]))?;
    let ev = evaluate(&predicted, &truth, 5);
    let mut out = BTreeMap::new();
    out.insert("records", serde_json::json!(res.stats.records));
    out.insert("read_s", serde_json::json!(read_s));
    out.insert("resolve_s", serde_json::json!(resolve_s));
    // The resolver's phases in order, as [name, seconds] pairs.
    out.insert("phases_s", serde_json::json!(res.phases));
    out.insert(
        "stats",
        serde_json::to_value(&res.stats).map_err(|e| e.to_string())?,
    );
    out.insert(
        "pairwise",
        serde_json::to_value(ev.pairwise).map_err(|e| e.to_string())?,
    );
    out.insert(
        "bcubed",
        serde_json::to_value(ev.bcubed).map_err(|e| e.to_string())?,
    );
    out.insert(
        "persons_whole",
        serde_json::json!(ev.persons_resolved_whole),
    );
    out.insert(
        "top_merges",
        serde_json::to_value(&ev.top_merges).map_err(|e| e.to_string())?,
    );
    out.insert(
        "top_splits",
        serde_json::to_value(&ev.top_splits).map_err(|e| e.to_string())?,
    );
    if std::env::var_os("RESOLVE_EVAL_MODEL").is_some() {
        out.insert(
            "model",
            serde_json::to_value(&res.model).map_err(|e| e.to_string())?,
        );
    }
    if let Some(k) = std::env::var("RESOLVE_EVAL_WRONG")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
    {
        out.insert("wrong_links", wrong_links(&res.identity_edges, &truth, k)?);
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
    );
    Ok(())
}

/// Links between records of different true persons, by rule, with up to `k` examples each.
fn wrong_links(
    edges: &RecordBatch,
    truth: &[Assignment],
    k: usize,
) -> Result<serde_json::Value, String> {
    let person: HashMap<(&str, &str), &str> = truth
        .iter()
        .map(|(s, r, p)| ((s.as_str(), r.as_str()), p.as_str()))
        .collect();
    let col = |name: &str| {
        omni_core::text::as_utf8(edges.column_by_name(name).ok_or("no column")?.as_ref())
            .map_err(|e| e.to_string())
    };
    let (ls, lr, rs, rr, rule, dec, why) = (
        col("left_source")?,
        col("left_record_id")?,
        col("right_source")?,
        col("right_record_id")?,
        col("rule")?,
        col("decision")?,
        col("reason")?,
    );
    let mut by_rule: BTreeMap<String, (u64, u64, Vec<String>)> = BTreeMap::new();
    for i in 0..edges.num_rows() {
        if dec.value(i) != "link" {
            continue;
        }
        let a = person.get(&(ls.value(i), lr.value(i)));
        let b = person.get(&(rs.value(i), rr.value(i)));
        let e = by_rule.entry(rule.value(i).to_string()).or_default();
        e.0 += 1;
        if a != b {
            e.1 += 1;
            if e.2.len() < k {
                e.2.push(format!(
                    "{}:{} ~ {}:{} {}",
                    ls.value(i),
                    lr.value(i),
                    rs.value(i),
                    rr.value(i),
                    why.value(i)
                ));
            }
        }
    }
    Ok(serde_json::json!(
        by_rule
            .into_iter()
            .map(|(r, (n, w, ex))| (
                r,
                serde_json::json!({"links": n, "wrong": w, "examples": ex})
            ))
            .collect::<BTreeMap<_, _>>()
    ))
}

// The allocator of the `omni` binary, so that the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    // As the `omni` binary: no transparent huge pages (see its main).
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process's memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("resolve-eval: {e}");
            ExitCode::FAILURE
        }
    }
}
