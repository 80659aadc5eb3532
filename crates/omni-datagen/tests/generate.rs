//! End-to-end checks of the generator: determinism across thread counts, truth coverage,
//! malformed rows and channel selection.

mod common;

use std::collections::{BTreeMap, HashMap};
use std::fs;

use common::*;
use omni_datagen::{Channel, GenOptions, generate};

#[test]
fn same_output_whatever_the_thread_count() {
    // Two blocks, so blocks really run in parallel.
    let o = opts(5_000, 99, 0.01);
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let sa = run_with_threads(1, &o, a.path());
    let sb = run_with_threads(4, &o, b.path());
    assert_eq!(sa, sb);
    let names = file_names(a.path());
    assert_eq!(names, file_names(b.path()));
    assert_eq!(names.len(), 10);
    for name in &names {
        let (x, y) = (
            fs::read(a.path().join(name)).unwrap(),
            fs::read(b.path().join(name)).unwrap(),
        );
        assert!(x == y, "{name} differs between 1 and 4 threads");
    }
    run_with_threads(2, &opts(5_000, 100, 0.01), c.path());
    for name in &names {
        assert_ne!(
            fs::read(a.path().join(name)).unwrap(),
            fs::read(c.path().join(name)).unwrap(),
            "{name}"
        );
    }
}

#[test]
fn truth_covers_exactly_the_valid_records() {
    let dir = tempfile::tempdir().unwrap();
    let summary = generate(&opts(4_500, 1, 0.01), dir.path()).unwrap();
    assert!(summary.bad_rows > 20, "{summary:?}");
    assert!(
        summary
            .files
            .iter()
            .all(|(n, _, b)| dir.path().join(n).metadata().unwrap().len() == *b)
    );
    let ids = check_exports(dir.path());
    let truth = read_csv(&dir.path().join("truth.csv"));
    assert_eq!(truth[0], ["source", "record_id", "person_id"]);
    assert_eq!(truth.len() as u64 - 1, summary.records);
    let mut truth_ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut person_of = HashMap::new();
    for f in &truth[1..] {
        truth_ids
            .entry(f[0].clone())
            .or_default()
            .push(f[1].clone());
        person_of.insert((f[0].clone(), f[1].clone()), f[2].clone());
        if f[2].starts_with("ANON-") {
            assert_eq!((f[0].as_str(), &f[2][5..]), ("pos_tickets", f[1].as_str()));
        } else {
            assert!(f[2].starts_with('P') && f[2].len() >= 5, "{f:?}");
        }
    }
    for (source, mut v) in ids {
        let n = v.len();
        v.sort();
        v.dedup();
        assert_eq!(v.len(), n, "{source}: ids are not unique");
        let mut t = truth_ids.remove(&source).unwrap_or_default();
        t.sort();
        assert_eq!(v, t, "{source}: truth and file disagree");
        assert!(n > 100, "{source}: only {n} records");
    }
    assert!(truth_ids.is_empty());
    // ~8.5 records per person.
    let per_person = summary.records as f64 / 4_500.0;
    assert!((7.0..10.0).contains(&per_person), "{per_person}");

    // Every transaction is a valid record of its person.
    let tx = read_csv(&dir.path().join("truth_transactions.csv"));
    assert_eq!(
        tx[0],
        [
            "person_id",
            "source",
            "transaction_id",
            "ts",
            "amount",
            "currency",
            "kind"
        ]
    );
    let lo = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
    let hi = chrono::DateTime::parse_from_rfc3339("2026-10-31T23:59:59Z").unwrap();
    let mut returns = 0;
    for f in &tx[1..] {
        assert_eq!(
            person_of.get(&(f[1].clone(), f[2].clone())),
            Some(&f[0]),
            "{f:?}"
        );
        let ts = chrono::DateTime::parse_from_rfc3339(&f[3]).unwrap();
        assert!(lo <= ts && ts <= hi && f[3].ends_with('Z'), "{f:?}");
        let amount: f64 = f[4].parse().unwrap();
        assert_eq!(f[4].split('.').nth(1).map(str::len), Some(2), "{f:?}");
        assert!(f[5] == "EUR" || f[5] == "GBP");
        assert_eq!(f[6], if amount < 0.0 { "return" } else { "purchase" });
        returns += usize::from(amount < 0.0);
    }
    assert!(returns > 50);
}

#[test]
fn channel_selection_writes_only_those_files() {
    let dir = tempfile::tempdir().unwrap();
    let o = GenOptions {
        channels: vec![Channel::Web, Channel::CallCentre],
        ..opts(300, 3, 0.01)
    };
    let summary = generate(&o, dir.path()).unwrap();
    let expected = [
        "web_orders.csv",
        "call_centre.csv",
        "truth.csv",
        "truth_transactions.csv",
        "bad_rows.csv",
    ];
    assert_eq!(
        file_names(dir.path()),
        expected.iter().map(|s| s.to_string()).collect()
    );
    assert_eq!(
        summary
            .files
            .iter()
            .map(|f| f.0.as_str())
            .collect::<Vec<_>>(),
        expected
    );
    check_exports(dir.path());

    let dir = tempfile::tempdir().unwrap();
    let o = GenOptions {
        channels: vec!["loyalty".parse().unwrap()],
        ..opts(300, 3, 0.01)
    };
    generate(&o, dir.path()).unwrap();
    assert!(
        dir.path().join("pos_tickets.csv").exists()
            && dir.path().join("loyalty_members.csv").exists()
    );
    assert!(!dir.path().join("web_orders.csv").exists());
    check_exports(dir.path());
}

#[test]
fn tiny_populations_work() {
    for persons in [1, 2, 7] {
        let dir = tempfile::tempdir().unwrap();
        let s = generate(&opts(persons, persons, 0.5), dir.path()).unwrap();
        assert!(s.records >= 1);
        check_exports(dir.path());
    }
}
