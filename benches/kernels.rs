//! The identity engine's and the normalisers' hot kernels, one by one: comparators
//! (Jaro-Winkler, Levenshtein and the comparison levels on names and addresses), normalisers
//! (email, phone, name), blocking with pair generation, comparing and scoring candidate
//! pairs, union-find. Ingest has its own bench (`ingest.rs`), whole resolution too
//! (`resolve.rs`).
//!
//! Run: `cargo bench -p omni-benches --bench kernels` (or `--profile quick`). Figures go to
//! BENCHMARKS.md. The data is synthetic and identical on every run (a fixed linear
//! congruential generator): people with Spanish and English names, misspelt, nicknamed and
//! swapped the way channel exports do.

use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, new_null_array};
use arrow::record_batch::RecordBatch;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omni_normalize::{PhoneNormalizer, fold_name, normalize_email};
use omni_resolve::ProbabilisticConfig;
use omni_resolve::compare;
use omni_resolve::features::Features;
use omni_resolve::probabilistic::{self, Plan};
use omni_resolve::union_find::UnionFind;

const FIRST: [&str; 16] = [
    "María",
    "José",
    "Antonio",
    "Carmen",
    "Laura",
    "David",
    "Lucía",
    "Javier",
    "Sarah",
    "James",
    "Emily",
    "Thomas",
    "María Dolores",
    "José Luis",
    "Pepe",
    "Lola",
];
const LAST: [&str; 16] = [
    "García López",
    "Martínez",
    "Fernández Ruiz",
    "Sánchez",
    "Pérez Gómez",
    "González",
    "Rodríguez",
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "de la Fuente",
    "Navarro Gil",
    "Ortega",
    "Delgado Castro",
    "Wilson",
];
const STREETS: [&str; 8] = [
    "calle mayor",
    "avenida de america",
    "gran via",
    "calle de alcala",
    "high street",
    "station road",
    "paseo de gracia",
    "church lane",
];

/// A small linear congruential generator: the same data on every run.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// One typo (a letter dropped, doubled or two swapped) in a fraction of the values.
fn typo(s: &str, r: usize) -> String {
    let mut b: Vec<char> = s.chars().collect();
    if b.len() > 3 {
        let i = 1 + r % (b.len() - 2);
        match r % 3 {
            0 => {
                b.remove(i);
            }
            1 => b.insert(i, b[i]),
            _ => b.swap(i, i + 1),
        }
    }
    b.into_iter().collect()
}

struct Person {
    first: String,
    last: String,
    postcode: String,
    city: &'static str,
    address: String,
    email: String,
    phone: String,
}

fn people(n: usize, rng: &mut Lcg) -> Vec<Person> {
    (0..n)
        .map(|p| {
            let first = fold_name(FIRST[rng.next() % FIRST.len()]).unwrap_or_default();
            let last = fold_name(LAST[rng.next() % LAST.len()]).unwrap_or_default();
            let district = rng.next() % 400;
            Person {
                email: format!("{}.{}{}@mail.es", first.replace(' ', ""), p % 97, p),
                phone: format!("+346{:08}", rng.next() % 100_000_000),
                postcode: format!("{:05}", 28000 + district),
                city: ["madrid", "barcelona", "london", "sevilla"][district % 4],
                address: format!(
                    "{} {} {}",
                    STREETS[rng.next() % STREETS.len()],
                    1 + rng.next() % 200,
                    rng.next() % 9
                ),
                first,
                last,
            }
        })
        .collect()
}

/// `n` source records of `n / 4` people, each record with some of its person's fields,
/// some misspelt.
fn records(n: usize) -> RecordBatch {
    let mut rng = Lcg(0x9E37_79B9_7F4A_7C15);
    let folk = people((n / 4).max(1), &mut rng);
    let mut cols: Vec<(&str, Vec<Option<String>>)> = [
        "source",
        "record_id",
        "first_name_norm",
        "last_name_norm",
        "postcode",
        "city",
        "address",
        "email_match",
        "phone",
    ]
    .iter()
    .map(|c| (*c, Vec::with_capacity(n)))
    .collect();
    for i in 0..n {
        let p = &folk[rng.next() % folk.len()];
        let r = rng.next();
        let vals = [
            Some("web".to_string()),
            Some(format!("r{i}")),
            Some(if r.is_multiple_of(7) {
                typo(&p.first, r)
            } else {
                p.first.clone()
            }),
            Some(if r.is_multiple_of(5) {
                typo(&p.last, r / 5)
            } else {
                p.last.clone()
            }),
            (!r.is_multiple_of(3)).then(|| p.postcode.clone()),
            (r.is_multiple_of(2)).then(|| p.city.to_string()),
            (r % 3 == 1).then(|| p.address.clone()),
            (r.is_multiple_of(4)).then(|| p.email.clone()),
            (r.is_multiple_of(6)).then(|| p.phone.clone()),
        ];
        for ((_, col), v) in cols.iter_mut().zip(vals) {
            col.push(v);
        }
    }
    let schema = omni_core::schema::source_records();
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(
            |f| match cols.iter().find(|(c, _)| *c == f.name().as_str()) {
                Some((_, v)) => Arc::new(StringArray::from(v.clone())) as ArrayRef,
                None if !f.is_nullable() => Arc::new(StringArray::from(vec!["x"; n])) as ArrayRef,
                None => new_null_array(f.data_type(), n),
            },
        )
        .collect();
    RecordBatch::try_new(schema, arrays).expect("valid batch")
}

/// Pairs of (folded) names as candidate pairs meet them: mostly different, some close.
fn name_pairs(n: usize) -> Vec<(String, String)> {
    let mut rng = Lcg(7);
    let folk = people(n, &mut rng);
    (0..n)
        .map(|i| {
            let a = &folk[i].last;
            let b = if i.is_multiple_of(3) {
                typo(a, rng.next())
            } else {
                folk[rng.next() % n].last.clone()
            };
            (a.clone(), b)
        })
        .collect()
}

fn comparators(c: &mut Criterion) {
    let pairs = name_pairs(10_000);
    let mut rng = Lcg(11);
    let folk = people(10_000, &mut rng);
    let mut g = c.benchmark_group("comparators");
    g.throughput(Throughput::Elements(pairs.len() as u64));
    g.bench_function("jaro_winkler_omni", |b| {
        b.iter(|| {
            pairs
                .iter()
                .map(|(x, y)| compare::jw(black_box(x), black_box(y)))
                .sum::<f64>()
        })
    });
    g.bench_function("jaro_winkler_strsim", |b| {
        b.iter(|| {
            pairs
                .iter()
                .map(|(x, y)| strsim::jaro_winkler(black_box(x), black_box(y)))
                .sum::<f64>()
        })
    });
    g.bench_function("levenshtein_strsim", |b| {
        b.iter(|| {
            pairs
                .iter()
                .map(|(x, y)| strsim::levenshtein(black_box(x), black_box(y)))
                .sum::<usize>()
        })
    });
    g.bench_function("last_name_levels", |b| {
        b.iter(|| {
            pairs
                .iter()
                .map(|(x, y)| compare::last_name(black_box(x), black_box(y)) as u64)
                .sum::<u64>()
        })
    });
    g.bench_function("address_levels", |b| {
        b.iter(|| {
            folk.windows(2)
                .map(|w| compare::address(&w[0].address, &w[1].address) as u64)
                .sum::<u64>()
        })
    });
    g.finish();
}

fn normalisers(c: &mut Criterion) {
    let n = 10_000;
    let mut rng = Lcg(13);
    let raw_emails: Vec<String> = (0..n)
        .map(|i| {
            let f = FIRST[rng.next() % FIRST.len()];
            match i % 3 {
                0 => format!("  {}.Garcia{i}@GoogleMail.com ", f),
                1 => format!("{}+promo{i}@gmail.com", f.to_lowercase()),
                _ => format!("{}{i}@hotmail.es", f.to_lowercase()),
            }
        })
        .collect();
    let raw_phones: Vec<String> = (0..n)
        .map(|i| match i % 3 {
            0 => format!("6{:02} {:03} {:03}", i % 100, rng.next() % 1000, i % 1000),
            1 => format!("+34 6{:08}", rng.next() % 100_000_000),
            _ => format!("0034-9{:08}", rng.next() % 100_000_000),
        })
        .collect();
    let raw_names: Vec<String> = (0..n)
        .map(|i| {
            let f = FIRST[i % FIRST.len()];
            let l = LAST[rng.next() % LAST.len()];
            if i.is_multiple_of(2) {
                format!("{} {}", f.to_uppercase(), l)
            } else {
                format!("{f} {l}")
            }
        })
        .collect();
    let phone = PhoneNormalizer::new("ES").expect("ES is a region");
    let mut g = c.benchmark_group("normalisers");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("email", |b| {
        b.iter(|| {
            raw_emails
                .iter()
                .filter_map(|e| normalize_email(black_box(e)))
                .count()
        })
    });
    g.bench_function("phone_e164_distinct", |b| {
        b.iter(|| {
            raw_phones
                .iter()
                .filter_map(|p| phone.normalize(black_box(p)))
                .count()
        })
    });
    g.bench_function("name_fold", |b| {
        b.iter(|| {
            raw_names
                .iter()
                .filter_map(|s| fold_name(black_box(s)))
                .count()
        })
    });
    g.finish();
}

fn pairs_and_scoring(c: &mut Criterion) {
    let n = 200_000;
    let batch = records(n);
    let order: Vec<usize> = (0..n).collect();
    let features = Features::extract(&batch, &order).expect("features");
    let cfg = ProbabilisticConfig::default();
    let plan = Plan::new(&cfg).expect("default plan");
    // No deterministic tier here: every record its own cluster.
    let cluster_of: Vec<u32> = (0..n as u32).collect();
    let cand = probabilistic::candidates(&features, &plan, cfg.max_block_size, &cluster_of);
    let patterns = probabilistic::patterns(&features, &plan.comparisons, &cand.pairs);
    let model = probabilistic::fit(&features, &plan, &cand, &patterns, 0, &cfg);
    let mut g = c.benchmark_group("probabilistic");
    g.sample_size(10);
    g.throughput(Throughput::Elements(cand.pairs.len() as u64));
    g.bench_function("blocking_and_pair_generation", |b| {
        b.iter(|| {
            probabilistic::candidates(&features, &plan, cfg.max_block_size, &cluster_of)
                .pairs
                .len()
        })
    });
    g.bench_function("comparing_pairs", |b| {
        b.iter(|| probabilistic::patterns(&features, &plan.comparisons, black_box(&cand.pairs)))
    });
    g.bench_function("scoring_pairs", |b| {
        b.iter(|| {
            let table = model.weights(&features);
            cand.pairs
                .iter()
                .zip(&patterns)
                .map(|(&(a, _), &p)| table.total(p, a as usize))
                .sum::<f64>()
        })
    });
    g.finish();
}

fn union_find(c: &mut Criterion) {
    let n = 1_000_000;
    let mut rng = Lcg(17);
    let links: Vec<(usize, usize)> = (0..n).map(|_| (rng.next() % n, rng.next() % n)).collect();
    let mut g = c.benchmark_group("union_find");
    g.throughput(Throughput::Elements(links.len() as u64));
    g.bench_function("union_1m_links_then_components", |b| {
        b.iter(|| {
            let mut uf = UnionFind::new(n);
            for &(a, b) in &links {
                uf.union(a, b);
            }
            uf.components().len()
        })
    });
    g.finish();
}

criterion_group!(
    benches,
    comparators,
    normalisers,
    pairs_and_scoring,
    union_find
);
// The allocator of the `omni` binary, so that the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_main!(benches);
