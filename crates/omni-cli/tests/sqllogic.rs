//! SQL behaviour as sqllogictest files (`crates/omni-sql/tests/slt/*.slt`), run over the demo
//! warehouse with the session `omni sql` uses (`omni_sql::open_snapshot`: every table, the
//! UDFs, the table-name hints in errors).
//!
//! The runner lives here, not in omni-sql, because the demo warehouse is built by the `omni`
//! binary. Values print as `omni sql` shows them; NULL as `NULL`, the empty string as
//! `(empty)`. Update a file's expectations by hand: they are meant to be read.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use arrow::array::Array;
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use omni_sql::SessionContext;
use sqllogictest::{DBOutput, DefaultColumnType};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// A DataFusion session over one snapshot, driven synchronously on its own runtime.
struct OmniDb {
    rt: Arc<tokio::runtime::Runtime>,
    ctx: SessionContext,
}

fn column_type(t: &DataType) -> DefaultColumnType {
    if t.is_integer() {
        DefaultColumnType::Integer
    } else if t.is_floating() || matches!(t, DataType::Decimal128(..) | DataType::Decimal256(..)) {
        DefaultColumnType::FloatingPoint
    } else {
        DefaultColumnType::Text
    }
}

impl sqllogictest::DB for OmniDb {
    type Error = omni_sql::Error;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, omni_sql::Error> {
        let (schema, batches) = self.rt.block_on(omni_sql::query(&self.ctx, sql))?;
        if schema.fields().is_empty() {
            return Ok(DBOutput::StatementComplete(0));
        }
        let types = schema
            .fields()
            .iter()
            .map(|f| column_type(f.data_type()))
            .collect();
        let opts = FormatOptions::default();
        let mut rows = Vec::new();
        for b in &batches {
            let fmts = b
                .columns()
                .iter()
                .map(|c| ArrayFormatter::try_new(c.as_ref(), &opts))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| omni_sql::Error::Output(e.to_string()))?;
            for r in 0..b.num_rows() {
                rows.push(
                    b.columns()
                        .iter()
                        .zip(&fmts)
                        .map(|(c, f)| {
                            if c.is_null(r) {
                                "NULL".to_string()
                            } else {
                                match f.value(r).to_string() {
                                    s if s.is_empty() => "(empty)".to_string(),
                                    s => s,
                                }
                            }
                        })
                        .collect(),
                );
            }
        }
        Ok(DBOutput::Rows { types, rows })
    }

    fn engine_name(&self) -> &str {
        "omni"
    }
}

/// Builds the demo pipeline into a temporary directory with the `omni` binary.
fn build_demo(dir: &Path) -> PathBuf {
    let t = std::fs::read_to_string(repo().join("pipelines/retail_demo.toml")).unwrap();
    let t = t
        .replace(
            "\"../sample_data/",
            &format!("\"{}/", repo().join("sample_data").display()),
        )
        .replace("\"../exports/", "\"exports/")
        .replace("\"../warehouse\"", "\"warehouse\"");
    let p = dir.join("demo.toml");
    std::fs::write(&p, t).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_omni"))
        .args(["-q", "build", p.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "build: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    dir.join("warehouse")
}

#[test]
fn slt_files_pass_over_the_demo_warehouse() {
    let dir = tempfile::tempdir().unwrap();
    let wh = omni_sql::Warehouse::new(build_demo(dir.path()));
    let rt = Arc::new(
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap(),
    );
    let ctx = rt
        .block_on(omni_sql::open_snapshot(&wh.current_dir().unwrap()))
        .unwrap();
    let slt_dir = repo().join("crates/omni-sql/tests/slt");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&slt_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "slt"))
        .collect();
    files.sort();
    assert!(files.len() >= 5, "{files:?}");
    let mut failures = Vec::new();
    for f in &files {
        let (rt, ctx) = (rt.clone(), ctx.clone());
        let mut runner = sqllogictest::Runner::new(move || {
            let db = OmniDb {
                rt: rt.clone(),
                ctx: ctx.clone(),
            };
            async move { Ok::<_, omni_sql::Error>(db) }
        });
        if let Err(e) = runner.run_file(f) {
            failures.push(format!("{}: {}", f.display(), e.display(false)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
