//! Evaluation of a resolution against ground truth: pairwise and B-cubed precision, recall
//! and F1, persons resolved whole, cluster sizes, and the worst confusions.
//!
//! Both sides are lists of `(source, record_id, cluster)`; records present on one side only
//! are counted and left out of the metrics.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;

/// One record's cluster: `(source, record_id, cluster id)`.
pub type Assignment = (String, String, String);

/// Precision, recall and F1.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Prf {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
}

impl Prf {
    fn new(precision: f64, recall: f64) -> Self {
        let f1 = if precision + recall == 0.0 {
            0.0
        } else {
            2.0 * precision * recall / (precision + recall)
        };
        Prf {
            precision,
            recall,
            f1,
        }
    }
}

/// A person whose records ended up in several predicted clusters.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Split {
    pub person: String,
    pub records: u64,
    pub clusters: u64,
}

/// A predicted cluster holding several persons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Merge {
    pub cluster: String,
    pub records: u64,
    pub persons: u64,
}

/// Everything `omni eval` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub records: u64,
    pub true_persons: u64,
    pub predicted_clusters: u64,
    /// Records in the prediction but not in the truth, and the reverse.
    pub only_in_prediction: u64,
    pub only_in_truth: u64,
    pub true_pairs: u64,
    pub predicted_pairs: u64,
    pub correct_pairs: u64,
    pub pairwise: Prf,
    pub bcubed: Prf,
    /// Share of persons whose predicted cluster is exactly their records.
    pub persons_resolved_whole: f64,
    /// Predicted cluster size → number of clusters.
    pub cluster_sizes: BTreeMap<u64, u64>,
    /// Largest predicted clusters.
    pub largest_clusters: Vec<Merge>,
    /// Persons split over the most clusters.
    pub top_splits: Vec<Split>,
    /// Clusters merging the most persons.
    pub top_merges: Vec<Merge>,
    /// RFM exactness per true person, when true transactions are known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rfm: Option<crate::rfm_check::RfmAccuracy>,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

/// Compares `predicted` with `truth`. `top` bounds the confusion lists.
pub fn evaluate(predicted: &[Assignment], truth: &[Assignment], top: usize) -> EvalReport {
    let truth_of: HashMap<(&str, &str), &str> = truth
        .iter()
        .map(|(s, r, p)| ((s.as_str(), r.as_str()), p.as_str()))
        .collect();
    let pred_keys: HashSet<(&str, &str)> = predicted
        .iter()
        .map(|(s, r, _)| (s.as_str(), r.as_str()))
        .collect();
    let only_in_truth = truth_of.keys().filter(|k| !pred_keys.contains(*k)).count() as u64;
    // The records both sides know: (predicted cluster, true person).
    let mut only_in_prediction = 0u64;
    let mut joint: Vec<(&str, &str)> = Vec::with_capacity(predicted.len());
    for (s, r, c) in predicted {
        match truth_of.get(&(s.as_str(), r.as_str())) {
            Some(p) => joint.push((c.as_str(), *p)),
            None => only_in_prediction += 1,
        }
    }
    let mut cluster_size: HashMap<&str, u64> = HashMap::new();
    let mut person_size: HashMap<&str, u64> = HashMap::new();
    let mut cell: HashMap<(&str, &str), u64> = HashMap::new();
    for &(c, p) in &joint {
        *cluster_size.entry(c).or_default() += 1;
        *person_size.entry(p).or_default() += 1;
        *cell.entry((c, p)).or_default() += 1;
    }
    let correct_pairs: u64 = cell.values().map(|&n| pairs(n)).sum();
    let predicted_pairs: u64 = cluster_size.values().map(|&n| pairs(n)).sum();
    let true_pairs: u64 = person_size.values().map(|&n| pairs(n)).sum();
    let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
    let pairwise = Prf::new(
        ratio(correct_pairs, predicted_pairs),
        ratio(correct_pairs, true_pairs),
    );

    // B-cubed: per record, the overlap of its cluster and its person, averaged. Summed per
    // cell: n records each contribute n/|cluster| and n/|person|.
    let n = joint.len() as f64;
    let (mut bp, mut br) = (0.0, 0.0);
    for (&(c, p), &k) in &cell {
        let k = k as f64;
        bp += k * k / cluster_size[c] as f64;
        br += k * k / person_size[p] as f64;
    }
    let bcubed = if joint.is_empty() {
        Prf::new(1.0, 1.0)
    } else {
        Prf::new(bp / n, br / n)
    };

    let mut clusters_of_person: HashMap<&str, u64> = HashMap::new();
    let mut persons_of_cluster: HashMap<&str, u64> = HashMap::new();
    for &(c, p) in cell.keys() {
        *clusters_of_person.entry(p).or_default() += 1;
        *persons_of_cluster.entry(c).or_default() += 1;
    }
    let whole = cell
        .iter()
        .filter(|((c, p), k)| cluster_size[c] == **k && person_size[p] == **k)
        .count();
    let persons_resolved_whole = ratio(whole as u64, person_size.len() as u64);

    let mut cluster_sizes = BTreeMap::new();
    for &s in cluster_size.values() {
        *cluster_sizes.entry(s).or_default() += 1;
    }
    let merge = |c: &str| Merge {
        cluster: c.to_string(),
        records: cluster_size[c],
        persons: persons_of_cluster[c],
    };
    let mut largest: Vec<Merge> = cluster_size.keys().map(|c| merge(c)).collect();
    largest.sort_by(|a, b| {
        b.records
            .cmp(&a.records)
            .then_with(|| a.cluster.cmp(&b.cluster))
    });
    largest.truncate(top);
    let mut merges: Vec<Merge> = persons_of_cluster
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(c, _)| merge(c))
        .collect();
    merges.sort_by(|a, b| {
        b.persons
            .cmp(&a.persons)
            .then(b.records.cmp(&a.records))
            .then_with(|| a.cluster.cmp(&b.cluster))
    });
    merges.truncate(top);
    let mut splits: Vec<Split> = clusters_of_person
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(p, n)| Split {
            person: p.to_string(),
            records: person_size[p],
            clusters: *n,
        })
        .collect();
    splits.sort_by(|a, b| {
        b.clusters
            .cmp(&a.clusters)
            .then(b.records.cmp(&a.records))
            .then_with(|| a.person.cmp(&b.person))
    });
    splits.truncate(top);

    EvalReport {
        records: joint.len() as u64,
        true_persons: person_size.len() as u64,
        predicted_clusters: cluster_size.len() as u64,
        only_in_prediction,
        only_in_truth,
        true_pairs,
        predicted_pairs,
        correct_pairs,
        pairwise,
        bcubed,
        persons_resolved_whole,
        cluster_sizes,
        largest_clusters: largest,
        top_splits: splits,
        top_merges: merges,
        rfm: None,
    }
}

/// Reads a truth file: CSV with a header naming `source`, `record_id` and `person_id` (in any
/// order, other columns ignored). Values must not contain commas or quotes, as `omni datagen`
/// writes them. Errors name the file and line.
pub fn read_truth(path: &std::path::Path) -> Result<Vec<Assignment>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read truth file {}: {e}", path.display()))?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines
        .next()
        .map(|(_, h)| {
            h.trim_start_matches('\u{feff}')
                .split(',')
                .map(str::trim)
                .collect()
        })
        .unwrap_or_default();
    let col = |name: &str| {
        header.iter().position(|h| *h == name).ok_or_else(|| {
            format!(
                "truth file {} has no `{name}` column: the header must name source,record_id,person_id",
                path.display()
            )
        })
    };
    let (s, r, p) = (col("source")?, col("record_id")?, col("person_id")?);
    let mut out = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').collect();
        if f.len() != header.len() {
            return Err(format!(
                "truth file {} line {}: expected {} fields, found {}",
                path.display(),
                i + 1,
                header.len(),
                f.len()
            ));
        }
        out.push((f[s].to_string(), f[r].to_string(), f[p].to_string()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records r0.. of source "s"; `truth[i]` and `pred[i]` are record i's person and cluster.
    fn run(truth: &[&str], pred: &[&str]) -> EvalReport {
        let t: Vec<Assignment> = truth
            .iter()
            .enumerate()
            .map(|(i, p)| ("s".into(), format!("r{i}"), p.to_string()))
            .collect();
        let p: Vec<Assignment> = pred
            .iter()
            .enumerate()
            .map(|(i, c)| ("s".into(), format!("r{i}"), c.to_string()))
            .collect();
        evaluate(&p, &t, 10)
    }

    const TRUTH: [&str; 6] = ["A", "A", "A", "B", "B", "C"];

    #[test]
    fn perfect() {
        let r = run(&TRUTH, &["x", "x", "x", "y", "y", "z"]);
        assert_eq!(r.pairwise, Prf::new(1.0, 1.0));
        assert_eq!(r.bcubed, Prf::new(1.0, 1.0));
        assert_eq!(r.persons_resolved_whole, 1.0);
        assert_eq!(
            (r.true_pairs, r.predicted_pairs, r.correct_pairs),
            (4, 4, 4)
        );
        assert!(r.top_splits.is_empty() && r.top_merges.is_empty());
        assert_eq!(r.cluster_sizes, BTreeMap::from([(1, 1), (2, 1), (3, 1)]));
    }

    #[test]
    fn all_merged() {
        let r = run(&TRUTH, &["x"; 6]);
        // 15 predicted pairs, 4 of them true.
        assert_eq!((r.predicted_pairs, r.correct_pairs), (15, 4));
        assert_eq!(r.pairwise.precision, 4.0 / 15.0);
        assert_eq!(r.pairwise.recall, 1.0);
        // B-cubed precision: (3·3/6 + 2·2/6 + 1·1/6) / 6 = (14/6) / 6.
        assert!((r.bcubed.precision - 14.0 / 36.0).abs() < 1e-12);
        assert_eq!(r.bcubed.recall, 1.0);
        assert_eq!(r.persons_resolved_whole, 0.0);
        assert_eq!(r.top_merges[0].persons, 3);
        assert_eq!(r.largest_clusters[0].records, 6);
    }

    #[test]
    fn all_split() {
        let r = run(&TRUTH, &["a", "b", "c", "d", "e", "f"]);
        assert_eq!(r.predicted_pairs, 0);
        assert_eq!(r.pairwise.precision, 1.0);
        assert_eq!(r.pairwise.recall, 0.0);
        assert_eq!(r.pairwise.f1, 0.0);
        // B-cubed recall: (3·1/3 + 2·1/2 + 1) / 6 = 3/6.
        assert!((r.bcubed.recall - 0.5).abs() < 1e-12);
        assert_eq!(r.bcubed.precision, 1.0);
        // Only C (a single record) is whole.
        assert!((r.persons_resolved_whole - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            r.top_splits[0],
            Split {
                person: "A".into(),
                records: 3,
                clusters: 3
            }
        );
    }

    #[test]
    fn one_known_mistake() {
        // Record 3 (person B) is wrongly put with A.
        let r = run(&TRUTH, &["x", "x", "x", "x", "y", "z"]);
        // Predicted pairs: C(4,2) = 6, of which 3 (within A) are true; true pairs 4.
        assert_eq!(
            (r.predicted_pairs, r.correct_pairs, r.true_pairs),
            (6, 3, 4)
        );
        assert_eq!(r.pairwise, Prf::new(0.5, 0.75));
        assert!((r.pairwise.f1 - 0.6).abs() < 1e-12);
        // B-cubed precision: cell (x,A)=3 → 9/4, (x,B)=1 → 1/4, (y,B)=1 → 1, (z,C)=1 → 1;
        // sum 4.5 / 6 = 0.75. Recall: 9/3 + 1/2 + 1/2 + 1 = 5 / 6.
        assert!((r.bcubed.precision - 0.75).abs() < 1e-12);
        assert!((r.bcubed.recall - 5.0 / 6.0).abs() < 1e-12);
        // Only C is whole.
        assert!((r.persons_resolved_whole - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(
            r.top_merges,
            vec![Merge {
                cluster: "x".into(),
                records: 4,
                persons: 2
            }]
        );
        assert_eq!(
            r.top_splits,
            vec![Split {
                person: "B".into(),
                records: 2,
                clusters: 2
            }]
        );
    }

    #[test]
    fn reads_truth_files_and_names_bad_lines() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("t.csv");
        std::fs::write(&p, "person_id,source,record_id\nP1,web,W1\nP1,pos,T1\n").unwrap();
        let t = read_truth(&p).unwrap();
        assert_eq!(t[1], ("pos".into(), "T1".into(), "P1".into()));
        std::fs::write(&p, "source,record_id,person_id\nweb,W1\n").unwrap();
        assert!(read_truth(&p).unwrap_err().contains("line 2"));
        std::fs::write(&p, "a,b\n").unwrap();
        assert!(read_truth(&p).unwrap_err().contains("`source`"));
    }

    #[test]
    fn records_on_one_side_only_are_counted_not_scored() {
        let t: Vec<Assignment> = vec![
            ("s".into(), "1".into(), "A".into()),
            ("s".into(), "2".into(), "A".into()),
        ];
        let p: Vec<Assignment> = vec![
            ("s".into(), "1".into(), "x".into()),
            ("s".into(), "9".into(), "x".into()),
        ];
        let r = evaluate(&p, &t, 10);
        assert_eq!(
            (r.records, r.only_in_prediction, r.only_in_truth),
            (1, 1, 1)
        );
    }
}
