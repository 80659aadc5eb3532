//! End-to-end tests of the `omni` binary: the demo pipeline, validation errors, SQL formats.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn omni(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_omni"))
        .args(args)
        .env_remove("OMNI_WAREHOUSE")
        .output()
        .expect("run omni")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The demo pipeline, rewritten to read the repository's sample data and to write its
/// exports and warehouse inside `dir`.
fn demo_pipeline(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(repo().join("pipelines/retail_demo.toml")).unwrap();
    let sample = repo().join("sample_data");
    let text = text
        .replace("\"../sample_data/", &format!("\"{}/", sample.display()))
        .replace("\"../exports/", &format!("\"{}/exports/", dir.display()))
        .replace("\"../warehouse\"", "\"warehouse\"");
    let p = dir.join("demo.toml");
    std::fs::write(&p, text).unwrap();
    p
}

fn build_demo(dir: &Path) -> PathBuf {
    let p = demo_pipeline(dir);
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(
        o.status.success(),
        "build failed: {}{}",
        stdout(&o),
        stderr(&o)
    );
    // Not a terminal: one plain progress line per stage on stderr.
    let e = stderr(&o);
    for stage in [
        "ingest", "resolve", "profiles", "rfm", "segments", "publish",
    ] {
        assert!(e.contains(&format!("omni build: {stage} done in")), "{e}");
    }
    dir.join("warehouse")
}

fn sql_json(wh: &Path, query: &str) -> Vec<serde_json::Map<String, serde_json::Value>> {
    let o = omni(&[
        "sql",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "json",
        query,
    ]);
    assert!(o.status.success(), "query failed: {query}: {}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json output");
    v.as_array()
        .expect("an array")
        .iter()
        .map(|r| r.as_object().expect("an object").clone())
        .collect()
}

fn count(wh: &Path, query: &str) -> i64 {
    let rows = sql_json(wh, query);
    assert_eq!(rows.len(), 1, "{query}");
    rows[0]
        .values()
        .next()
        .and_then(|v| v.as_i64())
        .expect("a count")
}

/// Data rows of each sample file, counted independently of omni: the sample CSVs have no
/// quoted newlines, so each non-blank line after the header is one row.
fn sample_rows() -> BTreeMap<&'static str, i64> {
    let files = [
        ("web_orders", "web_orders.csv", 1),
        ("pos_tickets", "pos_tickets.csv", 1),
        ("loyalty_members", "loyalty_members.csv", 1),
        ("app_users", "app_users.jsonl", 0),
        ("app_orders", "app_orders.jsonl", 0),
        ("call_centre", "call_centre.csv", 1),
        ("messaging_contacts", "messaging_contacts.csv", 1),
    ];
    files
        .iter()
        .map(|(s, f, header)| {
            let text = std::fs::read_to_string(repo().join("sample_data").join(f)).unwrap();
            let n = text.lines().filter(|l| !l.trim().is_empty()).count() as i64 - header;
            (*s, n)
        })
        .collect()
}

#[test]
fn demo_pipeline_loses_no_row_and_links_shared_identifiers() {
    let dir = tempfile::tempdir().unwrap();
    let wh = build_demo(dir.path());

    // Every input row is in identity_map or rejects, per source.
    for (source, rows) in sample_rows() {
        let mapped = count(
            &wh,
            &format!("SELECT count(*) AS n FROM identity_map WHERE source = '{source}'"),
        );
        let rejected = count(
            &wh,
            &format!("SELECT count(*) AS n FROM rejects WHERE source = '{source}'"),
        );
        assert_eq!(
            mapped + rejected,
            rows,
            "{source}: {mapped} mapped + {rejected} rejected"
        );
    }
    // identity_map covers every record exactly once, and every transaction's record.
    assert_eq!(
        count(&wh, "SELECT count(*) FROM source_records"),
        count(
            &wh,
            "SELECT count(DISTINCT concat(source, '/', record_id)) FROM identity_map"
        )
    );
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM transactions t LEFT JOIN identity_map m ON t.source = m.source AND t.record_id = m.record_id WHERE m.customer_id IS NULL"
        ),
        0
    );

    // The rejects are exactly the malformed rows the generator listed in bad_rows.csv.
    let listed = std::fs::read_to_string(repo().join("sample_data/bad_rows.csv")).unwrap();
    let documented: BTreeSet<(String, i64)> = listed
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cells: Vec<&str> = l.split(',').collect();
            (cells[0].to_string(), cells[1].parse().unwrap())
        })
        .collect();
    assert!(
        documented.len() >= 5,
        "the demo data exercises the reject path"
    );
    let rejected: BTreeSet<(String, i64)> = sql_json(&wh, "SELECT file, line FROM rejects")
        .iter()
        .map(|r| {
            let file = r["file"].as_str().unwrap();
            let name = Path::new(file)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .to_string();
            (name, r["line"].as_i64().unwrap())
        })
        .collect();
    assert_eq!(rejected, documented);

    // Records sharing a loyalty card or an email (not a blocked one) across channels are one
    // customer, unless a guard refused the link (a family mailbox: then identity_edges holds
    // the refusal for that value); and such pairs exist, so the check is not vacuous.
    for (key, rule) in [("loyalty_card", "loyalty_card"), ("email_match", "email")] {
        let pairs = format!(
            "FROM source_records a JOIN source_records b ON a.{key} = b.{key} AND a.source < b.source \
             JOIN identity_map ma ON ma.source = a.source AND ma.record_id = a.record_id \
             JOIN identity_map mb ON mb.source = b.source AND mb.record_id = b.record_id \
             WHERE a.{key} <> 'test@test.com' \
             AND NOT EXISTS (SELECT 1 FROM identity_edges e WHERE e.rule = '{rule}' \
                 AND e.value = a.{key} AND e.decision = 'rejected')"
        );
        assert!(
            count(&wh, &format!("SELECT count(*) {pairs}")) > 100,
            "{key}: too few cross-channel pairs"
        );
        assert_eq!(
            count(
                &wh,
                &format!("SELECT count(*) {pairs} AND ma.customer_id <> mb.customer_id")
            ),
            0,
            "{key}"
        );
    }
    // The blocked email links nobody: its tickets keep their own customers.
    assert!(
        count(
            &wh,
            "SELECT count(DISTINCT m.customer_id) FROM source_records s JOIN identity_map m ON s.source = m.source AND s.record_id = m.record_id WHERE s.email_match = 'test@test.com'"
        ) > 1
    );

    // One profile per customer; RFM and segments are consistent with them.
    assert_eq!(
        count(&wh, "SELECT count(*) FROM profiles"),
        count(&wh, "SELECT count(DISTINCT customer_id) FROM identity_map")
    );
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM rfm r LEFT JOIN profiles p USING (customer_id) WHERE p.customer_id IS NULL"
        ),
        0
    );
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM rfm WHERE rfm_segment IS NULL OR r_score NOT BETWEEN 1 AND 5 OR f_score NOT BETWEEN 1 AND 5 OR m_score NOT BETWEEN 1 AND 5"
        ),
        0
    );
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM segment_membership WHERE segment = 'champions'"
        ),
        count(
            &wh,
            "SELECT count(*) FROM rfm WHERE rfm_segment = 'Champions'"
        )
    );
    assert_eq!(count(&wh, "SELECT count(*) FROM runs"), 1);

    // The export holds the champions, one line each plus a header.
    let csv = std::fs::read_to_string(dir.path().join("exports/champions.csv")).unwrap();
    assert_eq!(
        csv.lines().count() as i64 - 1,
        count(
            &wh,
            "SELECT count(*) FROM rfm WHERE rfm_segment = 'Champions'"
        )
    );
}

#[test]
fn rebuilds_are_deterministic_and_keep_history() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let wa = build_demo(a.path());
    let wb = build_demo(b.path());
    let ids = |wh: &Path| {
        sql_json(
            wh,
            "SELECT source, record_id, customer_id FROM identity_map ORDER BY source, record_id",
        )
    };
    let first = ids(&wa);
    assert_eq!(first, ids(&wb));
    let profiles = "SELECT * FROM profiles ORDER BY customer_id";
    assert_eq!(sql_json(&wa, profiles), sql_json(&wb, profiles));

    // A second build into the same warehouse publishes a new snapshot with the same ids.
    let before = std::fs::read_to_string(wa.join("CURRENT")).unwrap();
    let p = a.path().join("demo.toml");
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = std::fs::read_to_string(wa.join("CURRENT")).unwrap();
    assert_ne!(before, after);
    assert!(
        wa.join("snapshots").join(before.trim()).is_dir(),
        "the previous snapshot is kept"
    );
    assert_eq!(ids(&wa), first);
    assert_eq!(count(&wa, "SELECT count(*) FROM runs"), 2);
}

#[test]
fn build_flag_overrides_the_warehouse_of_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = demo_pipeline(dir.path());
    let other = dir.path().join("elsewhere");
    let o = omni(&[
        "build",
        "-q",
        p.to_str().unwrap(),
        "--warehouse",
        other.to_str().unwrap(),
        "--json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "", "-q: nothing on stderr");
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(
        report["identity"]["records"],
        count(&other, "SELECT count(*) FROM identity_map")
    );
    assert!(!dir.path().join("warehouse").exists());
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const MINI_CSV: &str = "order_id,customer_email,total\nW1,ana@x.es,10.00\nW2,ANA@x.es,5.50\n";

fn mini_pipeline(source_extra: &str, fields_extra: &str) -> String {
    format!(
        r#"[pipeline]
name = "mini"

[[source]]
name = "web"
channel = "web"
path = "orders.csv"
format = "csv"
{source_extra}

[source.fields]
record_id = "order_id"
email = "customer_email"
{fields_extra}
"#
    )
}

#[test]
fn pipeline_errors_name_file_key_and_fix() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);

    // Each bad file fails with exit code 1 and a message holding all of `needles`.
    let fails = |name: &str, text: &str, needles: &[&str]| {
        let p = write(dir.path(), name, text);
        let o = omni(&["build", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(1), "{name}");
        let e = stderr(&o);
        for n in needles {
            assert!(e.contains(n), "{name}: {n:?} missing in {e}");
        }
    };
    // Unknown key, with a suggestion and its line.
    fails(
        "typo.toml",
        &mini_pipeline("csv = { delimter = \",\" }", ""),
        &[
            "typo.toml",
            "delimter",
            "did you mean `delimiter`?",
            "line 9",
        ],
    );
    // Missing source file.
    fails(
        "missing.toml",
        &mini_pipeline("", "").replace("orders.csv", "missing.csv"),
        &["missing.toml", "source[web].path", "missing.csv"],
    );
    // Unknown column, with the closest existing one.
    fails(
        "column.toml",
        &mini_pipeline("", "phone = \"customer_emial\""),
        &[
            "source[web].fields.phone",
            "`customer_emial` (mapped by `fields.phone`) not found",
            "did you mean `customer_email`?",
        ],
    );
    // Unknown canonical field.
    fails(
        "field.toml",
        &mini_pipeline("", "emial = \"customer_email\""),
        &["did you mean `email`?"],
    );

    // Nothing was built by any of them.
    assert!(!dir.path().join("warehouse").exists());

    // --check validates without building.
    let p = write(dir.path(), "ok.toml", &mini_pipeline("", ""));
    let o = omni(&["build", "--check", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("valid"));
    assert!(!dir.path().join("warehouse").exists());

    // And the same file builds: both orders are one customer (email case differs).
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let wh = dir.path().join("warehouse");
    assert_eq!(
        count(&wh, "SELECT count(DISTINCT customer_id) FROM identity_map"),
        1
    );
}

#[test]
fn sql_output_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let wh = dir.path().join("warehouse");
    let w = wh.to_str().unwrap();
    let q = "SELECT record_id, email FROM source_records ORDER BY record_id";

    let o = omni(&["sql", "--warehouse", w, q]);
    assert!(o.status.success());
    let t = stdout(&o);
    assert!(
        t.contains("| record_id | email")
            && t.contains("| W2        | ana@x.es")
            && t.contains("(2 rows)"),
        "{t}"
    );

    let o = omni(&["sql", "--warehouse", w, "--format", "csv", q]);
    assert_eq!(stdout(&o), "record_id,email\nW1,ana@x.es\nW2,ana@x.es\n");

    let rows = sql_json(&wh, q);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[1]["record_id"], "W2");

    let out = dir.path().join("out.parquet");
    let o = omni(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "parquet",
        "-o",
        out.to_str().unwrap(),
        q,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let f = std::fs::File::open(&out).unwrap();
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(f)
        .unwrap()
        .build()
        .unwrap();
    let rows: usize = reader.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, 2);

    // Nested columns (lists) are written as text in CSV.
    let o = omni(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT emails FROM profiles",
    ]);
    assert_eq!(stdout(&o), "emails\n[ana@x.es]\n");

    // Empty results are still well-formed.
    let o = omni(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "json",
        "SELECT * FROM rejects",
    ]);
    assert_eq!(stdout(&o).trim(), "[]");
    let o = omni(&[
        "sql",
        "--warehouse",
        w,
        "--format",
        "csv",
        "SELECT source, reason FROM rejects",
    ]);
    assert_eq!(stdout(&o), "source,reason\n");

    // The query can come on standard input.
    let mut child = Command::new(env!("CARGO_BIN_EXE_omni"))
        .args(["sql", "--warehouse", w, "--format", "csv"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"SELECT count(*) AS n FROM profiles")
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(stdout(&o), "n\n1\n");
}

#[test]
fn sql_errors_are_user_errors_with_hints() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("nowhere");
    let o = omni(&["sql", "--warehouse", empty.to_str().unwrap(), "SELECT 1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("omni build"), "{}", stderr(&o));

    write(dir.path(), "orders.csv", MINI_CSV);
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let w = dir.path().join("warehouse");
    let w = w.to_str().unwrap();

    let o = omni(&["sql", "--warehouse", w, "SELECT * FROM profile"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("did you mean `profiles`?"),
        "{}",
        stderr(&o)
    );

    let o = omni(&["sql", "--warehouse", w, "SELEC 1"]);
    assert_eq!(o.status.code(), Some(1));

    let o = omni(&["sql", "--warehouse", w, "--format", "xml", "SELECT 1"]);
    assert_eq!(o.status.code(), Some(1), "a bad flag value is a user error");
    assert!(
        stderr(&o).contains("table, csv, json or parquet"),
        "{}",
        stderr(&o)
    );
    let o = omni(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(1));
    let o = omni(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("build") && stdout(&o).contains("sql"));
}

#[test]
fn a_failed_build_leaves_the_published_snapshot_untouched() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let good = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", good.to_str().unwrap()]).status.success());
    let wh = dir.path().join("warehouse");
    let current = std::fs::read_to_string(wh.join("CURRENT")).unwrap();
    let before = sql_json(&wh, "SELECT * FROM identity_map ORDER BY record_id");

    // The segment's SQL fails after ingest, resolve and profiles have been written.
    let bad = format!(
        "{}\n[[segment]]\nname = \"broken\"\nsql = \"SELECT customer_id FROM no_such_table\"\n",
        mini_pipeline("", "")
    );
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total\nW9,zoe@x.es,1.00\n",
    );
    let bad = write(dir.path(), "bad.toml", &bad);
    let o = omni(&["build", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("segment `broken`"), "{}", stderr(&o));

    assert_eq!(
        std::fs::read_to_string(wh.join("CURRENT")).unwrap(),
        current
    );
    assert_eq!(
        sql_json(&wh, "SELECT * FROM identity_map ORDER BY record_id"),
        before
    );
    let leftovers: Vec<String> = std::fs::read_dir(wh.join("snapshots"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    assert!(!wh.join(".lock").exists());

    // The next good build succeeds and sees the new data.
    let o = omni(&["build", good.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        count(
            &wh,
            "SELECT count(*) FROM identity_map WHERE record_id = 'W9'"
        ),
        1
    );
}

#[test]
fn every_problem_of_a_pipeline_is_reported_at_once() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let text = format!(
        "{}\n[rfm]\nas_of = \"01/11/2026\"\n\n[[export]]\nname = \"x\"\nsegment = \"champs\"\nformat = \"xlsx\"\npath = \"x.csv\"\n",
        mini_pipeline("csv = { delimiter = \";;\" }", "")
    )
    .replace("default_region", "x")
    .replace("name = \"mini\"", "name = \"mini\"\ndefault_region = \"Spain\"");
    let p = write(dir.path(), "many.toml", &text);
    let o = omni(&["build", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    for needle in [
        "key `pipeline.default_region`",
        "key `source[web].csv.delimiter`",
        "key `rfm.as_of`",
        "key `export[x].segment`: no segment named `champs`",
        "key `export[x].format`",
    ] {
        assert!(e.contains(needle), "missing {needle:?} in:\n{e}");
    }
}

#[test]
fn runs_lists_snapshots_and_rollback_republishes() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let wh = dir.path().join("warehouse");
    let w = wh.to_str().unwrap();
    let first = std::fs::read_to_string(wh.join("CURRENT"))
        .unwrap()
        .trim()
        .to_string();
    write(
        dir.path(),
        "orders.csv",
        &format!("{MINI_CSV}W3,bob@x.es,7.00\n"),
    );
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    assert_eq!(count(&wh, "SELECT count(*) FROM identity_map"), 3);

    let o = omni(&["runs", "--warehouse", w, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let runs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0]["run_id"], first.as_str());
    assert_eq!(
        (
            runs[0]["published"].as_bool(),
            runs[1]["published"].as_bool()
        ),
        (Some(false), Some(true))
    );
    assert_eq!(
        (runs[0]["records"].as_u64(), runs[1]["records"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(stdout(&omni(&["runs", "--warehouse", w])).contains("* "));

    // Roll back: readers see the first snapshot again.
    let o = omni(&["rollback", "--warehouse", w]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains(&first));
    assert_eq!(count(&wh, "SELECT count(*) FROM identity_map"), 2);
    // Nothing before the first; an unknown run is a user error.
    assert_eq!(omni(&["rollback", "--warehouse", w]).status.code(), Some(1));
    assert_eq!(
        omni(&["rollback", "--warehouse", w, "nope"]).status.code(),
        Some(1)
    );
}

#[test]
fn sql_scripts_on_standard_input_run_every_statement() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let w = dir.path().join("warehouse");
    let run = |script: &str| {
        use std::io::Write;
        let mut child = Command::new(env!("CARGO_BIN_EXE_omni"))
            .args(["sql", "--warehouse", w.to_str().unwrap(), "--format", "csv"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(script.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let o = run("SELECT 1 AS a; -- first\nSELECT 'x;y'\n  AS b;\n\\d identity_map\n");
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("a\n1\n") && out.contains("b\nx;y\n"), "{out}");
    assert!(out.contains("customer_id"), "{out}");
    // The first failing statement stops the script with a user error.
    let o = run("SELECT 1 AS a;\nSELECT * FROM nope;\nSELECT 2 AS c;\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(!stdout(&o).contains("c\n2"), "{}", stdout(&o));
}

/// The interactive shell in a real terminal (tmux): multi-line statements, `\d`, `\q`.
#[test]
fn sql_shell_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let session = format!("omni-test-{}", std::process::id());
    let tmux = |args: &[&str]| {
        let o = Command::new("tmux")
            .args(args)
            .output()
            .expect("tmux is installed (.ci/run installs it)");
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let cmd = format!(
        "HOME={} {} sql --warehouse {}",
        dir.path().display(),
        env!("CARGO_BIN_EXE_omni"),
        dir.path().join("warehouse").display()
    );
    tmux(&[
        "new-session",
        "-d",
        "-s",
        &session,
        "-x",
        "200",
        "-y",
        "50",
        &cmd,
    ]);
    let screen = |want: &str| {
        // Poll the pane until the text shows (bounded: 100 × 100 ms).
        for _ in 0..100 {
            let s = tmux(&["capture-pane", "-p", "-t", &session]);
            if s.contains(want) {
                return s;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        let s = tmux(&["capture-pane", "-p", "-t", &session]);
        tmux(&["kill-session", "-t", &session]);
        panic!("{want:?} never appeared:\n{s}");
    };
    // Literal text, then Enter. tmux reads an argument's trailing `;` as its own command
    // separator, so it is escaped.
    let type_line = |text: &str| {
        let text = match text.strip_suffix(';') {
            Some(t) => format!("{t}\\;"),
            None => text.to_string(),
        };
        tmux(&["send-keys", "-t", &session, "-l", &text]);
        tmux(&["send-keys", "-t", &session, "Enter"]);
    };
    screen("omni>");
    type_line("SELECT count(*) AS n");
    screen("...>");
    type_line("FROM source_records;");
    screen("(1 row)");
    type_line("\\d profiles");
    screen("lifetime_value");
    type_line("\\q");
    // The shell exits and saves its history.
    for _ in 0..100 {
        if dir.path().join(".omni_history").exists() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = tmux(&["kill-session", "-t", &session]);
    let history = std::fs::read_to_string(dir.path().join(".omni_history")).unwrap();
    assert!(history.contains("FROM source_records;"), "{history}");
}

#[test]
fn eval_reports_exact_metrics_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let wh = dir.path().join("warehouse");
    let w = wh.to_str().unwrap();
    let eval = |truth: &str| {
        let t = write(dir.path(), "truth.csv", truth);
        let o = omni(&[
            "eval",
            "--warehouse",
            w,
            "--truth",
            t.to_str().unwrap(),
            "--format",
            "json",
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    // Both orders share an email: one customer. Right if they are one person ...
    let r = eval("source,record_id,person_id\nweb,W1,P1\nweb,W2,P1\n");
    assert_eq!(r["pairwise"]["f1"], 1.0);
    assert_eq!(r["persons_resolved_whole"], 1.0);
    // ... wrong if they are two: the one predicted pair is false.
    let r = eval("source,record_id,person_id\nweb,W1,P1\nweb,W2,P2\n");
    assert_eq!(r["pairwise"]["precision"], 0.0);
    assert_eq!(r["pairwise"]["recall"], 1.0);
    assert_eq!(r["bcubed"]["precision"], 0.5);
    assert_eq!(r["top_merges"][0]["persons"], 2);
    // The table format names the metrics.
    let t = write(
        dir.path(),
        "truth.csv",
        "source,record_id,person_id\nweb,W1,P1\nweb,W2,P1\n",
    );
    let o = omni(&["eval", "--warehouse", w, "--truth", t.to_str().unwrap()]);
    assert!(
        stdout(&o).contains("pairwise") && stdout(&o).contains("B-cubed"),
        "{}",
        stdout(&o)
    );
    // A truth file without the needed columns is a user error naming the file.
    let bad = write(dir.path(), "bad.csv", "a,b\n1,2\n");
    let o = omni(&["eval", "--warehouse", w, "--truth", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("bad.csv"), "{}", stderr(&o));
}

/// Generates a data set, builds it with pipelines/generated.toml and evaluates the build.
#[test]
fn generated_data_builds_with_its_pipeline_and_evaluates_against_truth() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data/generated");
    let o = omni(&[
        "datagen",
        "--persons",
        "300",
        "--seed",
        "7",
        "--out",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(repo().join("pipelines/generated.toml"))
        .unwrap()
        .replace("\"../data/generated/", &format!("\"{}/", data.display()))
        .replace(
            "\"../exports/",
            &format!("\"{}/exports/", dir.path().display()),
        )
        .replace("\"../warehouse-generated\"", "\"warehouse\"");
    let p = write(dir.path(), "generated.toml", &text);
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}{}", stdout(&o), stderr(&o));
    let wh = dir.path().join("warehouse");

    // Every bad row the generator listed is a reject, and nothing else is.
    let bad_rows = std::fs::read_to_string(data.join("bad_rows.csv")).unwrap();
    assert_eq!(
        count(&wh, "SELECT count(*) FROM rejects"),
        bad_rows
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count() as i64
    );
    let truth = data.join("truth.csv");
    let o = omni(&[
        "eval",
        "--warehouse",
        wh.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // The truth covers exactly the ingested records.
    assert_eq!(r["only_in_truth"], 0);
    assert_eq!(r["only_in_prediction"], 0);
    assert_eq!(
        r["records"],
        count(&wh, "SELECT count(*) FROM identity_map")
    );
    // Deterministic stitching alone gets most pairs right on realistic data.
    assert!(r["pairwise"]["precision"].as_f64().unwrap() > 0.8, "{r}");
    assert!(r["pairwise"]["recall"].as_f64().unwrap() > 0.6, "{r}");
}

#[test]
fn customer_ids_are_stable_across_rebuilds() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total\nW5,ana@x.es,10.00\nW7,bob@x.es,3.00\n",
    );
    let p = write(dir.path(), "p.toml", &mini_pipeline("", ""));
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let wh = dir.path().join("warehouse");
    let id_of = |rid: &str| {
        sql_json(
            &wh,
            &format!("SELECT customer_id FROM identity_map WHERE record_id = '{rid}'"),
        )[0]["customer_id"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (ana, bob) = (id_of("W5"), id_of("W7"));
    // A new order with a smaller id joins Ana; a third person appears.
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total\nW1,ANA@x.es,1.00\nW5,ana@x.es,10.00\nW7,bob@x.es,3.00\nW9,cy@x.es,2.00\n",
    );
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("customer ids: 2 kept, 1 new, 0 merged, 0 split, 0 retired"),
        "{}",
        stdout(&o)
    );
    assert_eq!(id_of("W1"), ana);
    assert_eq!(id_of("W5"), ana);
    assert_eq!(id_of("W7"), bob);
    let events = sql_json(
        &wh,
        "SELECT h.event, count(*) AS n FROM customer_id_history h GROUP BY h.event ORDER BY h.event",
    );
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["event"], "created");
    assert_eq!(events[0]["n"], 3);
}

#[test]
fn sql_functions_use_the_pipeline_normalisers_and_region() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "orders.csv", MINI_CSV);
    let text = mini_pipeline("", "").replace(
        "name = \"mini\"",
        "name = \"mini\"\ndefault_region = \"GB\"",
    );
    let p = write(dir.path(), "p.toml", &text);
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let wh = dir.path().join("warehouse");
    let rows = sql_json(
        &wh,
        "SELECT normalize_phone('07911 123456') AS p, email_match_key(email) AS k, \
         sha256_hex(email) AS h FROM source_records WHERE record_id = 'W2'",
    );
    assert_eq!(
        rows[0]["p"], "+447911123456",
        "the snapshot's region (GB) applies"
    );
    assert_eq!(rows[0]["k"], "ana@x.es");
    assert_eq!(rows[0]["h"].as_str().unwrap().len(), 64);
}

#[test]
fn segment_membership_records_who_entered_and_exited() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total\nW1,ana@x.es,10.00\nW2,bob@x.es,3.00\n",
    );
    let text = format!(
        "{}\n[[segment]]\nname = \"big\"\nsql = \"SELECT customer_id FROM profiles WHERE lifetime_value > 5\"\n\n[[export]]\nname = \"big\"\nsegment = \"big\"\nformat = \"csv\"\npath = \"big.csv\"\n",
        mini_pipeline("", "")
    )
    .replace("[source.fields]", "[source.transaction]\namount = \"total\"\n\n[source.fields]");
    let p = write(dir.path(), "p.toml", &text);
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("big 1 (+1 −0)"), "{}", stdout(&o));
    let wh = dir.path().join("warehouse");
    let status = |wh: &Path| -> Vec<(String, String)> {
        sql_json(
            wh,
            "SELECT s.status, min(m.record_id) AS rid FROM segment_membership s \
             JOIN identity_map m USING (customer_id) GROUP BY s.status, s.customer_id ORDER BY rid",
        )
        .iter()
        .map(|r| {
            (
                r["rid"].as_str().unwrap().to_string(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
    };
    assert_eq!(status(&wh), vec![("W1".to_string(), "entered".to_string())]);

    // Ana's big order is refunded away, Bob buys more: Ana exits, Bob enters.
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total\nW1,ana@x.es,10.00\nW2,bob@x.es,3.00\nW3,bob@x.es,9.00\nR1,ana@x.es,-9.00\n",
    );
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("big 1 (+1 −1)"), "{}", stdout(&o));
    assert_eq!(
        status(&wh),
        vec![
            ("R1".to_string(), "exited".to_string()),
            ("W2".to_string(), "entered".to_string())
        ]
    );
    // The export holds current members only.
    let csv = std::fs::read_to_string(dir.path().join("big.csv")).unwrap();
    assert_eq!(csv.lines().count(), 2, "{csv}");
    assert!(csv.contains("bob@x.es"), "{csv}");
}

#[test]
fn eval_checks_each_persons_rfm_against_true_transactions() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total,at\nW1,ana@x.es,10.00,2026-10-01T10:00:00Z\nW2,ana@x.es,-4.00,2026-10-03T10:00:00Z\nW3,bob@x.es,3.00,2026-10-20T10:00:00Z\nW4,ANA@x.es,5.50,2026-10-10T23:59:00+02:00\n",
    );
    let text = format!(
        "{}\n[rfm]\nas_of = \"2026-11-01\"\n",
        mini_pipeline("", "event_ts = \"at\"")
    )
    .replace(
        "[source.fields]",
        "[source.transaction]\namount = \"total\"\n\n[source.fields]",
    );
    let p = write(dir.path(), "p.toml", &text);
    let o = omni(&["build", p.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    write(
        dir.path(),
        "truth.csv",
        "source,record_id,person_id\nweb,W1,A\nweb,W2,A\nweb,W3,B\nweb,W4,A\n",
    );
    write(
        dir.path(),
        "truth_transactions.csv",
        "person_id,source,transaction_id,ts,amount,currency,kind\nA,web,W1,2026-10-01T10:00:00Z,10.00,EUR,purchase\nA,web,W2,2026-10-03T10:00:00Z,-4.00,EUR,return\nB,web,W3,2026-10-20T10:00:00Z,3.00,EUR,purchase\nA,web,W4,2026-10-10T21:59:00Z,5.50,EUR,purchase\n",
    );
    let wh = dir.path().join("warehouse");
    let truth = dir.path().join("truth.csv");
    let o = omni(&[
        "eval",
        "--warehouse",
        wh.to_str().unwrap(),
        "--truth",
        truth.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    // Resolution is right, so both persons' RFM is exactly the truth's: the definitions agree.
    assert_eq!(r["rfm"]["persons"], 2, "{r}");
    assert_eq!(r["rfm"]["exact"], 2, "{r}");
    assert_eq!(r["rfm"]["as_of"], "2026-11-01");
}

#[test]
fn explain_shows_the_links_of_a_customer_and_of_a_pair() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "orders.csv",
        "order_id,customer_email,total\nW1,ana@x.es,1.00\nW2,ANA@x.es,2.00\nW3,test@test.com,3.00\nW4,test@test.com,4.00\nW5,bob@x.es,5.00\n",
    );
    let text = format!(
        "{}\n[identity]\nblocked_values = {{ email = [\"test@test.com\"] }}\n",
        mini_pipeline("", "")
    );
    let p = write(dir.path(), "p.toml", &text);
    assert!(omni(&["build", p.to_str().unwrap()]).status.success());
    let wh = dir.path().join("warehouse");
    let w = wh.to_str().unwrap();
    let explain = |args: &[&str]| {
        let mut a = vec!["explain", "--warehouse", w];
        a.extend_from_slice(args);
        omni(&a)
    };
    let o = explain(&["--records", "web:W1", "web:W2"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("are one customer") && stdout(&o).contains("email = ana@x.es"),
        "{}",
        stdout(&o)
    );
    let o = explain(&["--records", "web:W3", "web:W4"]);
    assert!(
        stdout(&o).contains("different customers")
            && stdout(&o).contains("refused: blocked value for email"),
        "{}",
        stdout(&o)
    );
    let o = explain(&["--records", "web:W1", "web:W5"]);
    assert!(
        stdout(&o).contains("share no strong identifier"),
        "{}",
        stdout(&o)
    );

    let id = sql_json(
        &wh,
        "SELECT customer_id FROM identity_map WHERE record_id = 'W1'",
    )[0]["customer_id"]
        .as_str()
        .unwrap()
        .to_string();
    let o = explain(&[&id, "--format", "json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["records"].as_array().unwrap().len(), 2);
    assert_eq!(e["kept"].as_array().unwrap().len(), 1);
    assert_eq!(e["kept"][0]["rule"], "email");

    assert_eq!(explain(&["c_0000000000000000"]).status.code(), Some(1));
    assert_eq!(
        explain(&["--records", "web:W1", "nocolon"]).status.code(),
        Some(1)
    );
}
