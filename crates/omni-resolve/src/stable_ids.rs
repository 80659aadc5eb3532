//! Customer ids that survive rebuilds.
//!
//! A new cluster inherits the id of the previous snapshot's customer it overlaps most; when
//! clusters merge, the oldest id survives and the others are recorded as `merged_into` it;
//! when a customer splits, the part holding most of its records keeps the id and the other
//! parts get new ids recorded as `split_from` it. A customer none of whose records remain is
//! `retired`. Ids are never reissued. Every event is a row of `customer_id_history`.
//!
//! Without a previous snapshot every cluster gets `customer_id_for(smallest record key)`, so
//! the same inputs always give the same ids.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, StringBuilder, UInt64Builder};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use omni_core::ids::customer_id_salted;
use omni_core::schema;
use serde::Serialize;

use crate::error::Result;

/// The previous snapshot's identity tables.
#[derive(Debug, Clone, Copy)]
pub struct PreviousIds<'a> {
    pub identity_map: &'a [RecordBatch],
    pub history: &'a [RecordBatch],
}

/// Id events of one run.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct IdStats {
    pub kept: u64,
    pub created: u64,
    pub merged: u64,
    pub split: u64,
    pub retired: u64,
}

/// Ids for the clusters of one run and the full history (previous rows + this run's).
#[derive(Debug)]
pub struct Assigned {
    /// Id of each cluster, indexed by the cluster's label.
    pub ids: HashMap<usize, String>,
    pub history: RecordBatch,
    pub stats: IdStats,
}

fn strings(batch: &RecordBatch, name: &str) -> Result<StringArray> {
    let a = batch
        .column_by_name(name)
        .ok_or_else(|| crate::error::Error::MissingColumn(format!("{name} (previous snapshot)")))?;
    Ok(omni_core::text::as_utf8(a)?)
}

struct Events {
    id: StringBuilder,
    event: StringBuilder,
    other: StringBuilder,
    run: StringBuilder,
    records: UInt64Builder,
}

impl Events {
    fn push(&mut self, id: &str, event: &str, other: Option<&str>, run: &str, records: u64) {
        self.id.append_value(id);
        self.event.append_value(event);
        self.other.append_option(other);
        self.run.append_value(run);
        self.records.append_value(records);
    }
}

/// Assigns ids. `keys[p]` is record `p`'s (source, record_id) in canonical order and
/// `labels[p]` its cluster, labelled by the cluster's smallest position.
pub fn assign(
    keys: &[(&str, &str)],
    labels: &[usize],
    previous: Option<PreviousIds<'_>>,
    run_id: &str,
) -> Result<Assigned> {
    let map_schema = schema::identity_map();
    let hist_schema = schema::customer_id_history();
    let prev_map = concat_batches(&map_schema, previous.map_or(&[][..], |p| p.identity_map))?;
    let prev_hist = concat_batches(&hist_schema, previous.map_or(&[][..], |p| p.history))?;
    let (ps, pr, pc) = (
        strings(&prev_map, "source")?,
        strings(&prev_map, "record_id")?,
        strings(&prev_map, "customer_id")?,
    );
    let prev_of: HashMap<(&str, &str), &str> = (0..prev_map.num_rows())
        .map(|i| ((ps.value(i), pr.value(i)), pc.value(i)))
        .collect();
    let (hid, hev, hrun) = (
        strings(&prev_hist, "customer_id")?,
        strings(&prev_hist, "event")?,
        strings(&prev_hist, "run_id")?,
    );
    // When each id was created (run ids sort by time); ids of old snapshots without a
    // history count as the oldest.
    let mut created: HashMap<&str, &str> = HashMap::new();
    let mut known: HashSet<&str> = prev_of.values().copied().collect();
    for i in 0..prev_hist.num_rows() {
        known.insert(hid.value(i));
        if matches!(hev.value(i), "created" | "split_from") {
            created.entry(hid.value(i)).or_insert(hrun.value(i));
        }
    }

    // Cluster sizes (labels are positions, so a vector indexes them) and overlaps between
    // new clusters and previous ids.
    let mut size: Vec<u64> = vec![0; labels.len()];
    let mut overlap: HashMap<(usize, &str), u64> = HashMap::new();
    for (p, &c) in labels.iter().enumerate() {
        size[c] += 1;
        if !prev_of.is_empty()
            && let Some(&old) = prev_of.get(&keys[p])
        {
            *overlap.entry((c, old)).or_default() += 1;
        }
    }
    // Each previous id's heir: the cluster holding most of its records; on a tie the larger
    // cluster, then the one with the smaller first record.
    let mut heir: HashMap<&str, (u64, usize)> = HashMap::new();
    let rank = |n: u64, c: usize| (n, size[c], std::cmp::Reverse(c));
    for (&(c, old), &n) in &overlap {
        let e = heir.entry(old).or_insert((n, c));
        if rank(n, c) > rank(e.0, e.1) {
            *e = (n, c);
        }
    }
    let mut inherits: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (&old, &(_, c)) in &heir {
        inherits.entry(c).or_default().push(old);
    }
    // The previous id each cluster overlaps most (for split_from).
    let mut main_parent: HashMap<usize, (u64, &str)> = HashMap::new();
    for (&(c, old), &n) in &overlap {
        let e = main_parent.entry(c).or_insert((n, old));
        if n > e.0 || (n == e.0 && old < e.1) {
            *e = (n, old);
        }
    }

    let mut ev = Events {
        id: StringBuilder::new(),
        event: StringBuilder::new(),
        other: StringBuilder::new(),
        run: StringBuilder::new(),
        records: UInt64Builder::new(),
    };
    let mut stats = IdStats::default();
    let clusters = size.iter().filter(|&&n| n > 0).count();
    let mut issued: HashSet<String> = HashSet::with_capacity(clusters);
    let mut ids: HashMap<usize, String> = HashMap::with_capacity(clusters);
    for (c, &n) in size.iter().enumerate().filter(|(_, n)| **n > 0) {
        let id = match inherits.get_mut(&c) {
            Some(olds) => {
                olds.sort_by(|a, b| {
                    let ca = created.get(a).copied().unwrap_or("");
                    let cb = created.get(b).copied().unwrap_or("");
                    ca.cmp(cb).then(a.cmp(b))
                });
                let keep = olds[0].to_string();
                for other in &olds[1..] {
                    ev.push(other, "merged_into", Some(&keep), run_id, n);
                    stats.merged += 1;
                }
                stats.kept += 1;
                keep
            }
            None => {
                let (s, r) = keys[c];
                let mut k = 0;
                let id = loop {
                    let id = customer_id_salted(s, r, k);
                    if !known.contains(id.as_str()) && !issued.contains(&id) {
                        break id;
                    }
                    k += 1;
                };
                match main_parent.get(&c) {
                    Some(&(_, parent)) => {
                        ev.push(&id, "split_from", Some(parent), run_id, n);
                        stats.split += 1;
                    }
                    None => {
                        ev.push(&id, "created", None, run_id, n);
                        stats.created += 1;
                    }
                }
                id
            }
        };
        issued.insert(id.clone());
        ids.insert(c, id);
    }
    // Previous customers none of whose records remain.
    let mut gone: Vec<&str> = prev_of
        .values()
        .copied()
        .filter(|old| !heir.contains_key(old))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    gone.sort_unstable();
    for old in gone {
        ev.push(old, "retired", None, run_id, 0);
        stats.retired += 1;
    }

    let new_rows: Vec<ArrayRef> = vec![
        Arc::new(ev.id.finish()),
        Arc::new(ev.event.finish()),
        Arc::new(ev.other.finish()),
        Arc::new(ev.run.finish()),
        Arc::new(ev.records.finish()),
    ];
    let new_rows = RecordBatch::try_new(hist_schema.clone(), new_rows)?;
    let history = concat_batches(&hist_schema, &[prev_hist, new_rows])?;
    Ok(Assigned {
        ids,
        history,
        stats,
    })
}
