//! How many true persons get exactly their own RFM figures after resolution: the check that
//! resolution errors do not leak into marketing's numbers.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate};
use serde::Serialize;

/// One row of `truth_transactions.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct TruthTx {
    pub person: String,
    pub source: String,
    pub transaction_id: String,
    /// Unix seconds.
    pub ts: i64,
    pub cents: i64,
    pub purchase: bool,
}

/// A customer's RFM figures as built: (recency days, frequency, monetary in cents).
pub type Rfm = (i64, i64, i64);

/// The result of [`rfm_accuracy`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmAccuracy {
    pub as_of: String,
    /// Persons with at least one purchase up to `as_of`.
    pub persons: u64,
    /// Of them, those whose transactions all sit in one customer whose recency, frequency and
    /// monetary equal the person's own.
    pub exact: u64,
    pub share_exact: f64,
}

fn parse_cents(s: &str) -> Option<i64> {
    let (neg, t) = match s.strip_prefix('-') {
        Some(t) => (true, t),
        None => (false, s),
    };
    let (w, f) = t.split_once('.').unwrap_or((t, "0"));
    let f = format!("{f:0<2}");
    let c = w.parse::<i64>().ok()? * 100 + f.get(..2)?.parse::<i64>().ok()?;
    Some(if neg { -c } else { c })
}

/// Reads `truth_transactions.csv` (`person_id,source,transaction_id,ts,amount,currency,kind`).
pub fn read_truth_transactions(path: &std::path::Path) -> Result<Vec<TruthTx>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        let bad = || format!("{} line {}: not a truth transaction", path.display(), i + 1);
        if f.len() != 7 {
            return Err(bad());
        }
        out.push(TruthTx {
            person: f[0].to_string(),
            source: f[1].to_string(),
            transaction_id: f[2].to_string(),
            ts: DateTime::parse_from_rfc3339(f[3])
                .map_err(|_| bad())?
                .timestamp(),
            cents: parse_cents(f[4]).ok_or_else(bad)?,
            purchase: f[6] == "purchase",
        });
    }
    Ok(out)
}

/// Compares each true person's RFM with the built one. `customer_of` maps
/// (source, transaction id) to the customer holding it; `built` holds each customer's RFM.
/// RFM follows the build's definition: transactions after `as_of` are ignored, frequency
/// counts purchases, monetary sums purchases net of returns, recency counts days from the last
/// purchase to `as_of`.
pub fn rfm_accuracy(
    truth: &[TruthTx],
    customer_of: &HashMap<(String, String), String>,
    built: &HashMap<String, Rfm>,
    as_of: NaiveDate,
) -> RfmAccuracy {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let as_of_day = (as_of - epoch).num_days();
    let end = (as_of_day + 1) * 86_400;
    #[derive(Default)]
    struct P<'a> {
        freq: i64,
        money: i64,
        last: Option<i64>,
        customers: HashSet<Option<&'a String>>,
    }
    let mut persons: HashMap<&str, P> = HashMap::new();
    for t in truth.iter().filter(|t| t.ts < end) {
        let p = persons.entry(t.person.as_str()).or_default();
        p.money += t.cents;
        if t.purchase {
            p.freq += 1;
            p.last = Some(p.last.map_or(t.ts, |l| l.max(t.ts)));
        }
        p.customers
            .insert(customer_of.get(&(t.source.clone(), t.transaction_id.clone())));
    }
    let mut n = 0u64;
    let mut exact = 0u64;
    for p in persons.values().filter(|p| p.freq > 0) {
        n += 1;
        let want = (
            as_of_day - p.last.expect("a purchase").div_euclid(86_400),
            p.freq,
            p.money,
        );
        let mut cs = p.customers.iter();
        if let (Some(Some(c)), None) = (cs.next(), cs.next())
            && built.get(*c) == Some(&want)
        {
            exact += 1;
        }
    }
    RfmAccuracy {
        as_of: as_of.format("%Y-%m-%d").to_string(),
        persons: n,
        exact,
        share_exact: if n == 0 { 1.0 } else { exact as f64 / n as f64 },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tx(person: &str, id: &str, day: i64, cents: i64) -> TruthTx {
        TruthTx {
            person: person.into(),
            source: "s".into(),
            transaction_id: id.into(),
            ts: day * 86_400 + 3600,
            cents,
            purchase: cents > 0,
        }
    }

    #[test]
    fn exact_only_when_one_customer_holds_the_right_figures() {
        let as_of = NaiveDate::from_ymd_opt(1970, 1, 31).unwrap(); // day 30
        let truth = vec![
            tx("A", "1", 10, 1000),
            tx("A", "2", 20, 500),
            tx("A", "3", 21, -200),
            tx("A", "4", 40, 9999), // after as_of: ignored
            tx("B", "5", 25, 700),
            tx("C", "6", 5, 100),
            tx("C", "7", 6, 100),
        ];
        let cust = |pairs: &[(&str, &str)]| -> HashMap<(String, String), String> {
            pairs
                .iter()
                .map(|(t, c)| (("s".to_string(), t.to_string()), c.to_string()))
                .collect()
        };
        // A right; B's customer merged with someone (figures differ); C split in two.
        let customer_of = cust(&[
            ("1", "a"),
            ("2", "a"),
            ("3", "a"),
            ("5", "b"),
            ("6", "c1"),
            ("7", "c2"),
        ]);
        let built = HashMap::from([
            ("a".to_string(), (10, 2, 1300)),
            ("b".to_string(), (5, 2, 1400)),
            ("c1".to_string(), (25, 1, 100)),
            ("c2".to_string(), (24, 1, 100)),
        ]);
        let r = rfm_accuracy(&truth, &customer_of, &built, as_of);
        assert_eq!((r.persons, r.exact), (3, 1));
        assert!((r.share_exact - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(parse_cents("-12.5"), Some(-1250));
        assert_eq!(parse_cents("7"), Some(700));
    }
}
