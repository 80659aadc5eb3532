//! Helpers shared by the integration tests: a small RFC 4180 splitter and a checker of
//! every line of the exports against `bad_rows.csv`.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fs;
use std::path::Path;

use omni_datagen::{GenOptions, GenSummary, generate};

pub const EXPORTS: [(&str, &str); 7] = [
    ("web_orders.csv", "web_orders"),
    ("pos_tickets.csv", "pos_tickets"),
    ("loyalty_members.csv", "loyalty_members"),
    ("app_users.jsonl", "app_users"),
    ("app_orders.jsonl", "app_orders"),
    ("call_centre.csv", "call_centre"),
    ("messaging_contacts.csv", "messaging_contacts"),
];

pub fn opts(persons: u64, seed: u64, rate: f64) -> GenOptions {
    GenOptions {
        persons,
        seed,
        channels: Vec::new(),
        bad_row_rate: rate,
    }
}

pub fn run_with_threads(threads: usize, o: &GenOptions, dir: &Path) -> GenSummary {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    pool.install(|| generate(o, dir)).unwrap()
}

pub fn file_names(dir: &Path) -> BTreeSet<String> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect()
}

/// RFC 4180 fields of one line.
pub fn split(line: &str, delim: char) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = fields.last_mut().unwrap();
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.is_empty() {
            quoted = true;
        } else if c == delim {
            fields.push(String::new());
        } else {
            cur.push(c);
        }
    }
    fields
}

pub fn read_csv(path: &Path) -> Vec<Vec<String>> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| split(l, ','))
        .collect()
}

/// (file, line) → (record id, reason) of `bad_rows.csv`.
pub fn bad_rows(dir: &Path) -> HashMap<(String, u64), (String, String)> {
    read_csv(&dir.join("bad_rows.csv"))
        .into_iter()
        .skip(1)
        .map(|f| {
            (
                (f[0].clone(), f[1].parse().unwrap()),
                (f[2].clone(), f[3].clone()),
            )
        })
        .collect()
}

/// Checks every line of every export; returns the valid record ids per source.
pub fn check_exports(dir: &Path) -> BTreeMap<String, Vec<String>> {
    let bad = bad_rows(dir);
    let mut seen_bad = 0;
    let mut ids: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (file, source) in EXPORTS {
        let path = dir.join(file);
        if !path.exists() {
            continue;
        }
        let text = fs::read_to_string(&path).unwrap();
        assert!(
            (text.is_empty() || text.ends_with('\n')) && !text.contains('\r'),
            "{file}"
        );
        let ids = ids.entry(source.to_string()).or_default();
        if file.ends_with(".jsonl") {
            for (n, line) in text.lines().enumerate() {
                let parsed = serde_json::from_str::<serde_json::Value>(line);
                if let Some((_, reason)) = bad.get(&(file.to_string(), n as u64 + 1)) {
                    seen_bad += 1;
                    assert!(reason.starts_with("truncated JSON"), "{reason}");
                    assert!(parsed.is_err(), "{file}:{}: bad row parses: {line}", n + 1);
                    continue;
                }
                let v = parsed.unwrap_or_else(|e| panic!("{file}:{}: {e}: {line}", n + 1));
                let id = if source == "app_users" {
                    &v["user"]["account_id"]
                } else {
                    &v["order_ref"]
                };
                ids.push(id.as_str().unwrap().to_string());
            }
            continue;
        }
        let delim = if source == "pos_tickets" { ';' } else { ',' };
        let mut lines = text.lines();
        let header = split(lines.next().unwrap(), delim);
        for (n, line) in lines.enumerate() {
            let line_no = n as u64 + 2;
            let f = split(line, delim);
            if let Some((id, reason)) = bad.get(&(file.to_string(), line_no)) {
                seen_bad += 1;
                assert_eq!(&f[0], id, "{file}:{line_no}");
                let malformed = match reason.as_str() {
                    r if r.starts_with("created_at") => f[1] == "not-a-date",
                    r if r.ends_with("is empty") => f[0].is_empty(),
                    r if r.starts_with("13 fields") => f.len() == 13,
                    r if r.starts_with("9 fields") => f.len() == 9,
                    r if r.starts_with("importe") => f[6] == "abc",
                    r if r.starts_with("fecha") => f[1] == "31/02/2025 10:00",
                    r if r.starts_with("birth_date") => f[3] == "1985-13-45",
                    r if r.starts_with("only 3 fields") => f.len() == 3,
                    r => panic!("unexpected reason {r}"),
                };
                assert!(
                    malformed,
                    "{file}:{line_no} is not malformed as said ({reason}): {line}"
                );
                continue;
            }
            assert_eq!(f.len(), header.len(), "{file}:{line_no}: {line}");
            assert!(!f[0].is_empty(), "{file}:{line_no}");
            ids.push(f[0].clone());
        }
    }
    assert_eq!(seen_bad, bad.len(), "every listed bad row is in its file");
    ids
}

/// The national significant number of a phone as written (`+34 612…` → `612…`).
pub fn national(raw: &str) -> String {
    let mut d: String = raw.chars().filter(char::is_ascii_digit).collect();
    if let Some(rest) = d.strip_prefix("00") {
        d = rest.to_string();
    }
    if (d.len() == 11 && d.starts_with("34")) || (d.len() == 12 && d.starts_with("44")) {
        d = d[2..].to_string();
    }
    d.strip_prefix('0').map(str::to_string).unwrap_or(d)
}
