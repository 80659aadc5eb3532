//! Properties of the identity engine on random data built to collide: small pools of names,
//! postcodes, emails, phones and national ids, so that deterministic links, probabilistic
//! candidates and guard conflicts all happen.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{ArrayRef, Date32Array, RecordBatch, StringArray, new_null_array};
use arrow::datatypes::DataType;
use omni_core::schema;
use omni_resolve::{IdentityConfig, PreviousIds, Resolution, resolve};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const FIRST: [&str; 8] = [
    "maria", "jose", "ana", "carlos", "lucia", "pepe", "john", "sarah",
];
const LAST: [&str; 6] = [
    "garcia lopez",
    "garcia",
    "martinez ruiz",
    "smith",
    "fernandez",
    "lopez garcia",
];

#[derive(Clone, Debug)]
struct Rec {
    source: String,
    id: String,
    fields: Vec<(&'static str, String)>,
    dob: Option<i32>,
}

/// `n` records of about `n / 3` people with noisy copies of their attributes.
fn random_records(seed: u64, n: usize) -> Vec<Rec> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let people = (n / 3).max(2);
    (0..n)
        .map(|i| {
            let p = rng.random_range(0..people);
            let mut fields = Vec::new();
            let mut maybe = |rng: &mut ChaCha8Rng, prob: f64, k: &'static str, v: String| {
                if rng.random_bool(prob) {
                    fields.push((k, v));
                }
            };
            maybe(
                &mut rng,
                0.8,
                "first_name_norm",
                FIRST[p % FIRST.len()].into(),
            );
            maybe(
                &mut rng,
                0.8,
                "last_name_norm",
                LAST[(p / 3) % LAST.len()].into(),
            );
            maybe(&mut rng, 0.5, "postcode", format!("280{:02}", p % 7));
            maybe(&mut rng, 0.3, "address", format!("calle mayor {}", p % 11));
            // a shared family mailbox for every 4th person's pair, else personal
            let mail = if p % 4 == 0 {
                format!("familia{}@x.es", p / 8)
            } else {
                format!("p{p}@x.es")
            };
            maybe(&mut rng, 0.4, "email_match", mail);
            maybe(&mut rng, 0.3, "phone", format!("+3460000{:04}", p / 2));
            maybe(&mut rng, 0.2, "loyalty_card", format!("24{p:05}"));
            // national ids: one per person, but every 10th record carries a wrong one
            let nid = if i % 10 == 0 { p + 1 } else { p };
            maybe(&mut rng, 0.2, "national_id", format!("{nid:08}X"));
            let dob = rng.random_bool(0.3).then(|| 3000 + (p as i32 * 37) % 9000);
            Rec {
                source: ["web", "pos", "app"][i % 3].into(),
                id: format!("R{i:05}"),
                fields,
                dob,
            }
        })
        .collect()
}

fn batch(rows: &[Rec]) -> RecordBatch {
    let schema = schema::source_records();
    let cols: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| {
            let name = f.name().as_str();
            if name == "birth_date" {
                return Arc::new(Date32Array::from(
                    rows.iter().map(|r| r.dob).collect::<Vec<_>>(),
                )) as ArrayRef;
            }
            if f.data_type() != &DataType::Utf8 {
                return new_null_array(f.data_type(), rows.len());
            }
            let vals: Vec<Option<String>> = rows
                .iter()
                .map(|r| match name {
                    "source" => Some(r.source.clone()),
                    "record_id" => Some(r.id.clone()),
                    "channel" | "file" => Some("x".into()),
                    _ => r
                        .fields
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map(|(_, v)| v.clone()),
                })
                .collect();
            Arc::new(StringArray::from(vals)) as ArrayRef
        })
        .collect();
    RecordBatch::try_new(schema, cols).unwrap()
}

fn text(b: &RecordBatch, name: &str) -> StringArray {
    omni_core::text::as_utf8(b.column_by_name(name).unwrap().as_ref()).unwrap()
}

fn map_of(r: &Resolution) -> BTreeMap<(String, String), String> {
    let m = &r.identity_map;
    let (s, i, c) = (
        text(m, "source"),
        text(m, "record_id"),
        text(m, "customer_id"),
    );
    (0..m.num_rows())
        .map(|k| ((s.value(k).into(), i.value(k).into()), c.value(k).into()))
        .collect()
}

fn config() -> IdentityConfig {
    let mut cfg = IdentityConfig::default();
    // Small data: let EM run, and keep a modest threshold so probabilistic links happen.
    cfg.probabilistic.threshold = 0.9;
    cfg.probabilistic.u_sample_pairs = 20_000;
    cfg
}

fn run(rows: &[Rec], cfg: &IdentityConfig) -> Resolution {
    resolve(&[batch(rows)], cfg, &HashMap::new(), None, "r1").unwrap()
}

#[test]
fn input_order_batching_and_thread_count_do_not_change_the_result() {
    let rows = random_records(1, 600);
    let cfg = config();
    let a = run(&rows, &cfg);
    assert!(
        a.stats.links_by_rule.contains_key("probabilistic"),
        "the data exercises the probabilistic tier: {:?}",
        a.stats
    );
    let mut shuffled = rows.clone();
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.random_range(0..=i));
    }
    let (x, y) = shuffled.split_at(250);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let b = pool
        .install(|| resolve(&[batch(x), batch(y)], &cfg, &HashMap::new(), None, "r1"))
        .unwrap();
    assert_eq!(a.identity_map, b.identity_map);
    assert_eq!(a.identity_edges, b.identity_edges);
    assert_eq!(a.stats, b.stats);
}

#[test]
fn a_rerun_on_the_same_records_is_idempotent() {
    let rows = random_records(2, 400);
    let cfg = config();
    let first = run(&rows, &cfg);
    let map = vec![first.identity_map.clone()];
    let hist = vec![first.history.clone()];
    let second = resolve(
        &[batch(&rows)],
        &cfg,
        &HashMap::new(),
        Some(PreviousIds {
            identity_map: &map,
            history: &hist,
        }),
        "r2",
    )
    .unwrap();
    assert_eq!(map_of(&first), map_of(&second));
    assert_eq!(second.stats.ids.created, 0);
    assert_eq!(second.stats.ids.merged + second.stats.ids.split, 0);
    assert_eq!(second.history.num_rows(), first.history.num_rows());
}

/// Every pair of records sharing a deterministic identifier is one customer, unless the
/// edges record a refusal for that value (a guard, a blocked or generic value).
#[test]
fn deterministic_links_are_never_split_without_a_recorded_refusal() {
    let rows = random_records(3, 600);
    let cfg = config();
    let r = run(&rows, &cfg);
    let m = map_of(&r);
    let e = &r.identity_edges;
    let (rule, value, decision) = (text(e, "rule"), text(e, "value"), text(e, "decision"));
    let refused: HashSet<(String, String)> = (0..e.num_rows())
        .filter(|&i| decision.value(i) == "rejected" && rule.value(i) != "probabilistic")
        .map(|i| (rule.value(i).to_string(), value.value(i).to_string()))
        .collect();
    assert!(!refused.is_empty(), "the data exercises the guards");
    let mut checked = 0;
    for (rule, field) in [
        ("email", "email_match"),
        ("phone", "phone"),
        ("loyalty_card", "loyalty_card"),
        ("national_id", "national_id"),
    ] {
        let mut by_value: HashMap<&str, Vec<&Rec>> = HashMap::new();
        for rec in &rows {
            if let Some((_, v)) = rec.fields.iter().find(|(k, _)| *k == field) {
                by_value.entry(v).or_default().push(rec);
            }
        }
        for (v, recs) in by_value {
            if refused.contains(&(rule.to_string(), v.to_string())) {
                continue;
            }
            let ids: HashSet<&String> = recs
                .iter()
                .map(|rec| &m[&(rec.source.clone(), rec.id.clone())])
                .collect();
            assert_eq!(ids.len(), 1, "{rule} = {v} split without a refusal");
            checked += 1;
        }
    }
    assert!(checked > 50);
}

#[test]
fn no_customer_exceeds_the_maximum_cluster_size() {
    let rows = random_records(4, 600);
    let mut cfg = config();
    let free = run(&rows, &cfg);
    assert!(
        free.stats.largest_cluster > 4,
        "{}",
        free.stats.largest_cluster
    );
    cfg.max_cluster_size = 4;
    let r = run(&rows, &cfg);
    let mut sizes: HashMap<String, u64> = HashMap::new();
    for c in map_of(&r).into_values() {
        *sizes.entry(c).or_default() += 1;
    }
    assert!(
        sizes.values().all(|&s| s <= 4),
        "{:?}",
        sizes.values().max()
    );
    assert!(
        r.stats
            .guard_actions
            .get("max_cluster_size")
            .is_some_and(|&n| n > 0)
    );
}

#[test]
fn two_national_ids_are_never_one_customer() {
    let rows = random_records(5, 600);
    let r = run(&rows, &config());
    let m = map_of(&r);
    let mut ids_of: HashMap<&String, HashSet<&str>> = HashMap::new();
    for rec in &rows {
        if let Some((_, v)) = rec.fields.iter().find(|(k, _)| *k == "national_id") {
            ids_of
                .entry(&m[&(rec.source.clone(), rec.id.clone())])
                .or_default()
                .insert(v);
        }
    }
    assert!(ids_of.values().all(|s| s.len() == 1));
    assert!(
        r.stats
            .guard_actions
            .get("cannot_link:national_id")
            .is_some_and(|&n| n > 0),
        "{:?}",
        r.stats.guard_actions
    );
}
