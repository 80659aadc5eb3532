//! Realism checks: timestamps, references, noise and hard negatives; and a speed check.

mod common;

use std::collections::{HashMap, HashSet};
use std::fs;

use common::*;
use omni_datagen::generate;

#[test]
fn timestamps_and_references_are_consistent() {
    let dir = tempfile::tempdir().unwrap();
    generate(&opts(3_000, 5, 0.0), dir.path()).unwrap();
    assert_eq!(
        fs::read_to_string(dir.path().join("bad_rows.csv")).unwrap(),
        "file,line,record_id,reason\n"
    );
    let web = read_csv(&dir.path().join("web_orders.csv"));
    let lo = chrono::DateTime::parse_from_rfc3339("2024-01-01T00:00:00Z").unwrap();
    let hi = chrono::DateTime::parse_from_rfc3339("2026-10-31T23:59:59Z").unwrap();
    let web_ids: HashSet<&str> = web[1..].iter().map(|f| f[0].as_str()).collect();
    for f in &web[1..] {
        let t = chrono::DateTime::parse_from_rfc3339(&f[1]).unwrap();
        assert!(lo <= t && t <= hi, "{f:?}");
        assert!(
            f[11].is_empty() || web_ids.contains(f[11].as_str()),
            "{f:?}"
        );
    }
    let pos = fs::read_to_string(dir.path().join("pos_tickets.csv")).unwrap();
    let pos: Vec<Vec<String>> = pos.lines().map(|l| split(l, ';')).collect();
    let pos_ids: HashSet<&str> = pos[1..].iter().map(|f| f[0].as_str()).collect();
    let mut web_returns = 0;
    for f in &pos[1..] {
        chrono::NaiveDateTime::parse_from_str(&f[1], "%d/%m/%Y %H:%M").unwrap();
        let r = &f[8];
        assert!(
            r.is_empty() || pos_ids.contains(r.as_str()) || web_ids.contains(r.as_str()),
            "{f:?}"
        );
        web_returns += usize::from(r.starts_with('W'));
        if let Some(card) = Some(&f[3]).filter(|c| !c.is_empty()) {
            assert!(card.len() == 13 && card.starts_with("2400"), "{card}");
        }
    }
    assert!(web_returns > 0);
    let loyalty = read_csv(&dir.path().join("loyalty_members.csv"));
    for f in &loyalty[1..] {
        assert!(
            f[3].is_empty()
                || chrono::NaiveDate::parse_from_str(&f[3], "%d/%m/%Y").is_ok()
                || chrono::NaiveDate::parse_from_str(&f[3], "%Y-%m-%d").is_ok(),
            "{f:?}"
        );
        assert!(["sí", "si", "no"].contains(&f[9].as_str()));
    }
    for line in fs::read_to_string(dir.path().join("app_orders.jsonl"))
        .unwrap()
        .lines()
    {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let t = v["placed_at"].as_i64().unwrap();
        assert!((1_704_067_200..=1_793_491_199).contains(&t), "{line}");
    }
}

#[test]
fn noise_and_hard_negatives_are_there() {
    let dir = tempfile::tempdir().unwrap();
    generate(&opts(2_000, 11, 0.0), dir.path()).unwrap();
    let truth = read_csv(&dir.path().join("truth.csv"));
    let person: HashMap<(String, String), String> = truth[1..]
        .iter()
        .map(|f| ((f[0].clone(), f[1].clone()), f[2].clone()))
        .collect();

    // Households: one landline, two persons (in the call centre, the first call of each).
    let mut callers: HashMap<String, HashSet<String>> = HashMap::new();
    for f in &read_csv(&dir.path().join("call_centre.csv"))[1..] {
        if !f[3].is_empty() {
            let p = person[&("call_centre".to_string(), f[0].clone())].clone();
            callers.entry(national(&f[3])).or_default().insert(p);
        }
    }
    let shared = callers.values().filter(|ps| ps.len() > 1).count();
    assert!(shared >= 10, "{shared} phones shared by several persons");
    // Each shared number is a landline (Spanish 9xx or a UK geographic number).
    for (num, ps) in &callers {
        if ps.len() > 1 {
            assert!(
                num.starts_with('9') || num.starts_with('1') || num.starts_with('2'),
                "{num}"
            );
        }
    }

    let pos = fs::read_to_string(dir.path().join("pos_tickets.csv")).unwrap();
    assert!(pos.matches(";test@test.com;").count() >= 50);
    assert!(pos.matches(";000000000;").count() >= 30);
    let web = fs::read_to_string(dir.path().join("web_orders.csv")).unwrap();
    let msg = fs::read_to_string(dir.path().join("messaging_contacts.csv")).unwrap();
    let all = [web.as_str(), pos.as_str(), msg.as_str()].concat();
    for needle in [
        "C/ ",
        "Avda. ",
        " Rd",
        "+shop@gmail.com",
        "+34 6",
        "0034",
        "(+44) 7",
        "@Gmail.com",
    ] {
        assert!(all.contains(needle), "no {needle:?}");
    }
    let nicks = [
        "Pepe", "Paco", "Lola", "Manolo", "Nacho", "Bob", "Bill", "Kate", "Javi", "Toni",
    ];
    let found: Vec<&str> = nicks.into_iter().filter(|n| all.contains(n)).collect();
    assert!(found.len() >= 6, "nicknames found: {found:?}");
    // Upper case without accents, and both locales.
    assert!(web.contains("GARCIA") || web.contains("GONZALEZ") || web.contains("MARTINEZ"));
    assert!(
        web.contains(",GB,")
            && web.contains(",GBP,")
            && web.contains(",ES,")
            && web.contains(",EUR,")
    );
    let cc = fs::read_to_string(dir.path().join("call_centre.csv")).unwrap();
    assert!(cc.contains("\"GARCÍA ") || cc.contains("\"GARCIA "));
}

/// Speed check: `cargo test --release -p omni-datagen --test realism -- --ignored --nocapture`.
#[test]
#[ignore]
fn speed_100k_persons() {
    let dir = tempfile::tempdir().unwrap();
    let start = std::time::Instant::now();
    let s = generate(&opts(100_000, 20_261_122, 0.0005), dir.path()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    let bytes: u64 = s.files.iter().map(|f| f.2).sum();
    println!(
        "100k persons: {} records, {} bad rows, {:.1} MB in {secs:.2} s on {} threads: {:.0} records/s",
        s.records,
        s.bad_rows,
        bytes as f64 / 1e6,
        rayon::current_num_threads(),
        s.records as f64 / secs
    );
}
