//! Robustness of the nightly build (Unix): `omni build` killed with SIGKILL at many points,
//! failed builds, readers while builds publish, drift warnings, and the HTML run report
//! rendered by headless Chromium.
#![cfg(unix)]

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn omni() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_omni"));
    c.env_remove("OMNI_WAREHOUSE").env_remove("OMNI_LOG");
    c
}

fn run(args: &[&str]) -> Output {
    omni().args(args).output().expect("run omni")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(o: &Output, what: &str) {
    assert!(
        o.status.success(),
        "{what} failed ({}): {}{}",
        o.status,
        text(&o.stdout),
        text(&o.stderr)
    );
}

fn datagen(out: &Path, persons: u64, seed: u64) {
    let o = run(&[
        "-q",
        "datagen",
        "--persons",
        &persons.to_string(),
        "--seed",
        &seed.to_string(),
        "--out",
        out.to_str().unwrap(),
    ]);
    ok(&o, "datagen");
}

/// The probabilistic identity tier costs tens of seconds per build in a debug build; these
/// tests are about publishing, so most of them run deterministic stitching only.
const DETERMINISTIC_ONLY: &str = "\n[identity.probabilistic]\nenabled = false\n";

/// `pipelines/generated.toml` over the generated files in `data`, building `warehouse`,
/// exporting into `dir/exports`, deterministic identity only.
fn generated_pipeline(dir: &Path, name: &str, data: &Path, warehouse: &Path) -> PathBuf {
    let t = std::fs::read_to_string(repo().join("pipelines/generated.toml")).unwrap();
    let t = t
        .replace("\"../data/generated/", &format!("\"{}/", data.display()))
        .replace(
            "\"../warehouse-generated\"",
            &format!("\"{}\"", warehouse.display()),
        )
        .replace("\"../exports/", &format!("\"{}/exports/", dir.display()))
        + DETERMINISTIC_ONLY;
    assert!(t.contains(&data.display().to_string()));
    let p = dir.join(name);
    std::fs::write(&p, t).unwrap();
    p
}

/// The demo pipeline over the sample data in `data`, building `dir/warehouse` (with `extra`
/// appended to the file).
fn demo_pipeline(dir: &Path, data: &Path, extra: &str) -> PathBuf {
    let t = std::fs::read_to_string(repo().join("pipelines/retail_demo.toml")).unwrap();
    let t = t
        .replace("\"../sample_data/", &format!("\"{}/", data.display()))
        .replace("\"../exports/", &format!("\"{}/exports/", dir.display()))
        .replace("\"../warehouse\"", "\"warehouse\"")
        + extra;
    let p = dir.join("demo.toml");
    std::fs::write(&p, t).unwrap();
    p
}

fn build(pipeline: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["build", pipeline.to_str().unwrap()];
    args.extend_from_slice(extra);
    run(&args)
}

fn current(wh: &Path) -> String {
    std::fs::read_to_string(wh.join("CURRENT"))
        .expect("CURRENT exists")
        .trim()
        .to_string()
}

fn staging_dirs(wh: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(wh.join("snapshots"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(".staging-"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

const TABLES: [&str; 11] = [
    "source_records",
    "transactions",
    "rejects",
    "identity_edges",
    "identity_map",
    "customer_id_history",
    "profiles",
    "customer_events",
    "rfm",
    "segment_membership",
    "runs",
];

/// Checks that CURRENT names a complete snapshot and returns its counts, read with `omni sql`.
fn published_counts(wh: &Path) -> (String, serde_json::Value) {
    let id = current(wh);
    let dir = wh.join("snapshots").join(&id);
    for f in ["manifest.json", "report.json", "report.html"] {
        assert!(dir.join(f).is_file(), "snapshot {id} lacks {f}");
    }
    for t in TABLES {
        assert!(
            dir.join(format!("{t}.parquet")).is_file(),
            "snapshot {id} lacks {t}"
        );
    }
    let o = run(&[
        "sql",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "json",
        "SELECT (SELECT count(*) FROM source_records) AS records, \
                (SELECT count(*) FROM identity_map) AS mapped, \
                (SELECT count(DISTINCT customer_id) FROM identity_map) AS customers, \
                (SELECT count(*) FROM profiles) AS profiles, \
                (SELECT count(*) FROM rfm) AS rfm, \
                (SELECT count(*) FROM transactions) AS transactions, \
                (SELECT count(*) FROM rejects) AS rejects",
    ]);
    ok(&o, "omni sql over the published snapshot");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let row = v[0].clone();
    assert_eq!(row["records"], row["mapped"], "{row}");
    assert_eq!(row["customers"], row["profiles"], "{row}");
    (id, row)
}

#[test]
fn sigkill_at_any_point_leaves_a_published_queryable_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    datagen(&data, 3000, 7);
    let wh = tmp.path().join("warehouse");
    let p = generated_pipeline(tmp.path(), "nightly.toml", &data, &wh);

    let t = Instant::now();
    ok(&build(&p, &["-q"]), "first build");
    // Other tests share the machine, so the first build may have been slow: builds that end
    // before their kill shorten the estimate.
    let mut duration = t.elapsed();
    eprintln!("one build: {duration:.1?}");
    let (first, before) = published_counts(&wh);
    assert!(before["records"].as_u64().unwrap() > 20_000, "{before}");

    let points = 12;
    let mut killed = 0;
    for i in 0..points {
        let share = 0.05 + 0.90 * i as f64 / (points - 1) as f64;
        let spawned = Instant::now();
        let mut child = omni()
            .args(["-q", "build", p.to_str().unwrap()])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(duration.mul_f64(share));
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        // Killed, or finished just before the kill; never refused (a stale lock is taken
        // over) and never failed.
        match out.status.signal() {
            Some(9) => killed += 1,
            _ => {
                assert!(
                    out.status.success(),
                    "build {i} (killed at {:.0}%) ended with {}: {}",
                    share * 100.0,
                    out.status,
                    text(&out.stderr)
                );
                duration = duration.min(spawned.elapsed());
            }
        }
        let (id, after) = published_counts(&wh);
        assert_eq!(
            after,
            before,
            "after a kill at {:.0}% snapshot {id} differs",
            share * 100.0
        );
        // Each build removes what killed builds left, so at most the last one's remains.
        let staging = staging_dirs(&wh);
        assert!(staging.len() <= 1, "leftovers pile up: {staging:?}");
    }
    assert!(
        killed >= points / 2,
        "only {killed} of {points} builds were killed mid-way"
    );

    // The next build succeeds, cleans up and publishes a new snapshot with the same counts.
    let o = build(&p, &[]);
    ok(&o, "build after the kills");
    let (id, after) = published_counts(&wh);
    assert_ne!(id, first);
    assert_eq!(after, before);
    assert_eq!(staging_dirs(&wh), Vec::<String>::new());
    assert!(!wh.join(".lock").exists(), "the lock is released");
    let o = run(&[
        "runs",
        "--warehouse",
        wh.to_str().unwrap(),
        "--format",
        "json",
    ]);
    ok(&o, "omni runs");
    let runs: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let runs = runs.as_array().unwrap();
    assert!(!runs.is_empty() && runs.len() <= 5, "keep_snapshots = 5");
    assert_eq!(runs.last().unwrap()["run_id"], id.as_str());
}

#[test]
fn a_failed_build_leaves_the_previous_snapshot_published() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    datagen(&data, 300, 3);
    let wh = tmp.path().join("warehouse");
    let p = generated_pipeline(tmp.path(), "p.toml", &data, &wh);
    ok(&build(&p, &["-q"]), "first build");
    let (id, before) = published_counts(&wh);

    let check_unchanged = |what: &str, o: &Output, expect: &str| {
        assert_eq!(o.status.code(), Some(1), "{what}: {}", text(&o.stderr));
        let e = text(&o.stderr);
        assert!(e.contains(expect), "{what}: {e}");
        assert_eq!(
            published_counts(&wh),
            (id.clone(), before.clone()),
            "{what}"
        );
        assert_eq!(staging_dirs(&wh), Vec::<String>::new(), "{what}");
        assert!(!wh.join(".lock").exists(), "{what}: lock left behind");
    };

    // A segment whose SQL fails: the build stops at the segments stage, after ingest,
    // resolve and profiles wrote their tables into the staging directory.
    let bad_seg = tmp.path().join("bad_segment.toml");
    let t = std::fs::read_to_string(&p).unwrap().replace(
        "sql = \"SELECT customer_id FROM rfm WHERE rfm_segment = 'Champions'\"",
        "sql = \"SELECT customer_id FROM rfm_typo WHERE rfm_segment = 'Champions'\"",
    );
    assert!(t.contains("rfm_typo"));
    std::fs::write(&bad_seg, t).unwrap();
    let o = build(&bad_seg, &[]);
    check_unchanged("bad segment SQL", &o, "rfm_typo");
    assert!(
        text(&o.stderr).contains("omni build: profiles done"),
        "the failure came mid-build: {}",
        text(&o.stderr)
    );

    // A bad export file appears in place of a good one.
    std::fs::write(
        data.join("web_orders.csv"),
        "\u{0}\u{1}garbage;not;the;export\n1;2;3\n",
    )
    .unwrap();
    let o = build(&p, &[]);
    check_unchanged("bad input file", &o, "web_orders");

    // A file that cannot be read (a directory where the file was).
    std::fs::remove_file(data.join("web_orders.csv")).unwrap();
    std::fs::create_dir(data.join("web_orders.csv")).unwrap();
    let o = build(&p, &[]);
    check_unchanged("unreadable input", &o, "web_orders");
}

#[test]
fn readers_never_see_a_partial_snapshot() {
    let tmp = tempfile::tempdir().unwrap();
    let wh = tmp.path().join("warehouse");
    let (small, large) = (tmp.path().join("small"), tmp.path().join("large"));
    datagen(&small, 150, 1);
    datagen(&large, 400, 2);
    let pipelines = [
        generated_pipeline(tmp.path(), "small.toml", &small, &wh),
        generated_pipeline(tmp.path(), "large.toml", &large, &wh),
    ];
    ok(&build(&pipelines[0], &["-q"]), "first build");

    let done = AtomicBool::new(false);
    let builds = 4;
    let (reads, seen) = std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let w = omni_sql::Warehouse::new(&wh);
            let mut reads = 0u64;
            let mut seen = BTreeSet::new();
            while !done.load(Ordering::SeqCst) || reads < 3 {
                let dir = w.current_dir().expect("CURRENT names a snapshot");
                let id = dir.file_name().unwrap().to_string_lossy().into_owned();
                let (records, mapped, run, run_records) = rt.block_on(async {
                    let ctx = omni_sql::open_snapshot(&dir)
                        .await
                        .unwrap_or_else(|e| panic!("open {id}: {e}"));
                    let b = ctx
                        .sql(
                            "SELECT (SELECT count(*) FROM source_records) AS s, \
                                    (SELECT count(*) FROM identity_map) AS m, \
                                    (SELECT run_id FROM runs ORDER BY finished_at DESC LIMIT 1) AS r, \
                                    (SELECT records FROM runs ORDER BY finished_at DESC LIMIT 1) AS rr",
                        )
                        .await
                        .unwrap_or_else(|e| panic!("query {id}: {e}"))
                        .collect()
                        .await
                        .unwrap_or_else(|e| panic!("read {id}: {e}"));
                    let v = |i: usize| {
                        arrow::util::display::array_value_to_string(b[0].column(i), 0).unwrap()
                    };
                    (v(0), v(1), v(2), v(3))
                });
                assert_eq!(records, mapped, "snapshot {id}: identity_map ≠ source_records");
                assert_eq!(run, id, "snapshot {id}: its runs table ends with another run");
                assert_eq!(run_records, records, "snapshot {id}: runs row ≠ tables");
                let report: serde_json::Value = serde_json::from_str(
                    &std::fs::read_to_string(dir.join("report.json")).unwrap(),
                )
                .unwrap();
                assert_eq!(report["run_id"], id.as_str());
                assert_eq!(report["identity"]["records"].to_string(), records);
                seen.insert(records);
                reads += 1;
            }
            (reads, seen)
        });
        for i in 0..builds {
            let o = build(&pipelines[(i + 1) % 2], &["-q"]);
            ok(&o, &format!("build {i}"));
        }
        done.store(true, Ordering::SeqCst);
        reader.join().expect("reader")
    });
    assert!(reads >= 10, "only {reads} reads during {builds} builds");
    assert_eq!(
        seen.len(),
        2,
        "reads saw both inputs' snapshots: {seen:?} in {reads} reads"
    );
}

#[test]
fn drift_warnings_are_printed_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    std::fs::create_dir(&data).unwrap();
    for e in std::fs::read_dir(repo().join("sample_data")).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), data.join(e.file_name())).unwrap();
    }
    let p = demo_pipeline(tmp.path(), &data, DETERMINISTIC_ONLY);
    let o = build(&p, &[]);
    ok(&o, "first build");
    let out = text(&o.stdout);
    let report_line = out
        .lines()
        .find_map(|l| l.strip_prefix("report: "))
        .unwrap_or_else(|| panic!("no report line: {out}"));
    assert!(report_line.ends_with("report.html") && Path::new(report_line).is_file());
    assert!(!text(&o.stderr).contains("warning: drift"));

    // The web shop's export shrinks to a fifth: rows read −80%.
    let web = std::fs::read_to_string(data.join("web_orders.csv")).unwrap();
    let lines: Vec<&str> = web.lines().collect();
    let keep = lines.len() / 5;
    std::fs::write(data.join("web_orders.csv"), lines[..keep].join("\n") + "\n").unwrap();
    let copy = tmp.path().join("out/report.html");
    let o = build(&p, &["--report", copy.to_str().unwrap()]);
    // Its directory does not exist yet: refused before anything runs.
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("does not exist"),
        "{}",
        text(&o.stderr)
    );
    std::fs::create_dir(copy.parent().unwrap()).unwrap();
    let o = build(&p, &["--report", copy.to_str().unwrap()]);
    ok(&o, "second build");
    let err = text(&o.stderr);
    assert!(
        err.contains("warning: drift: source web_orders:") && err.contains("rows read"),
        "{err}"
    );
    assert!(text(&o.stdout).contains("1 drift warning against the previous run"));
    let wh = tmp.path().join("warehouse");
    let dir = wh.join("snapshots").join(current(&wh));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    let w = &report["warnings"][0];
    assert_eq!(w["kind"], "source_rows");
    assert_eq!(w["subject"], "web_orders");
    assert_eq!(report["warnings"].as_array().unwrap().len(), 1);
    let html = std::fs::read_to_string(&copy).unwrap();
    assert_eq!(
        html,
        std::fs::read_to_string(dir.join("report.html")).unwrap()
    );
    assert!(html.contains("drift-warning"));
    // The sources' counts add up in the report too.
    for s in report["sources"].as_array().unwrap() {
        assert_eq!(
            s["rows_read"].as_u64(),
            Some(s["accepted"].as_u64().unwrap() + s["rejected"].as_u64().unwrap())
        );
    }
}

fn chromium() -> Option<PathBuf> {
    let found = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file());
    if found.is_none() {
        if std::env::var_os("OMNI_REQUIRE_CHROMIUM").is_some() {
            panic!(
                "OMNI_REQUIRE_CHROMIUM is set but chromium is not installed (apt-get install chromium)"
            );
        }
        eprintln!(
            "\n!!!!!!!! SKIPPED: chromium is not installed; the HTML report was not rendered.\n\
             !!!!!!!! Install it (apt-get install chromium) or run .ci/run, which does.\n"
        );
    }
    found
}

fn headless(chrome: &Path, profile: &Path, extra: &[&str], url: &str) -> Output {
    let mut c = Command::new(chrome);
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
    ])
    .arg(format!("--user-data-dir={}", profile.display()))
    .args(extra)
    .arg(url);
    let out = c.output().expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        text(&out.stderr)
    );
    out
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert!(
        png.len() > 24 && png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG"
    );
    let be = |i: usize| u32::from_be_bytes(png[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let Some(chrome) = chromium() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let p = demo_pipeline(tmp.path(), &repo().join("sample_data"), DETERMINISTIC_ONLY);
    let html = tmp.path().join("report.html");
    ok(
        &build(&p, &["-q", "--report", html.to_str().unwrap()]),
        "build",
    );
    let url = format!("file://{}", html.display());
    let profile = tmp.path().join("chromium-profile");

    let shot = tmp.path().join("report.png");
    let out = headless(
        &chrome,
        &profile,
        &[
            "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,4000",
            &format!("--screenshot={}", shot.display()),
        ],
        &url,
    );
    let err = text(&out.stderr);
    for bad in ["Uncaught", "ERROR:CONSOLE", "Failed to load resource"] {
        assert!(
            !err.lines().any(|l| l.contains(bad)),
            "console errors: {err}"
        );
    }
    let png = std::fs::read(&shot).expect("a screenshot");
    assert_eq!(png_size(&png), (1280, 4000));
    // A blank page compresses to a few kB; charts, tables and text do not.
    assert!(png.len() > 40_000, "screenshot of {} bytes", png.len());

    let out = headless(&chrome, &profile, &["--dump-dom"], &url);
    let dom = text(&out.stdout);
    assert!(dom.contains("Run report: retail_demo"), "{dom}");
    // The match-weight histogram is drawn by the same code (unit tests cover it); without
    // the probabilistic tier the page says so instead.
    assert!(dom.contains("The probabilistic tier did not run"));
    for chart in [
        "chart-clusters",
        "chart-coverage",
        "chart-rfm",
        "chart-channels",
        "chart-stages",
    ] {
        assert!(dom.contains(&format!("id=\"{chart}\"")), "{chart} missing");
    }
    assert_eq!(dom.matches("<svg").count(), 5);
    assert_eq!(dom.matches("class=\"heat-cell\"").count(), 25);
    assert!(dom.matches("class=\"bar\"").count() >= 10);
    assert!(dom.contains("First run of this warehouse"));
}
