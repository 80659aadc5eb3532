//! Ingest throughput: a CSV and a JSON-lines export → normalised Arrow tables
//! (`omni_ingest::ingest_source`: read in blocks, typed parsing, email/phone/name
//! normalisation, rejects), against polars' own bare CSV read of the same file in the same
//! run. Throughput is in input bytes per second.
//!
//! The data (about 200 MB per format; `OMNI_BENCH_INGEST_MB` to change it) is generated into
//! a temporary directory at start and deleted at the end; it is never committed.
//!
//! Run: `cargo bench -p omni-benches --bench ingest`. Figures go to BENCHMARKS.md and
//! `benches/results/`.

use std::fmt::Write as _;
use std::hint::black_box;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use omni_ingest::config::SourceConfig;
use omni_ingest::normalize::PhoneNormalizer;
use omni_ingest::{MapOptions, ingest_source, ingest_source_parts};
use polars::prelude::*;

const FIRST: &[&str] = &[
    "María",
    "José",
    "Lucía",
    "Pepe",
    "Ana",
    "Francisco",
    "Carmen",
    "Bill",
    "Elizabeth",
    "Íñigo",
];
const LAST: &[&str] = &[
    "García López",
    "Fernández",
    "de la Fuente",
    "Núñez Ruiz",
    "Smith",
    "Martín",
    "O'Neill",
];

/// Writes `mb` MB of web orders as CSV and as JSON lines; returns the two paths' sizes.
fn generate(dir: &Path, mb: usize) -> (u64, u64) {
    let target = mb << 20;
    let mut csv = std::io::BufWriter::new(std::fs::File::create(dir.join("orders.csv")).unwrap());
    let mut jsonl =
        std::io::BufWriter::new(std::fs::File::create(dir.join("orders.jsonl")).unwrap());
    writeln!(
        csv,
        "order_id,created_at,email,phone,first_name,last_name,postcode,total"
    )
    .unwrap();
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) as usize
    };
    let (mut written, mut line) = (0usize, String::new());
    let mut i = 0usize;
    while written < target {
        let r = next();
        let first = FIRST[r % FIRST.len()];
        let last = LAST[(r >> 4) % LAST.len()];
        let email = format!(
            "{}.{}{}@{}",
            first.to_lowercase(),
            r % 9973,
            i % 7,
            ["gmail.com", "hotmail.es", "yahoo.es"][(r >> 8) % 3]
        );
        let phone = format!(
            "6{:02} {:03} {:03}",
            r % 100,
            (r >> 7) % 1000,
            (r >> 17) % 1000
        );
        let ts = format!(
            "2025-{:02}-{:02} {:02}:{:02}:00",
            1 + r % 12,
            1 + (r >> 5) % 28,
            (r >> 9) % 24,
            (r >> 13) % 60
        );
        let total = format!("{}.{:02}", (r >> 3) % 500, r % 100);
        let pc = format!("{:05}", 1000 + r % 50000);
        line.clear();
        writeln!(
            line,
            "W{i},{ts},{email},{phone},{first},\"{last}\",{pc},{total}"
        )
        .unwrap();
        csv.write_all(line.as_bytes()).unwrap();
        written += line.len();
        writeln!(
            jsonl,
            "{{\"order_id\":\"W{i}\",\"created_at\":\"{ts}\",\"customer\":{{\"email\":\"{email}\",\"phone\":\"{phone}\",\"name\":{{\"first\":\"{first}\",\"last\":\"{last}\"}}}},\"postcode\":\"{pc}\",\"total\":{{\"value\":{total},\"currency\":\"EUR\"}}}}"
        )
        .unwrap();
        i += 1;
    }
    drop(csv);
    drop(jsonl);
    let size = |f: &str| std::fs::metadata(dir.join(f)).unwrap().len();
    (size("orders.csv"), size("orders.jsonl"))
}

/// The web orders source; `phone = false` leaves the phone column unmapped, to show what
/// phone normalisation costs (every generated phone number is distinct, so its cache never
/// hits: the worst case).
fn source(format: &str, phone: bool) -> SourceConfig {
    let (path, fields, amount) = match format {
        "csv" => (
            "orders.csv",
            r#"record_id = "order_id"
               event_ts = "created_at"
               email = "email"
               phone = "phone"
               first_name = "first_name"
               last_name = "last_name"
               postcode = "postcode""#,
            "total",
        ),
        _ => (
            "orders.jsonl",
            r#"record_id = "order_id"
               event_ts = "created_at"
               email = "customer.email"
               phone = "customer.phone"
               first_name = "customer.name.first"
               last_name = "customer.name.last"
               postcode = "postcode""#,
            "total.value",
        ),
    };
    let fields = if phone {
        fields.to_string()
    } else {
        fields
            .lines()
            .filter(|l| !l.trim_start().starts_with("phone"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    toml::from_str(&format!(
        "name = \"web_orders\"\nchannel = \"web\"\npath = \"{path}\"\nformat = \"{format}\"\n\
         [fields]\n{fields}\n[transaction]\namount = \"{amount}\"\n"
    ))
    .unwrap()
}

/// `OMNI_BENCH_INGEST_FILE=<web_orders.csv>`: instead of the benchmarks, ingests that file
/// once (an `omni datagen --channels web` export, mapped as `pipelines/generated.toml` maps
/// it; a `.jsonl` file holding the same columns as keys is read as JSON lines) and prints rows, time, input MB/s and the process's peak memory: how ingest behaves on
/// one large, realistic file (customers repeat their phones there).
fn ingest_one_file(path: &Path) {
    let src: SourceConfig = toml::from_str(&format!(
        "name = \"web_orders\"\nchannel = \"web\"\npath = {:?}\nformat = {:?}\n\
         [fields]\nrecord_id = \"order_id\"\nevent_ts = \"created_at\"\n\
         email = \"customer_email\"\nfull_name = \"customer_name\"\nphone = \"phone\"\n\
         address = \"shipping_address\"\npostcode = \"shipping_postcode\"\n\
         city = \"shipping_city\"\ncountry = \"country\"\n\
         [transaction]\namount = \"total\"\ncurrency = \"currency\"\n\
         original_id = \"refund_of\"\n",
        path.to_string_lossy(),
        if path.extension().is_some_and(|e| e == "jsonl") {
            "jsonl"
        } else {
            "csv"
        },
    ))
    .unwrap();
    let opts = MapOptions {
        phone: PhoneNormalizer::new("ES").unwrap(),
        currency: "EUR".into(),
    };
    let bytes = std::fs::metadata(path).unwrap().len();
    let t = std::time::Instant::now();
    // `OMNI_BENCH_INGEST_WHOLE=1` keeps the whole output in memory (`ingest_source`);
    // otherwise it is taken part by part, as `omni build` does, and dropped.
    let whole = std::env::var_os("OMNI_BENCH_INGEST_WHOLE").is_some();
    let (stats, parts, out_mb) = if whole {
        let m = ingest_source(&src, Path::new("."), &opts).unwrap();
        let mb = (m.records.get_array_memory_size() + m.transactions.get_array_memory_size()) >> 20;
        (m.stats, 1, mb)
    } else {
        let (mut parts, mut mb) = (0usize, 0usize);
        let (_, stats) = ingest_source_parts(
            &src,
            Path::new("."),
            &opts,
            omni_ingest::read::chunked::DEFAULT_CHUNK_BYTES,
            |p: omni_ingest::Part| {
                parts += 1;
                mb += p.memory_size() >> 20;
                Ok::<_, omni_ingest::Error>(())
            },
        )
        .unwrap();
        (stats, parts, mb)
    };
    let secs = t.elapsed().as_secs_f64();
    // Peak resident memory of the process (Linux).
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    println!(
        "{}: {} bytes, {} rows read, {} accepted, {} rejected; {secs:.2} s, {:.1} MB/s; \
         output {out_mb} MB of Arrow arrays in {parts} part(s); peak RSS {peak}",
        path.display(),
        bytes,
        stats.rows_read,
        stats.accepted,
        stats.rejected,
        bytes as f64 / 1e6 / secs,
    );
    if path.extension().is_some_and(|e| e == "csv")
        && std::env::var_os("OMNI_BENCH_INGEST_FLOORS").is_some()
    {
        floors(path, bytes, secs, opts.phone);
    }
}

/// With `OMNI_BENCH_INGEST_FLOORS=1`, after the ingest of a CSV file: what parts of the work
/// cost alone on the same file, in the same run, on all cores: polars'
/// bare read of the CSV (the issue's yardstick), and the phone column through libphonenumber
/// as ingest calls it (one [`PhoneCache`] per worker) and with no cache at all. The ingest
/// cannot be faster than its phones, and the yardstick bounds it at twice the bare read.
fn floors(path: &Path, bytes: u64, ingest_secs: f64, phone: PhoneNormalizer) {
    use omni_ingest::normalize::PhoneCache;
    use rayon::prelude::*;
    // Process CPU time (user + system), seconds.
    let cpu = || {
        // SAFETY: getrusage writes the struct it is given.
        let mut u: libc::rusage = unsafe { std::mem::zeroed() };
        unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut u) };
        let s = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        s(u.ru_utime) + s(u.ru_stime)
    };
    // Best wall time of three runs, with that run's CPU time.
    let best = |f: &mut dyn FnMut() -> usize| {
        (0..3)
            .map(|_| {
                let (t, c) = (std::time::Instant::now(), cpu());
                black_box(f());
                (t.elapsed().as_secs_f64(), cpu() - c)
            })
            .fold((f64::INFINITY, 0.0), |a, b| if b.0 < a.0 { b } else { a })
    };
    // Every column as text, ragged rows cut (the file has malformed rows a typed read would
    // stop at; ingest reads text too).
    let read = || {
        CsvReadOptions::default()
            .with_has_header(true)
            .with_infer_schema_length(Some(0))
            .map_parse_options(|o| o.with_truncate_ragged_lines(true))
            .try_into_reader_with_file_path(Some(path.to_path_buf()))
            .unwrap()
            .finish()
            .unwrap()
    };
    let bare = best(&mut || read().height());
    let df = read();
    let phones: Vec<String> = df
        .column("phone")
        .unwrap()
        .cast(&DataType::String)
        .unwrap()
        .str()
        .unwrap()
        .iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let cached = best(&mut || {
        phones
            .par_chunks(8192)
            .map_init(
                || PhoneCache::new(phone),
                |cache, chunk| {
                    chunk
                        .iter()
                        .filter(|v| cache.normalize_ref(v).is_some())
                        .count()
                },
            )
            .sum()
    });
    let uncached = best(&mut || {
        phones
            .par_chunks(8192)
            .map(|chunk| {
                chunk
                    .iter()
                    .filter(|v| phone.normalize(v).is_some())
                    .count()
            })
            .sum()
    });
    let mbs = |s: f64| bytes as f64 / 1e6 / s;
    println!(
        "same file, all cores, best of 3 (wall / CPU): polars bare read {:.2} / {:.2} s \
         ({:.0} MB/s; ingest ÷ bare read {:.1}); {} phones alone through the cache {:.2} / \
         {:.2} s ({:.0} MB/s), without it {:.2} / {:.2} s ({:.0} MB/s)",
        bare.0,
        bare.1,
        mbs(bare.0),
        ingest_secs / bare.0,
        phones.len(),
        cached.0,
        cached.1,
        mbs(cached.0),
        uncached.0,
        uncached.1,
        mbs(uncached.0),
    );
}

fn bench(c: &mut Criterion) {
    // As `omni` does: no transparent huge pages for this process (see omni-cli's `main`), so
    // that the figures are those of a build.
    #[cfg(target_os = "linux")]
    // SAFETY: prctl with PR_SET_THP_DISABLE only sets a flag of this process's memory.
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
    if let Some(file) = std::env::var_os("OMNI_BENCH_INGEST_FILE") {
        ingest_one_file(Path::new(&file));
        return;
    }
    let mb: usize = std::env::var("OMNI_BENCH_INGEST_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir().unwrap();
    let (csv_bytes, jsonl_bytes) = generate(dir.path(), mb);
    let opts = MapOptions {
        phone: PhoneNormalizer::new("ES").unwrap(),
        currency: "EUR".into(),
    };
    let mut g = c.benchmark_group("ingest");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_secs(1));

    g.throughput(Throughput::Bytes(csv_bytes));
    let csv_path = dir.path().join("orders.csv");
    g.bench_function("polars_bare_csv_read", |b| {
        b.iter(|| {
            let df = CsvReadOptions::default()
                .with_has_header(true)
                .try_into_reader_with_file_path(Some(csv_path.clone()))
                .unwrap()
                .finish()
                .unwrap();
            black_box(df.height())
        })
    });
    let src = source("csv", true);
    g.bench_function("csv_to_normalised_arrow", |b| {
        b.iter(|| {
            let m = ingest_source(&src, dir.path(), &opts).unwrap();
            assert_eq!(m.stats.rejected, 0);
            black_box(m.records.num_rows())
        })
    });
    let src = source("csv", false);
    g.bench_function("csv_to_normalised_arrow_without_phone", |b| {
        b.iter(|| {
            let m = ingest_source(&src, dir.path(), &opts).unwrap();
            assert_eq!(m.stats.rejected, 0);
            black_box(m.records.num_rows())
        })
    });

    g.throughput(Throughput::Bytes(jsonl_bytes));
    let src = source("jsonl", true);
    g.bench_function("jsonl_to_normalised_arrow", |b| {
        b.iter(|| {
            let m = ingest_source(&src, dir.path(), &opts).unwrap();
            assert_eq!(m.stats.rejected, 0);
            black_box(m.records.num_rows())
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
// The allocator of the `omni` binary, so that the figures are the binary's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

criterion_main!(benches);
