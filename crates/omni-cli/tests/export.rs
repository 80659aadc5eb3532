//! `omni export` end to end over the demo warehouse: platform layouts, consent suppression
//! that agrees with SQL, manifests whose checksums match the files, and no plaintext
//! identifier in the hashed formats.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The demo warehouse, built once per `omni` binary and shared by the tests of this file
/// (nextest runs each test in its own process): a build goes to a private directory that is
/// renamed into place, so concurrent first tests never see half a warehouse.
fn warehouse() -> &'static Path {
    static WH: OnceLock<PathBuf> = OnceLock::new();
    WH.get_or_init(|| {
        let bin = std::fs::metadata(env!("CARGO_BIN_EXE_omni")).unwrap();
        let stamp = bin
            .modified()
            .unwrap()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("export-demo-{stamp}"));
        if root.join("warehouse/CURRENT").exists() {
            return root.join("warehouse");
        }
        let staging = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!(".export-demo-{stamp}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&staging);
        std::fs::create_dir_all(&staging).unwrap();
        let t = std::fs::read_to_string(repo().join("pipelines/retail_demo.toml")).unwrap();
        let t = t
            .replace(
                "\"../sample_data/",
                &format!("\"{}/", repo().join("sample_data").display()),
            )
            .replace("\"../exports/", "\"exports/")
            .replace("\"../warehouse\"", "\"warehouse\"");
        let p = staging.join("demo.toml");
        std::fs::write(&p, t).unwrap();
        let o = omni(&["-q", "build", p.to_str().unwrap()]);
        assert!(o.status.success(), "build: {}", text(&o.stderr));
        // Another test process may have won the race; its warehouse is as good as ours.
        if std::fs::rename(&staging, &root).is_err() {
            let _ = std::fs::remove_dir_all(&staging);
        }
        root.join("warehouse")
    })
}

fn wh() -> &'static str {
    warehouse().to_str().unwrap()
}

fn sql(q: &str) -> Vec<serde_json::Value> {
    let o = omni(&["sql", "--warehouse", wh(), "--format", "json", q]);
    assert!(o.status.success(), "{q}: {}", text(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn count(q: &str) -> u64 {
    sql(q)[0]["n"].as_u64().unwrap()
}

fn export(args: &[&str]) -> Output {
    let mut a = vec!["export", "--warehouse", wh()];
    a.extend_from_slice(args);
    omni(&a)
}

fn manifest(path: &Path) -> serde_json::Value {
    let mut p = path.as_os_str().to_owned();
    p.push(".manifest.json");
    serde_json::from_str(&std::fs::read_to_string(PathBuf::from(p)).unwrap()).unwrap()
}

/// SHA-256 by coreutils' `sha256sum`, independent of the code under test.
fn sha256(bytes: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("sha256sum");
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    text(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// Every file the manifest lists exists with its row count and checksum; returns the texts.
fn check_files(path: &Path, m: &serde_json::Value) -> Vec<String> {
    let dir = path.parent().unwrap();
    let mut rows = 0;
    let mut texts = Vec::new();
    for f in m["files"].as_array().unwrap() {
        let bytes = std::fs::read(dir.join(f["file"].as_str().unwrap())).unwrap();
        assert_eq!(f["sha256"].as_str().unwrap(), sha256(&bytes), "{f}");
        let t = text(&bytes);
        let n = t.lines().count() as u64 - 1;
        assert_eq!(f["rows"].as_u64().unwrap(), n, "{f}");
        rows += n;
        texts.push(t);
    }
    assert_eq!(m["rows"].as_u64().unwrap(), rows);
    texts
}

/// Every email and phone number profiles hold, as stored and in the forms platforms use.
fn plaintext_identifiers() -> Vec<String> {
    let rows = sql(
        "SELECT DISTINCT v FROM (SELECT email AS v FROM profiles UNION ALL SELECT phone FROM profiles \
         UNION ALL SELECT unnest(emails) FROM profiles UNION ALL SELECT unnest(phones) FROM profiles \
         UNION ALL SELECT email_match_key(email) FROM profiles) WHERE v IS NOT NULL",
    );
    let mut out = Vec::new();
    for r in rows {
        let v = r["v"].as_str().unwrap().to_string();
        if let Some(digits) = v.strip_prefix('+') {
            out.push(digits.to_string());
        }
        out.push(v);
    }
    assert!(out.len() > 500, "{}", out.len());
    out
}

fn assert_no_plaintext(texts: &[String]) {
    let ids = plaintext_identifiers();
    for t in texts {
        for id in &ids {
            assert!(!t.contains(id.as_str()), "plaintext {id} in the output");
        }
    }
}

fn hashed_cells_only(t: &str, plain_columns: &[usize]) {
    for line in t.lines().skip(1) {
        for (i, cell) in line.split(',').enumerate() {
            if plain_columns.contains(&i) {
                continue;
            }
            assert!(
                cell.is_empty()
                    || (cell.len() == 64 && cell.chars().all(|c| c.is_ascii_hexdigit())),
                "column {i} is not a SHA-256 hex: {line}"
            );
        }
    }
}

#[test]
fn meta_export_of_a_segment_is_hashed_and_respects_ads_consent() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("champions_meta.csv");
    let o = export(&[
        "--segment",
        "champions",
        "--to",
        "meta",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stdout).contains("suppressed"),
        "{}",
        text(&o.stdout)
    );
    let m = manifest(&out);
    assert_eq!(m["format"], "meta");
    assert_eq!(m["purpose"], "ads");
    let members = count(
        "SELECT count(*) AS n FROM segment_membership WHERE segment = 'champions' AND status <> 'exited'",
    );
    let consenting = count(
        "SELECT count(*) AS n FROM segment_membership s JOIN profiles p USING (customer_id) \
         WHERE s.segment = 'champions' AND s.status <> 'exited' \
         AND (p.consent_email IS TRUE OR p.consent_sms IS TRUE)",
    );
    assert!(
        members > consenting && consenting > 0,
        "{members} {consenting}"
    );
    assert_eq!(m["selected"].as_u64().unwrap(), members);
    assert_eq!(
        m["suppressed"]["total"].as_u64().unwrap(),
        members - consenting
    );
    assert_eq!(
        m["rows"].as_u64().unwrap() + m["skipped_no_identifier"].as_u64().unwrap(),
        consenting
    );
    let current = std::fs::read_to_string(warehouse().join("CURRENT")).unwrap();
    assert_eq!(m["snapshot"].as_str().unwrap(), current.trim());
    let texts = check_files(&out, &m);
    assert!(
        texts[0].starts_with("EMAIL,PHONE,FN,LN,CT,ZIP,COUNTRY,DOBY,DOBM,DOBD\n"),
        "{}",
        texts[0]
    );
    hashed_cells_only(&texts[0], &[]);
    assert_no_plaintext(&texts);
}

#[test]
fn google_export_of_a_query_splits_and_keeps_only_country_and_zip_plain() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("buyers.csv");
    let o = export(&[
        "--query",
        "SELECT customer_id FROM rfm WHERE frequency >= 2",
        "--to",
        "google",
        "--split-rows",
        "40",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let m = manifest(&out);
    let files = m["files"].as_array().unwrap();
    assert!(files.len() > 1, "{m}");
    assert_eq!(files[0]["file"], "buyers-00001.csv");
    assert!(files.iter().all(|f| f["rows"].as_u64().unwrap() <= 40));
    let texts = check_files(&out, &m);
    for t in &texts {
        assert!(
            t.starts_with("Email,Phone,First Name,Last Name,Country,Zip\n"),
            "{t}"
        );
        hashed_cells_only(t, &[4, 5]);
    }
    assert!(texts.concat().contains(",ES,"), "country stays plain");
    assert_no_plaintext(&texts);
}

#[test]
fn mailchimp_and_klaviyo_rows_agree_with_consent_in_sql() {
    let d = tempfile::tempdir().unwrap();
    let emailable = count(
        "SELECT count(*) AS n FROM segment_membership s JOIN profiles p USING (customer_id) \
         WHERE s.segment = 'champions' AND s.status <> 'exited' AND p.consent_email AND p.email IS NOT NULL",
    );
    let out = d.path().join("mc.csv");
    let o = export(&[
        "--segment",
        "champions",
        "--to",
        "mailchimp",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = std::fs::read_to_string(&out).unwrap();
    assert!(
        t.starts_with("Email Address,First Name,Last Name,Phone Number,Address,Tags,Status\n"),
        "{t}"
    );
    assert_eq!(t.lines().count() as u64 - 1, emailable);
    assert!(
        t.lines()
            .skip(1)
            .all(|l| l.ends_with(",champions,subscribed"))
    );

    // Without suppression Klaviyo gets everyone with an email or phone, in its vocabulary.
    let out = d.path().join("kl.csv");
    let o = export(&[
        "--segment",
        "champions",
        "--to",
        "klaviyo",
        "--no-suppress",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = std::fs::read_to_string(&out).unwrap();
    let reachable = count(
        "SELECT count(*) AS n FROM segment_membership s JOIN profiles p USING (customer_id) \
         WHERE s.segment = 'champions' AND s.status <> 'exited' AND (p.email IS NOT NULL OR p.phone IS NOT NULL)",
    );
    assert_eq!(t.lines().count() as u64 - 1, reachable);
    assert!(t.contains(",UNSUBSCRIBED,") || t.contains(",NEVER_SUBSCRIBED,"));
    assert_eq!(manifest(&out)["suppressed"]["total"], 0);
}

#[test]
fn data_formats_keep_the_query_rows_minus_non_consenting() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("p.jsonl");
    let o = export(&[
        "--query",
        "SELECT customer_id, lifetime_value FROM profiles ORDER BY lifetime_value DESC, customer_id",
        "--to",
        "jsonl",
        "--purpose",
        "push",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let t = std::fs::read_to_string(&out).unwrap();
    let push = count("SELECT count(*) AS n FROM profiles WHERE consent_push");
    assert!(push > 0);
    assert_eq!(t.lines().count() as u64, push);
    let first: serde_json::Value = serde_json::from_str(t.lines().next().unwrap()).unwrap();
    assert!(first["customer_id"].as_str().unwrap().starts_with("c_"));
    let m = manifest(&out);
    assert_eq!(
        m["suppressed"]["total"].as_u64().unwrap() + push,
        count("SELECT count(*) AS n FROM profiles")
    );
    assert_eq!(
        m["suppressed"]["opted_out"].as_u64().unwrap(),
        count("SELECT count(*) AS n FROM profiles WHERE NOT consent_push")
    );
}

#[test]
fn mistakes_are_user_errors_with_the_fix() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("x.csv");
    let o = out.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (
            &["--segment", "champion", "--to", "meta", "-o", o],
            "did you mean `champions`?",
        ),
        (
            &[
                "--query",
                "SELECT email FROM profiles",
                "--to",
                "google",
                "-o",
                o,
            ],
            "no customer_id column",
        ),
        (
            &["--segment", "champions", "--to", "xlsx", "-o", o],
            "use csv, parquet, jsonl",
        ),
        (
            &["--query", "SELECT * FROM profile", "--to", "csv", "-o", o],
            "did you mean `profiles`?",
        ),
        (&["--to", "csv", "-o", o], "--segment"),
    ];
    for (args, want) in cases {
        let r = export(args);
        assert_eq!(r.status.code(), Some(1), "{args:?}: {}", text(&r.stderr));
        assert!(
            text(&r.stderr).contains(want),
            "{args:?}: {}",
            text(&r.stderr)
        );
    }
    assert!(!out.exists());
}
