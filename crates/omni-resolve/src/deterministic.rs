//! Deterministic identifier stitching: records sharing a strong identifier are one customer,
//! unless the value is blocked or shared by implausibly many records.

use rustc_hash::FxHashMap;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, StringArray, StringBuilder};
use arrow::compute::concat_batches;
use arrow::record_batch::RecordBatch;
use omni_core::fields::CanonicalField;
use omni_core::schema::{self, col};
use rayon::prelude::*;
use serde::Serialize;

use crate::config::IdentityConfig;
use crate::error::{Error, Result};
use crate::features::{Features, Interned};
use crate::guards::{Guarded, Refusal};
use crate::probabilistic::{self, Model, Plan};
use crate::stable_ids::{self, IdStats, PreviousIds};

/// What resolution produced.
#[derive(Debug)]
pub struct Resolution {
    /// `identity_map`: (source, record_id, customer_id), sorted by source and record id.
    pub identity_map: RecordBatch,
    /// `identity_edges`: every candidate link, kept or rejected (empty from
    /// [`resolve_streaming`], which hands them to its sink).
    pub identity_edges: RecordBatch,
    /// `customer_id_history`: the previous snapshot's events and this run's.
    pub history: RecordBatch,
    pub stats: ResolveStats,
    /// The probabilistic tier's fitted model (None when the tier is off).
    pub model: Option<Model>,
    /// Wall time of each phase, in order (seconds): where a run spends its time. Not part
    /// of [`ResolveStats`], which repeats exactly from run to run.
    pub phases: Vec<(&'static str, f64)>,
}

/// Counts for the run report.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ResolveStats {
    pub records: u64,
    pub customers: u64,
    /// Links kept, by rule.
    pub links_by_rule: BTreeMap<String, u64>,
    /// Links refused, by rule (blocked or generic values).
    pub rejected_by_rule: BTreeMap<String, u64>,
    /// Values treated as generic, by rule.
    pub generic_values: BTreeMap<String, u64>,
    pub largest_cluster: u64,
    /// Number of clusters of each size (size → count).
    pub cluster_sizes: BTreeMap<u64, u64>,
    /// Customer ids kept, created, merged, split and retired by this run.
    pub ids: IdStats,
    /// Histogram of the probabilistic tier's match weights (log2 Bayes factor) over scored
    /// candidate pairs; empty when the tier is off.
    pub match_weights: Vec<WeightBin>,
    /// Guard actions by kind (cannot-link refusals, links cut to respect the maximum cluster
    /// size, ...), counting links affected.
    pub guard_actions: BTreeMap<String, u64>,
    /// The largest clusters, largest first (at most 10).
    pub largest_clusters: Vec<ClusterSummary>,
    /// Candidate pairs that needed a decision from the probabilistic tier (not already one
    /// customer).
    pub pairs_scored: u64,
    /// Candidate pairs compared and weighed: `pairs_scored` and the pairs the deterministic
    /// tier had joined already (they train the model).
    pub pairs_compared: u64,
}

/// One bin of the match-weight histogram: pairs with `lo <= weight < hi`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct WeightBin {
    pub lo: f64,
    pub hi: f64,
    /// Pairs in the bin that became links.
    pub linked: u64,
    /// Pairs in the bin that did not.
    pub rejected: u64,
}

/// A cluster named by its customer id.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ClusterSummary {
    pub customer_id: String,
    pub records: u64,
}

/// The column of `source_records` a rule compares.
fn rule_column(rule: &str) -> Result<&'static str> {
    match CanonicalField::parse(rule) {
        Some(CanonicalField::Email) => Ok(col::EMAIL_MATCH),
        Some(f) if f.is_identifier() => Ok(f.name()),
        _ => Err(Error::UnknownIdentifier(rule.to_string())),
    }
}

/// The columns of `source_records` the resolver reads with `cfg`: keys, the features it
/// compares and the identifier columns of its rules. Callers holding `source_records` can
/// keep only these (raw values, file names, consents and timestamps are not read).
pub fn resolver_columns(cfg: &IdentityConfig) -> Result<Vec<&'static str>> {
    let mut cols = vec![
        col::SOURCE,
        col::RECORD_ID,
        col::FIRST_NAME_NORM,
        col::LAST_NAME_NORM,
        col::EMAIL_MATCH,
        CanonicalField::Phone.name(),
        CanonicalField::NationalId.name(),
        CanonicalField::LoyaltyCard.name(),
        CanonicalField::BirthDate.name(),
        CanonicalField::Address.name(),
        CanonicalField::Postcode.name(),
        CanonicalField::City.name(),
    ];
    for rule in cfg.deterministic.iter().chain(&cfg.cannot_link) {
        let c = rule_column(rule)?;
        if !cols.contains(&c) {
            cols.push(c);
        }
    }
    Ok(cols)
}

/// `batch` (of `source_records`, whole or already cut) with only the columns `names`, in order.
fn project_named(batch: &RecordBatch, names: &[&str]) -> Result<RecordBatch> {
    let idx = names
        .iter()
        .map(|n| {
            batch
                .schema()
                .index_of(n)
                .map_err(|_| Error::MissingColumn(n.to_string()))
        })
        .collect::<Result<Vec<usize>>>()?;
    Ok(batch.project(&idx)?)
}

/// A batch of `source_records` cut to the columns the resolver reads with `cfg`
/// ([`resolver_columns`]): what a caller keeps after writing the table, to free the rest.
pub fn resolver_input(batch: &RecordBatch, cfg: &IdentityConfig) -> Result<RecordBatch> {
    project_named(batch, &resolver_columns(cfg)?)
}

/// One batch of `source_records` holding only `names`, in that order (the batches are
/// projected one by one, so the whole table is never held twice).
fn concat_columns(batches: &[RecordBatch], names: &[&str]) -> Result<RecordBatch> {
    let full = schema::source_records();
    let projected = project_named(&RecordBatch::new_empty(full), names)?.schema();
    let parts = batches
        .iter()
        .map(|b| project_named(b, names))
        .collect::<Result<Vec<RecordBatch>>>()?;
    Ok(concat_batches(&projected, &parts)?)
}

/// Checks the rule names of a config.
pub fn validate(cfg: &IdentityConfig) -> Result<()> {
    for r in cfg
        .deterministic
        .iter()
        .chain(cfg.blocked_values.keys())
        .chain(&cfg.cannot_link)
        .chain(cfg.family_guard.iter().filter(|r| *r != "probabilistic"))
        .chain(&cfg.must_link)
    {
        rule_column(r)?;
    }
    Plan::new(&cfg.probabilistic)?;
    Ok(())
}

/// Histogram of match weights in 2-bit bins from -20 to +40 (the ends open).
fn histogram(weights: &[f64], decision: &[Decided], same: &[bool]) -> Vec<WeightBin> {
    const LO: f64 = -20.0;
    const STEP: f64 = 2.0;
    const BINS: usize = 30;
    let mut bins: Vec<WeightBin> = (0..BINS)
        .map(|i| WeightBin {
            lo: if i == 0 {
                f64::NEG_INFINITY
            } else {
                LO + STEP * i as f64
            },
            hi: if i == BINS - 1 {
                f64::INFINITY
            } else {
                LO + STEP * (i + 1) as f64
            },
            linked: 0,
            rejected: 0,
        })
        .collect();
    for ((w, d), &s) in weights.iter().zip(decision).zip(same) {
        if s {
            continue;
        }
        let i = (((w - LO) / STEP).floor().max(0.0) as usize).min(BINS - 1);
        if *d == Decided::Link {
            bins[i].linked += 1;
        } else {
            bins[i].rejected += 1;
        }
    }
    // Trim empty bins at both ends.
    let first = bins.iter().position(|b| b.linked + b.rejected > 0);
    let last = bins.iter().rposition(|b| b.linked + b.rejected > 0);
    match (first, last) {
        (Some(f), Some(l)) => bins[f..=l].to_vec(),
        _ => Vec::new(),
    }
}

fn text_column(batch: &RecordBatch, name: &str) -> Result<StringArray> {
    let a = batch
        .column_by_name(name)
        .ok_or_else(|| Error::MissingColumn(name.to_string()))?;
    Ok(omni_core::text::as_utf8(a)?)
}

/// What became of a scored candidate pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decided {
    /// Under the threshold (or already one customer): never offered to the guards.
    Below,
    Link,
    /// Over the threshold but refused by a guard.
    Refused,
}

/// Where `identity_edges` goes, a batch at a time, in row order.
pub type EdgeSink<'s> = dyn FnMut(RecordBatch) -> Result<()> + 's;

/// Rows of `identity_edges` handed to the sink together: tens of millions of edges at 10 M
/// records are written as they are made instead of held (about 60 MB a batch).
const EDGE_BATCH_ROWS: usize = 1 << 18;

/// One `identity_edges` row before it is written out: record positions and borrowed or
/// owned text, so that the decisions (sequential) only push small values and the text columns
/// are built afterwards, all columns at once.
struct EdgeRow<'s> {
    a: u32,
    b: u32,
    rule: &'s str,
    value: Option<Cow<'s, str>>,
    weight: Option<f64>,
    decision: &'static str,
    reason: Cow<'s, str>,
}

/// `(source, record_id)` of a canonical position.
type KeyOf<'k, 's> = &'k (dyn Fn(usize) -> (&'s str, &'s str) + Sync);

struct Edges<'a, 'b, 'k, 's> {
    rows: Vec<EdgeRow<'s>>,
    key: KeyOf<'k, 's>,
    sink: &'a mut EdgeSink<'b>,
    batch_rows: usize,
    /// The sink's first error; nothing more is handed over after it.
    failed: Option<Error>,
}

impl<'a, 'b, 'k, 's> Edges<'a, 'b, 'k, 's> {
    fn new(sink: &'a mut EdgeSink<'b>, batch_rows: usize, key: KeyOf<'k, 's>) -> Self {
        Edges {
            rows: Vec::new(),
            key,
            sink,
            batch_rows: batch_rows.max(1),
            failed: None,
        }
    }

    /// Adds a row; hands a full batch over.
    fn push(&mut self, row: EdgeRow<'s>) {
        self.rows.push(row);
        if self.rows.len() >= self.batch_rows {
            self.flush();
        }
    }

    /// Hands the rows so far to the sink (none: nothing), its columns built in parallel.
    fn flush(&mut self) {
        if self.failed.is_some() || self.rows.is_empty() {
            self.rows.clear();
            return;
        }
        let rows = std::mem::take(&mut self.rows);
        let key = self.key;
        let text = |f: &(dyn for<'r> Fn(&'r EdgeRow<'s>) -> &'r str + Sync)| -> ArrayRef {
            Arc::new(StringArray::from_iter_values(rows.iter().map(f)))
        };
        let cols: Vec<ArrayRef> = (0..9)
            .into_par_iter()
            .map(|c| match c {
                0 => text(&|r| key(r.a as usize).0),
                1 => text(&|r| key(r.a as usize).1),
                2 => text(&|r| key(r.b as usize).0),
                3 => text(&|r| key(r.b as usize).1),
                4 => text(&|r| r.rule),
                5 => Arc::new(StringArray::from_iter(
                    rows.iter().map(|r| r.value.as_deref()),
                )) as ArrayRef,
                6 => Arc::new(Float64Array::from_iter(rows.iter().map(|r| r.weight))),
                7 => text(&|r| r.decision),
                _ => text(&|r| &r.reason),
            })
            .collect();
        let r = RecordBatch::try_new(schema::identity_edges(), cols)
            .map_err(Error::from)
            .and_then(|b| (self.sink)(b));
        if let Err(e) = r {
            self.failed = Some(e);
        }
    }

    /// Hands the last rows over; the sink's error, if it failed.
    fn finish(mut self) -> Result<()> {
        self.flush();
        match self.failed {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A deterministic tier's row: `a` and `b` linked (or not) through `value` of `rule`.
fn edge<'s>(
    a: usize,
    b: usize,
    rule: &'s str,
    value: &'s str,
    decision: &'static str,
    reason: impl Into<Cow<'s, str>>,
) -> EdgeRow<'s> {
    EdgeRow {
        a: a as u32,
        b: b as u32,
        rule,
        value: Some(Cow::Borrowed(value)),
        weight: None,
        decision,
        reason: reason.into(),
    }
}

/// Resolves records by deterministic identifiers. `blocked` holds normalised values per rule;
/// `previous` is the last published snapshot's identity, whose ids carry over
/// ([`stable_ids`](crate::stable_ids)). The result depends only on the set of records (and
/// the previous snapshot), not on their order.
pub fn resolve(
    batches: &[RecordBatch],
    cfg: &IdentityConfig,
    blocked: &HashMap<String, HashSet<String>>,
    previous: Option<PreviousIds<'_>>,
    run_id: &str,
) -> Result<Resolution> {
    let mut parts = Vec::new();
    let mut res = resolve_streaming(batches, cfg, blocked, previous, run_id, &mut |b| {
        parts.push(b);
        Ok(())
    })?;
    res.identity_edges = concat_batches(&schema::identity_edges(), &parts)?;
    Ok(res)
}

/// [`resolve`], handing `identity_edges` to `edges` a batch at a time as the edges are made
/// (in the same row order) instead of holding them: the returned [`Resolution`]'s
/// `identity_edges` is empty. A sink error stops nothing but the sink and is returned at
/// the end.
pub fn resolve_streaming(
    batches: &[RecordBatch],
    cfg: &IdentityConfig,
    blocked: &HashMap<String, HashSet<String>>,
    previous: Option<PreviousIds<'_>>,
    run_id: &str,
    edges: &mut EdgeSink<'_>,
) -> Result<Resolution> {
    resolve_batched(
        batches,
        cfg,
        blocked,
        previous,
        run_id,
        EDGE_BATCH_ROWS,
        edges,
    )
}

#[tracing::instrument(skip_all)]
fn resolve_batched(
    batches: &[RecordBatch],
    cfg: &IdentityConfig,
    blocked: &HashMap<String, HashSet<String>>,
    previous: Option<PreviousIds<'_>>,
    run_id: &str,
    edge_batch_rows: usize,
    edges: &mut EdgeSink<'_>,
) -> Result<Resolution> {
    let records = concat_columns(batches, &resolver_columns(cfg)?)?;
    let sources = text_column(&records, col::SOURCE)?;
    let ids = text_column(&records, col::RECORD_ID)?;
    let n = records.num_rows();
    if n > crate::probabilistic::MAX_RECORDS {
        return Err(Error::Config(format!(
            "{n} records: one resolve takes at most {} (split the build by region or brand)",
            crate::probabilistic::MAX_RECORDS
        )));
    }
    let started = std::time::Instant::now();
    let mut phases: Vec<(&'static str, f64)> = Vec::new();
    let mut lap = |what: &'static str| {
        let at = started.elapsed();
        tracing::info!(ms = at.as_millis() as u64, "{what}");
        let before: f64 = phases.iter().map(|p| p.1).sum();
        phases.push((what, at.as_secs_f64() - before));
    };
    // Canonical order: (source, record_id). Everything below works on these positions.
    let mut order: Vec<usize> = (0..n).collect();
    order.par_sort_unstable_by(|&a, &b| {
        (sources.value(a), ids.value(a)).cmp(&(sources.value(b), ids.value(b)))
    });
    let key = |p: usize| (sources.value(order[p]), ids.value(order[p]));

    lap("sort");
    let mut features = Features::extract(&records, &order)?;
    lap("features");
    let no_block = HashSet::new();
    for (rule, col) in [
        ("email", &mut features.email),
        ("phone", &mut features.phone),
    ] {
        let blocked_here = blocked.get(rule).unwrap_or(&no_block);
        let max = cfg.max_records_per_value as u32;
        col.drop_values(|v, count| count > max || blocked_here.contains(v));
    }
    features.place_by_postcode = cfg
        .probabilistic
        .comparisons
        .iter()
        .any(|c| c == "postcode");
    let features = features;
    let unique_fields = cfg
        .cannot_link
        .iter()
        .map(|field| {
            let column = text_column(&records, rule_column(field)?)?;
            let col = Interned::from_strs(
                n,
                |p| {
                    let r = order[p];
                    column.is_valid(r).then(|| column.value(r))
                },
                None,
            );
            Ok((field.clone(), col))
        })
        .collect::<Result<Vec<_>>>()?;
    let mut g = Guarded::new(&features, unique_fields, cfg.max_cluster_size.max(1));
    // The reason of a deterministic link, per rule ("same email").
    let sames: Vec<String> = cfg
        .deterministic
        .iter()
        .map(|r| format!("same {r}"))
        .collect();
    // The probabilistic edges' "blocked on ..." text per combination of rules (filled there).
    let blocked_on: FxHashMap<u16, String>;
    let mut e = Edges::new(edges, edge_batch_rows, &key);
    let mut stats = ResolveStats {
        records: n as u64,
        ..Default::default()
    };
    // Each rule's shared values, grouped in parallel (one hash map per rule); the links are
    // then applied in rule order, so the result does not depend on scheduling.
    let columns: Vec<StringArray> = cfg
        .deterministic
        .iter()
        .map(|rule| text_column(&records, rule_column(rule)?))
        .collect::<Result<_>>()?;
    let grouped: Vec<Vec<(&str, Vec<usize>)>> = columns
        .par_iter()
        .map(|column| {
            // Hash grouping, then only the shared values sorted: the same order as a sorted
            // map's at a fraction of the cost (most values are unique).
            let mut groups: FxHashMap<&str, Vec<usize>> =
                FxHashMap::with_capacity_and_hasher(n, Default::default());
            for (p, &row) in order.iter().enumerate() {
                if column.is_valid(row) {
                    groups.entry(column.value(row)).or_default().push(p);
                }
            }
            let mut shared: Vec<(&str, Vec<usize>)> =
                groups.into_iter().filter(|(_, m)| m.len() >= 2).collect();
            shared.sort_unstable_by(|a, b| a.0.cmp(b.0));
            shared
        })
        .collect();
    for ((rule, shared), same) in cfg.deterministic.iter().zip(grouped).zip(&sames) {
        let blocked_here = blocked.get(rule).unwrap_or(&no_block);
        let forced = cfg.must_link.contains(rule);
        let family = cfg.family_guard.contains(rule);
        let (mut links, mut refused, mut generic) = (0u64, 0u64, 0u64);
        for (value, members) in shared {
            let refusal = if blocked_here.contains(value) {
                Some(format!("blocked value for {rule}"))
            } else if members.len() > cfg.max_records_per_value {
                generic += 1;
                Some(format!(
                    "generic value: shared by {} records (max_records_per_value = {})",
                    members.len(),
                    cfg.max_records_per_value
                ))
            } else {
                None
            };
            if let Some(why) = refusal {
                for &m in &members[1..] {
                    e.push(edge(members[0], m, rule, value, "rejected", why.clone()));
                    refused += 1;
                }
                continue;
            }
            // Each member joins the first earlier member it may join; one the guards keep
            // apart from all of them starts a new group (a second person behind the value).
            // Under the family guard, members whose customer has no first name come after
            // the named ones: behind a value two people share (a household mailbox or
            // landline) a nameless record (an anonymous ticket) would otherwise join whichever
            // person sorts first, so it joins only when one person is behind the value.
            let named_first = family && !forced;
            let members: Vec<usize> = if named_first {
                let (named, nameless): (Vec<usize>, Vec<usize>) =
                    members.iter().partition(|&&m| g.has_first_name(m));
                named.into_iter().chain(nameless).collect()
            } else {
                members
            };
            let mut heads = vec![members[0]];
            // Named records that joined each head through this value.
            let mut uses = vec![1usize];
            for &m in &members[1..] {
                if named_first && heads.len() > 1 && !g.has_first_name(m) {
                    let rm = g.find(m);
                    // The person who uses the value most, when they use it at least twice
                    // as often as anyone else behind it.
                    let top = (0..heads.len()).max_by_key(|&k| (uses[k], usize::MAX - k));
                    let clear =
                        top.filter(|&t| (0..heads.len()).all(|k| k == t || uses[t] >= 2 * uses[k]));
                    let outcome = if let Some(&h) = heads.iter().find(|&&h| g.find(h) == rm) {
                        (h, Ok(()))
                    } else if let Some(t) = clear {
                        (heads[t], g.link(heads[t], m, family, forced).map(|_| ()))
                    } else {
                        (
                            heads[0],
                            Err(Refusal::Ambiguous {
                                customers: heads.len(),
                            }),
                        )
                    };
                    match outcome {
                        (h, Ok(())) => {
                            e.push(edge(h, m, rule, value, "link", same.as_str()));
                            links += 1;
                        }
                        (h, Err(r)) => {
                            e.push(edge(h, m, rule, value, "rejected", r.reason()));
                            *stats.guard_actions.entry(r.kind()).or_default() += 1;
                            refused += 1;
                        }
                    }
                    continue;
                }
                let mut first_refusal = None;
                let mut joined = None;
                for &h in &heads {
                    match g.link(h, m, family, forced) {
                        Ok(_) => {
                            joined = Some(h);
                            break;
                        }
                        Err(r) => {
                            first_refusal.get_or_insert(r);
                        }
                    }
                }
                match (joined, first_refusal) {
                    (Some(h), _) => {
                        if let Some(k) = heads.iter().position(|&x| x == h) {
                            uses[k] += 1;
                        }
                        e.push(edge(h, m, rule, value, "link", same.as_str()));
                        links += 1;
                    }
                    (None, Some(r)) => {
                        e.push(edge(heads[0], m, rule, value, "rejected", r.reason()));
                        *stats.guard_actions.entry(r.kind()).or_default() += 1;
                        heads.push(m);
                        uses.push(1);
                        refused += 1;
                    }
                    (None, None) => unreachable!("heads is never empty"),
                }
            }
        }
        for (map, count) in [
            (&mut stats.links_by_rule, links),
            (&mut stats.rejected_by_rule, refused),
            (&mut stats.generic_values, generic),
        ] {
            if count > 0 {
                *map.entry(rule.clone()).or_default() += count;
            }
        }
    }

    lap("deterministic tier");
    let mut model = None;
    if cfg.probabilistic.enabled && n >= 2 {
        let pc = &cfg.probabilistic;
        let plan = Plan::new(pc)?;
        let cluster_of: Vec<u32> = (0..n).map(|p| g.find(p) as u32).collect();
        let cand = probabilistic::candidates(&features, &plan, pc.max_block_size, &cluster_of);
        lap("blocking");
        let patterns = probabilistic::patterns(&features, &plan.comparisons, &cand.pairs);
        tracing::info!(pairs = cand.pairs.len(), "candidate pairs compared");
        lap("comparing");
        let mut known: FxHashMap<u32, u64> = FxHashMap::default();
        for &c in &cluster_of {
            *known.entry(c).or_default() += 1;
        }
        let known_pairs: u64 = known.values().map(|&s| s * (s - 1) / 2).sum();
        let m = probabilistic::fit(&features, &plan, &cand, &patterns, known_pairs, pc);
        tracing::debug!(model = ?m, "fitted");
        lap("fitting");
        let table = m.weights(&features);
        let weights: Vec<f64> = cand
            .pairs
            .par_iter()
            .zip(&patterns)
            .map(|(&(a, _), &pat)| table.total(pat, a as usize))
            .collect();
        let threshold_w = (pc.threshold / (1.0 - pc.threshold)).log2();
        let keep_w = (pc.keep_edges_above / (1.0 - pc.keep_edges_above)).log2();
        // Strongest first; ties by record positions, so the order never depends on threads.
        let mut order_links: Vec<usize> = (0..cand.pairs.len())
            .filter(|&i| !cand.same[i] && weights[i] >= threshold_w)
            .collect();
        order_links.par_sort_unstable_by(|&x, &y| {
            weights[y]
                .total_cmp(&weights[x])
                .then(cand.pairs[x].cmp(&cand.pairs[y]))
        });
        // One byte per candidate pair (there are tens of millions at 10M records); the few
        // refusals keep their reason on the side.
        let mut decision: Vec<Decided> = vec![Decided::Below; cand.pairs.len()];
        let mut refusals: FxHashMap<usize, Refusal> = FxHashMap::default();
        let family_prob = cfg.family_guard.iter().any(|r| r == "probabilistic");
        let (mut links, mut refused) = (0u64, 0u64);
        for &i in &order_links {
            let (a, b) = cand.pairs[i];
            let r = if family_prob {
                g.check_birth_dates(a as usize, b as usize)
                    .and_then(|_| g.check_contacts(a as usize, b as usize))
            } else {
                Ok(())
            }
            .and_then(|_| {
                g.link(a as usize, b as usize, family_prob, false)
                    .map(|_| ())
            });
            match r {
                Ok(()) => {
                    links += 1;
                    decision[i] = Decided::Link;
                }
                Err(why) => {
                    *stats.guard_actions.entry(why.kind()).or_default() += 1;
                    refused += 1;
                    decision[i] = Decided::Refused;
                    refusals.insert(i, why);
                }
            }
        }
        let undecided = cand.same.iter().filter(|&&x| !x).count();
        stats.pairs_scored = undecided as u64;
        stats.pairs_compared = cand.pairs.len() as u64;
        let below = undecided as u64 - order_links.len() as u64;
        if links > 0 {
            stats.links_by_rule.insert("probabilistic".into(), links);
        }
        if refused + below > 0 {
            stats
                .rejected_by_rule
                .insert("probabilistic".into(), refused + below);
        }
        lap("scoring and linking");
        stats.match_weights = histogram(&weights, &decision, &cand.same);
        // The explanations are formatted in parallel, a chunk at a time (the order of the
        // rows stays the pairs' order).
        let written: Vec<usize> = (0..cand.pairs.len())
            .filter(|&i| !cand.same[i] && (weights[i] >= keep_w || decision[i] != Decided::Below))
            .collect();
        // "blocked on rule | rule" for each combination of rules that found a pair (a few).
        let masks: std::collections::BTreeSet<u16> =
            written.iter().map(|&i| cand.rules[i]).collect();
        blocked_on = masks
            .into_iter()
            .map(|mask| {
                let names: Vec<&str> = (0..plan.rules.len())
                    .filter(|r| mask & (1 << r) != 0)
                    .map(|r| plan.rule_names[r].as_str())
                    .collect();
                (mask, format!("blocked on {}", names.join(" | ")))
            })
            .collect();
        for chunk in written.chunks(1 << 16) {
            let rows: Vec<(&str, f64, &str, String)> = chunk
                .par_iter()
                .map(|&i| {
                    use std::fmt::Write;
                    let (a, _) = cand.pairs[i];
                    let scored = table.score(patterns[i], a as usize);
                    let blocks = blocked_on[&cand.rules[i]].as_str();
                    let mut why = String::with_capacity(320);
                    // Writing to a String cannot fail.
                    let dec = match decision[i] {
                        Decided::Link => {
                            let _ = write!(
                                why,
                                "match probability {:.4} >= threshold {}: ",
                                scored.probability, pc.threshold
                            );
                            "link"
                        }
                        Decided::Refused => {
                            let _ = write!(
                                why,
                                "{} (match probability {:.4}): ",
                                refusals[&i].reason(),
                                scored.probability
                            );
                            "rejected"
                        }
                        Decided::Below => {
                            let _ = write!(
                                why,
                                "match probability {:.4} < threshold {}: ",
                                scored.probability, pc.threshold
                            );
                            "rejected"
                        }
                    };
                    m.describe_into(&scored, &mut why);
                    (blocks, scored.total, dec, why)
                })
                .collect();
            for (&i, (blocks, total, dec, why)) in chunk.iter().zip(rows) {
                let (a, b) = cand.pairs[i];
                e.push(EdgeRow {
                    a,
                    b,
                    rule: "probabilistic",
                    value: Some(Cow::Borrowed(blocks)),
                    weight: Some(total),
                    decision: dec,
                    reason: Cow::Owned(why),
                });
            }
        }
        tracing::info!(
            pairs = cand.pairs.len(),
            links,
            refused,
            prior = m.prior,
            "probabilistic tier"
        );
        model = Some(m);
    }

    lap("probabilistic edges");
    let mut uf = g.uf;
    let comp = uf.components();
    let mut size: FxHashMap<usize, u64> = FxHashMap::default();
    for &c in &comp {
        *size.entry(c).or_default() += 1;
    }
    stats.customers = size.len() as u64;
    stats.largest_cluster = size.values().copied().max().unwrap_or(0);
    for &s in size.values() {
        *stats.cluster_sizes.entry(s).or_default() += 1;
    }
    let keys: Vec<(&str, &str)> = (0..n).map(key).collect();
    let assigned = stable_ids::assign(&keys, &comp, previous, run_id)?;
    stats.ids = assigned.stats.clone();
    let mut largest: Vec<ClusterSummary> = size
        .iter()
        .filter(|&(_, &s)| s > 1)
        .map(|(c, &s)| ClusterSummary {
            customer_id: assigned.ids[c].clone(),
            records: s,
        })
        .collect();
    largest.sort_unstable_by(|a, b| {
        b.records
            .cmp(&a.records)
            .then_with(|| a.customer_id.cmp(&b.customer_id))
    });
    largest.truncate(10);
    stats.largest_clusters = largest;
    let mut ms = StringBuilder::new();
    let mut mr = StringBuilder::new();
    let mut mc = StringBuilder::new();
    for (p, &c) in comp.iter().enumerate() {
        let cid = &assigned.ids[&c];
        let (s, r) = keys[p];
        ms.append_value(s);
        mr.append_value(r);
        mc.append_value(cid.as_str());
    }
    let map_cols: Vec<ArrayRef> = vec![
        Arc::new(ms.finish()),
        Arc::new(mr.finish()),
        Arc::new(mc.finish()),
    ];
    let identity_map = RecordBatch::try_new(schema::identity_map(), map_cols)?;
    e.finish()?;
    let identity_edges = RecordBatch::new_empty(schema::identity_edges());
    tracing::info!(records = n, customers = stats.customers, "resolved");
    lap("ids and tables");
    Ok(Resolution {
        identity_map,
        identity_edges,
        history: assigned.history,
        stats,
        model,
        phases,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::new_null_array;
    use arrow::datatypes::DataType;

    type Row<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

    fn records(rows: &[Row]) -> RecordBatch {
        let schema = schema::source_records();
        let cols: Vec<ArrayRef> = schema
            .fields()
            .iter()
            .map(|f| {
                let name = f.name().as_str();
                if f.data_type() != &DataType::Utf8 {
                    return new_null_array(f.data_type(), rows.len());
                }
                let vals: Vec<Option<String>> = rows
                    .iter()
                    .map(|(s, r, kv)| match name {
                        "source" => Some(s.to_string()),
                        "record_id" => Some(r.to_string()),
                        "channel" | "file" => Some("x".to_string()),
                        _ => kv
                            .iter()
                            .find(|(k, _)| *k == name)
                            .map(|(_, v)| v.to_string()),
                    })
                    .collect();
                Arc::new(StringArray::from(vals)) as ArrayRef
            })
            .collect();
        RecordBatch::try_new(schema, cols).unwrap()
    }

    fn map_of(r: &Resolution) -> BTreeMap<(String, String), String> {
        let m = &r.identity_map;
        let s = text_column(m, "source").unwrap();
        let i = text_column(m, "record_id").unwrap();
        let c = text_column(m, "customer_id").unwrap();
        (0..m.num_rows())
            .map(|k| ((s.value(k).into(), i.value(k).into()), c.value(k).into()))
            .collect()
    }

    fn sample() -> Vec<Row<'static>> {
        vec![
            ("web", "W1", &[("email_match", "ana@gmail.com")]),
            ("pos", "T1", &[("loyalty_card", "2400111")]),
            (
                "loyalty",
                "2400111",
                &[
                    ("loyalty_card", "2400111"),
                    ("email_match", "ana@gmail.com"),
                ],
            ),
            (
                "web",
                "W2",
                &[("email_match", "bob@x.es"), ("phone", "+34600000001")],
            ),
            ("call", "C1", &[("phone", "+34600000001")]),
            ("pos", "T2", &[("email_match", "test@test.com")]),
            ("pos", "T3", &[("email_match", "test@test.com")]),
            ("pos", "T4", &[]),
        ]
    }

    #[test]
    fn links_transitively_and_respects_blocked_values() {
        let blocked = HashMap::from([(
            "email".to_string(),
            HashSet::from(["test@test.com".to_string()]),
        )]);
        let r = resolve(
            &[records(&sample())],
            &IdentityConfig::default(),
            &blocked,
            None,
            "r1",
        )
        .unwrap();
        let m = map_of(&r);
        let c = |s: &str, i: &str| m[&(s.to_string(), i.to_string())].clone();
        // Ana: web order by email, loyalty member by email+card, ticket by card.
        assert_eq!(c("web", "W1"), c("loyalty", "2400111"));
        assert_eq!(c("pos", "T1"), c("web", "W1"));
        // Bob: email + phone shared with the call centre.
        assert_eq!(c("web", "W2"), c("call", "C1"));
        assert_ne!(c("web", "W2"), c("web", "W1"));
        // test@test.com is blocked: two tickets stay apart.
        assert_ne!(c("pos", "T2"), c("pos", "T3"));
        assert_eq!(r.stats.customers, 5);
        assert_eq!(r.stats.records, 8);
        assert_eq!(r.stats.largest_cluster, 3);
        assert_eq!(r.stats.rejected_by_rule.get("email"), Some(&1));
        // every record appears once in the map
        assert_eq!(r.identity_map.num_rows(), 8);
    }

    #[test]
    fn family_guard_tells_a_household_from_one_person_written_differently() {
        const E: &str = "email_match";
        const F: &str = "first_name_norm";
        const L: &str = "last_name_norm";
        let rows: Vec<Row> = vec![
            // A household mailbox: two people.
            (
                "web",
                "H1",
                &[(E, "casa.ruiz@x.es"), (F, "ana"), (L, "ruiz")],
            ),
            (
                "web",
                "H2",
                &[(E, "casa.ruiz@x.es"), (F, "pedro"), (L, "ruiz")],
            ),
            // One person, first name and surname swapped on one order.
            (
                "web",
                "S1",
                &[(E, "aturner@x.com"), (F, "anthony"), (L, "turner")],
            ),
            (
                "web",
                "S2",
                &[(E, "aturner@x.com"), (F, "turner"), (L, "anthony")],
            ),
            // One person, swapped and a nickname: "chus" is "jesus".
            (
                "web",
                "N1",
                &[(E, "jsaez@x.es"), (F, "jesus"), (L, "saez fernandez")],
            ),
            ("web", "N2", &[(E, "jsaez@x.es"), (F, "saez"), (L, "chus")]),
            // A nickname of one part of a compound name.
            (
                "web",
                "C1",
                &[(E, "mromero@x.es"), (F, "maria dolores"), (L, "romero")],
            ),
            (
                "web",
                "C2",
                &[(E, "mromero@x.es"), (F, "lola"), (L, "romero hidalgo")],
            ),
            // Two compound first names that share a word: a couple's mailbox.
            (
                "web",
                "K1",
                &[
                    (E, "santoscasa@x.es"),
                    (F, "jose maria"),
                    (L, "santos garcia"),
                ],
            ),
            (
                "web",
                "K2",
                &[
                    (E, "santoscasa@x.es"),
                    (F, "rosa maria"),
                    (L, "santos hidalgo"),
                ],
            ),
            // A father and son of one name share a landline: their second surnames differ.
            (
                "web",
                "P1",
                &[(E, "pardo@x.es"), (F, "manuel"), (L, "pardo santiago")],
            ),
            (
                "web",
                "P2",
                &[(E, "pardo@x.es"), (F, "manuel"), (L, "pardo guerrero")],
            ),
            // One person, the second surname misspelt once and left out once.
            (
                "web",
                "M1",
                &[(E, "msuarez@x.es"), (F, "marta"), (L, "martinez suarez")],
            ),
            (
                "web",
                "M2",
                &[(E, "msuarez@x.es"), (F, "marta"), (L, "martinez suares")],
            ),
            (
                "web",
                "M3",
                &[(E, "msuarez@x.es"), (F, "marta"), (L, "martinez")],
            ),
        ];
        let r = resolve(
            &[records(&rows)],
            &IdentityConfig::default(),
            &HashMap::new(),
            None,
            "r1",
        )
        .unwrap();
        let m = map_of(&r);
        let c = |i: &str| m[&("web".to_string(), i.to_string())].clone();
        assert_ne!(c("H1"), c("H2"));
        assert_eq!(c("S1"), c("S2"));
        assert_eq!(c("N1"), c("N2"));
        assert_eq!(c("C1"), c("C2"));
        assert_ne!(c("K1"), c("K2"));
        assert_ne!(c("P1"), c("P2"));
        assert_eq!(c("M1"), c("M2"));
        assert_eq!(c("M1"), c("M3"));
        assert_eq!(r.stats.guard_actions.get("family_guard"), Some(&3));
    }

    #[test]
    fn edges_stream_in_batches_in_the_collected_order() {
        let blocked = HashMap::from([(
            "email".to_string(),
            HashSet::from(["test@test.com".to_string()]),
        )]);
        let cfg = IdentityConfig::default();
        let whole = resolve(&[records(&sample())], &cfg, &blocked, None, "r1").unwrap();
        assert!(
            whole.identity_edges.num_rows() > 2,
            "{}",
            whole.identity_edges.num_rows()
        );
        let mut parts: Vec<RecordBatch> = Vec::new();
        let streamed = resolve_batched(
            &[records(&sample())],
            &cfg,
            &blocked,
            None,
            "r1",
            2,
            &mut |b| {
                parts.push(b);
                Ok(())
            },
        )
        .unwrap();
        // Two rows a batch (the last may be short), the same rows in the same order, the
        // same customers; the streamed resolution holds no edges itself.
        assert_eq!(
            parts.len(),
            whole.identity_edges.num_rows().div_ceil(2),
            "{parts:?}"
        );
        assert!(parts.iter().all(|b| b.num_rows() <= 2 && b.num_rows() > 0));
        let joined = concat_batches(&schema::identity_edges(), &parts).unwrap();
        assert_eq!(joined, whole.identity_edges);
        assert_eq!(streamed.identity_map, whole.identity_map);
        assert_eq!(streamed.identity_edges.num_rows(), 0);
        // A failing sink: its error comes back, once, and nothing is handed over after it.
        let mut calls = 0;
        let err = resolve_batched(
            &[records(&sample())],
            &cfg,
            &blocked,
            None,
            "r1",
            2,
            &mut |_| {
                calls += 1;
                Err(Error::Sink("disk full".into()))
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "identity_edges: disk full");
        assert_eq!(calls, 1);
    }

    #[test]
    fn a_nameless_record_behind_a_household_value_stays_apart() {
        const E: &str = "email_match";
        const F: &str = "first_name_norm";
        const C: &str = "loyalty_card";
        let rows: Vec<Row> = vec![
            // Two people share a mailbox, once each; "a_pos" sorts before "web", so the
            // anonymous ticket comes first in record order and used to join the first person.
            ("web", "H1", &[(E, "casa.ruiz@x.es"), (F, "ana")]),
            ("web", "H2", &[(E, "casa.ruiz@x.es"), (F, "pedro")]),
            ("a_pos", "T1", &[(E, "casa.ruiz@x.es")]),
            // Eva uses the family mailbox twice as often as Juan: the ticket is hers.
            ("web", "D1", &[(E, "casa.diaz@x.es"), (F, "eva")]),
            ("web", "D2", &[(E, "casa.diaz@x.es"), (F, "eva")]),
            ("web", "D3", &[(E, "casa.diaz@x.es"), (F, "juan")]),
            ("a_pos", "T2", &[(E, "casa.diaz@x.es")]),
            // A ticket with a card has its card holder's name: it is a named member.
            ("web", "L1", &[(E, "casa.lopez@x.es"), (F, "maria")]),
            ("a_pos", "T3", &[(E, "casa.lopez@x.es"), (C, "77")]),
            ("loyalty", "77", &[(C, "77"), (F, "pedro")]),
            // One person behind the mailbox: the anonymous ticket joins them.
            ("web", "S1", &[(E, "solo@x.es"), (F, "luis")]),
            ("a_pos", "T4", &[(E, "solo@x.es")]),
            // Nobody named behind it: nameless records still link to each other.
            ("a_pos", "T5", &[(E, "anon@x.es")]),
            ("a_pos", "T6", &[(E, "anon@x.es")]),
        ];
        let mut cfg = IdentityConfig::default();
        cfg.probabilistic.enabled = false;
        let r = resolve(&[records(&rows)], &cfg, &HashMap::new(), None, "r1").unwrap();
        let m = map_of(&r);
        let c = |s: &str, i: &str| m[&(s.to_string(), i.to_string())].clone();
        assert_ne!(c("web", "H1"), c("web", "H2"));
        assert_ne!(c("a_pos", "T1"), c("web", "H1"));
        assert_ne!(c("a_pos", "T1"), c("web", "H2"));
        assert_eq!(c("a_pos", "T2"), c("web", "D1"));
        assert_ne!(c("a_pos", "T2"), c("web", "D3"));
        assert_eq!(c("a_pos", "T3"), c("loyalty", "77"));
        assert_ne!(c("a_pos", "T3"), c("web", "L1"));
        assert_eq!(c("a_pos", "T4"), c("web", "S1"));
        assert_eq!(c("a_pos", "T5"), c("a_pos", "T6"));
        assert_eq!(r.stats.guard_actions.get("ambiguous_value"), Some(&1));
        let e = &r.identity_edges;
        let (rr, reason) = (
            text_column(e, "right_record_id").unwrap(),
            text_column(e, "reason").unwrap(),
        );
        let why: Vec<&str> = (0..e.num_rows())
            .filter(|&i| rr.value(i) == "T1")
            .map(|i| reason.value(i))
            .collect();
        assert_eq!(why.len(), 1);
        assert!(
            why[0].starts_with("ambiguous value: the family guard found 2 people"),
            "{why:?}"
        );
    }

    #[test]
    fn birth_date_guard_refuses_customers_whose_birth_dates_all_disagree() {
        const F: &str = "first_name_norm";
        let rows: Vec<Row> = vec![
            ("a", "1", &[(F, "maria")]),
            ("a", "2", &[(F, "maria")]),
            ("a", "3", &[(F, "maria")]),
            ("a", "4", &[(F, "maria")]),
            ("a", "5", &[(F, "maria")]),
        ];
        let batch = records(&rows);
        let mut f = crate::features::Features::extract(&batch, &[0, 1, 2, 3, 4]).unwrap();
        // 1990-03-04 (7367), the same with day and month swapped (7397: 1990-04-03),
        // 1975-06-30 (2006), none, none.
        f.dob = vec![
            7367,
            7397,
            2006,
            crate::features::NO_DATE,
            crate::features::NO_DATE,
        ];
        let mut g = crate::guards::Guarded::new(&f, Vec::new(), 100);
        assert_eq!(g.check_birth_dates(0, 1), Ok(()));
        g.join(0, 1);
        assert_eq!(
            g.check_birth_dates(1, 2),
            Err(crate::guards::Refusal::BirthDates)
        );
        // No birth date on one side: nothing to disagree with.
        assert_eq!(g.check_birth_dates(0, 3), Ok(()));
        g.join(2, 4);
        assert_eq!(
            g.check_birth_dates(4, 0),
            Err(crate::guards::Refusal::BirthDates)
        );
        assert_eq!(g.check_birth_dates(3, 4), Ok(()));
    }

    #[test]
    fn a_landline_places_a_record_without_a_city() {
        use crate::compare::Comparison;
        use crate::probabilistic::{Memo, level};
        const C: &str = "city";
        const P: &str = "phone";
        let rows: Vec<Row> = vec![
            // A call-centre contact: a Seville landline, no city.
            ("cc", "1", &[(P, "+34954123456")]),
            ("web", "2", &[(C, "Sevilla"), (P, "+34611223344")]),
            ("web", "3", &[(C, "Madrid"), (P, "+34699887766")]),
            // A mobile says nothing about the place.
            ("cc", "4", &[(P, "+34655443322")]),
            ("web", "5", &[(C, "Sevilla"), (P, "+34954999999")]),
        ];
        let batch = records(&rows);
        let f = crate::features::Features::extract(&batch, &[0, 1, 2, 3, 4]).unwrap();
        let mut memo = Memo::default();
        let mut lv = |c: Comparison, a, b| {
            let l = level(&f, c, a, b, &mut memo);
            assert_eq!(l, level(&f, c, b, a, &mut Memo::default()), "symmetric");
            c.levels()[l as usize]
        };
        assert_eq!(lv(Comparison::City, 0, 1), "landline area agrees");
        assert_eq!(lv(Comparison::City, 0, 2), "landline area differs");
        assert_eq!(lv(Comparison::City, 3, 1), "null");
        // Two cities are compared as cities, whatever the phones.
        assert_eq!(lv(Comparison::City, 1, 4), "exact");
        assert_eq!(lv(Comparison::City, 2, 4), "different");
        // A landline against a mobile differs less than two mobiles or two landlines.
        assert_eq!(lv(Comparison::Phone, 0, 1), "landline and other");
        assert_eq!(lv(Comparison::Phone, 1, 2), "different");
        assert_eq!(lv(Comparison::Phone, 0, 4), "different");
    }

    #[test]
    fn contact_guard_refuses_customers_whose_emails_and_phones_all_differ() {
        const E: &str = "email_match";
        const P: &str = "phone";
        let rows: Vec<Row> = vec![
            ("a", "1", &[(E, "ana.ruiz@x.es"), (P, "+34611223344")]),
            ("a", "2", &[(E, "ana.ruiz@y.es"), (P, "+34699887766")]),
            // One typo in the email: shared.
            ("a", "3", &[(E, "ana.ruis@x.es"), (P, "+34655443322")]),
            // No phone: nothing to compare on that side.
            ("a", "4", &[(E, "other@z.es")]),
        ];
        let batch = records(&rows);
        let f = crate::features::Features::extract(&batch, &[0, 1, 2, 3]).unwrap();
        let mut g = crate::guards::Guarded::new(&f, Vec::new(), 100);
        assert_eq!(
            g.check_contacts(0, 1),
            Err(crate::guards::Refusal::Contacts)
        );
        assert_eq!(g.check_contacts(0, 2), Ok(()));
        assert_eq!(g.check_contacts(0, 3), Ok(()));
        // Records 1 and 4 as one customer: record 2 still shares no email or phone with it.
        // Joined with record 3, it does (3's email is one typo from 1's).
        g.join(0, 3);
        assert_eq!(
            g.check_contacts(1, 3),
            Err(crate::guards::Refusal::Contacts)
        );
        g.join(1, 2);
        assert_eq!(g.check_contacts(0, 1), Ok(()));
    }

    #[test]
    fn generic_values_link_nothing() {
        let rows: Vec<Row> = vec![
            ("a", "1", &[("phone", "+34911000000")]),
            ("a", "2", &[("phone", "+34911000000")]),
            ("a", "3", &[("phone", "+34911000000")]),
        ];
        let cfg = IdentityConfig {
            max_records_per_value: 2,
            ..Default::default()
        };
        let r = resolve(&[records(&rows)], &cfg, &HashMap::new(), None, "r1").unwrap();
        assert_eq!(r.stats.customers, 3);
        assert_eq!(r.stats.generic_values.get("phone"), Some(&1));
        assert_eq!(r.identity_edges.num_rows(), 2);
    }

    #[test]
    fn input_order_and_batching_do_not_change_ids() {
        let rows = sample();
        let a = resolve(
            &[records(&rows)],
            &IdentityConfig::default(),
            &HashMap::new(),
            None,
            "r1",
        )
        .unwrap();
        let mut rev = rows.clone();
        rev.reverse();
        let (x, y) = rev.split_at(3);
        let b = resolve(
            &[records(x), records(y)],
            &IdentityConfig::default(),
            &HashMap::new(),
            None,
            "r1",
        )
        .unwrap();
        assert_eq!(map_of(&a), map_of(&b));
        assert_eq!(a.identity_map, b.identity_map);
        assert_eq!(a.identity_edges, b.identity_edges);
    }

    /// Resolves `rows` as run `run` after `prev` (a previous resolution).
    fn rerun(rows: &[Row], prev: Option<&Resolution>, run: &str) -> Resolution {
        let map = prev
            .map(|p| vec![p.identity_map.clone()])
            .unwrap_or_default();
        let hist = prev.map(|p| vec![p.history.clone()]).unwrap_or_default();
        let previous = prev.map(|_| PreviousIds {
            identity_map: &map,
            history: &hist,
        });
        resolve(
            &[records(rows)],
            &IdentityConfig::default(),
            &HashMap::new(),
            previous,
            run,
        )
        .unwrap()
    }

    fn events(r: &Resolution, run: &str) -> Vec<(String, String, Option<String>)> {
        let h = &r.history;
        let (id, ev, other, rid) = (
            text_column(h, "customer_id").unwrap(),
            text_column(h, "event").unwrap(),
            text_column(h, "other_customer_id").unwrap(),
            text_column(h, "run_id").unwrap(),
        );
        (0..h.num_rows())
            .filter(|&i| rid.value(i) == run)
            .map(|i| {
                (
                    id.value(i).to_string(),
                    ev.value(i).to_string(),
                    other.is_valid(i).then(|| other.value(i).to_string()),
                )
            })
            .collect()
    }

    #[test]
    fn ids_survive_a_new_record_with_a_smaller_key() {
        let r1 = rerun(&[("web", "W5", &[("email_match", "a@x.es")])], None, "r1");
        let before = map_of(&r1)[&("web".to_string(), "W5".to_string())].clone();
        assert_eq!(
            events(&r1, "r1"),
            vec![(before.clone(), "created".into(), None)]
        );
        // W1 sorts before W5 and joins the cluster: the id does not move.
        let r2 = rerun(
            &[
                ("web", "W1", &[("email_match", "a@x.es")]),
                ("web", "W5", &[("email_match", "a@x.es")]),
            ],
            Some(&r1),
            "r2",
        );
        let m = map_of(&r2);
        assert_eq!(m[&("web".to_string(), "W1".to_string())], before);
        assert!(events(&r2, "r2").is_empty());
        assert_eq!(r2.stats.ids.kept, 1);
        // The history carries the first run's events.
        assert_eq!(events(&r2, "r1").len(), 1);
    }

    #[test]
    fn merges_keep_the_oldest_id_and_splits_keep_the_largest_part() {
        // Run 1: two customers, A (older) and B.
        let a: Row = ("web", "W2", &[("email_match", "a@x.es")]);
        let r1 = rerun(&[a], None, "r1");
        let b: Row = ("pos", "T1", &[("loyalty_card", "2400")]);
        let r2 = rerun(&[a, b], Some(&r1), "r2");
        let m2 = map_of(&r2);
        let (ida, idb) = (
            m2[&("web".into(), "W2".into())].clone(),
            m2[&("pos".into(), "T1".into())].clone(),
        );
        assert_ne!(ida, idb);
        // Run 3: a loyalty record with both the email and the card merges them: A survives
        // although B's first record sorts first.
        let bridge: Row = (
            "loyalty",
            "L1",
            &[("email_match", "a@x.es"), ("loyalty_card", "2400")],
        );
        let r3 = rerun(&[a, b, bridge], Some(&r2), "r3");
        let m3 = map_of(&r3);
        assert!(m3.values().all(|c| *c == ida), "{m3:?}");
        assert_eq!(
            events(&r3, "r3"),
            vec![(idb.clone(), "merged_into".into(), Some(ida.clone()))]
        );
        // Run 4: the bridge is gone and a second web order joins A: A keeps its id (its part is
        // larger); B's ticket gets a new id, split from A (B's old id is never reissued).
        let a2: Row = ("web", "W3", &[("email_match", "a@x.es")]);
        let r4 = rerun(&[a, a2, b], Some(&r3), "r4");
        let m4 = map_of(&r4);
        assert_eq!(m4[&("web".into(), "W2".into())], ida);
        let t1 = m4[&("pos".into(), "T1".into())].clone();
        assert_ne!(t1, ida);
        assert_ne!(t1, idb);
        assert_eq!(
            events(&r4, "r4"),
            vec![(t1, "split_from".into(), Some(ida.clone()))]
        );
        // Run 5: every record of A disappears: A is retired.
        let r5 = rerun(&[b], Some(&r4), "r5");
        assert_eq!(events(&r5, "r5"), vec![(ida, "retired".into(), None)]);
        assert_eq!(r5.stats.ids.retired, 1);
    }

    #[test]
    fn unknown_rules_are_user_errors() {
        let cfg = IdentityConfig {
            deterministic: vec!["first_name".into()],
            ..Default::default()
        };
        assert!(matches!(validate(&cfg), Err(Error::UnknownIdentifier(_))));
    }
}
