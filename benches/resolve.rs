//! Deterministic resolution (grouping by identifier + union-find + customer ids) over
//! synthetic records, as a first build (no previous snapshot).
//!
//! Run: `cargo bench -p omni-benches --bench resolve`. Figures go to BENCHMARKS.md.

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray, new_null_array};
use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use omni_resolve::{IdentityConfig, resolve};

/// `n` records of `n / 3` people: each record carries some of its person's email, phone and
/// loyalty card, as channel exports do. A small linear congruential generator keeps the data
/// identical on every run without a dependency.
fn records(n: usize) -> RecordBatch {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let people = (n / 3).max(1);
    let sources = ["web_orders", "pos_tickets", "loyalty_members", "app_users"];
    let mut cols: HashMap<&str, Vec<Option<String>>> = HashMap::new();
    for i in 0..n {
        let p = next() % people;
        let r = next();
        let src = sources[r % 4];
        cols.entry("source")
            .or_default()
            .push(Some(src.to_string()));
        cols.entry("record_id")
            .or_default()
            .push(Some(format!("{src}-{i}")));
        cols.entry("email_match")
            .or_default()
            .push((r % 3 != 0).then(|| format!("person{p}@mail.es")));
        cols.entry("phone")
            .or_default()
            .push((r % 5 < 2).then(|| format!("+346{p:08}")));
        cols.entry("loyalty_card")
            .or_default()
            .push((src != "web_orders" && r % 2 == 0).then(|| format!("2400{p:09}")));
    }
    let schema = omni_core::schema::source_records();
    let arrays: Vec<ArrayRef> = schema
        .fields()
        .iter()
        .map(|f| match cols.get(f.name().as_str()) {
            Some(v) => Arc::new(StringArray::from(v.clone())) as ArrayRef,
            None if f.data_type() == &DataType::Utf8 && !f.is_nullable() => {
                Arc::new(StringArray::from(vec!["x"; n])) as ArrayRef
            }
            None => new_null_array(f.data_type(), n),
        })
        .collect();
    RecordBatch::try_new(schema, arrays).expect("valid batch")
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("resolve_deterministic");
    g.sample_size(10);
    for n in [100_000usize, 1_000_000] {
        let batch = records(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &batch, |b, batch| {
            b.iter(|| {
                resolve(
                    black_box(std::slice::from_ref(batch)),
                    &IdentityConfig::default(),
                    &HashMap::new(),
                    None,
                    "bench",
                )
                .expect("resolves")
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
// The allocator of the `omni` binary, so that the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_main!(benches);
