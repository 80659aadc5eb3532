//! The normalisation caches of ingest must answer exactly what the normalisers answer.

use arrow::array::{Array, AsArray};

use crate::config::SourceConfig;
use crate::normalize::PhoneNormalizer;
use crate::{MapOptions, ingest_source_chunked};

const PHONES: &[&str] = &[
    "612 345 678",
    "07911 123456",
    "612 345 678",
    "+44 7911 123456",
    "0034 612 345 678",
    "07911 123456",
    "n/a",
    "",
    " 612345678 ",
    "020 7946 0958",
    "91 123 45 67",
];

/// The same raw phones under two default regions, in two sources ingested one after the
/// other and in many blocks: every normalised phone is what an uncached normaliser of the
/// source's own region gives. A cache keyed on the raw text alone, or shared between
/// sources, would answer `07911 123456` with the first region's result in the second.
#[test]
fn phone_cache_is_per_region_and_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("id,phone\n");
    let rows = 9_000;
    for i in 0..rows {
        csv.push_str(&format!(
            "r{i},\"{}\"\n",
            PHONES[(i * 7 + i / 5) % PHONES.len()]
        ));
    }
    std::fs::write(dir.path().join("p.csv"), &csv).unwrap();
    let src = |name: &str| -> SourceConfig {
        toml::from_str(&format!(
            "name = \"{name}\"\nchannel = \"web\"\npath = \"p.csv\"\nformat = \"csv\"\n\
             [fields]\nrecord_id = \"id\"\nphone = \"phone\"\n"
        ))
        .unwrap()
    };
    let mut seen_regions = Vec::new();
    for region in ["ES", "GB", "ES", "US"] {
        let normalizer = PhoneNormalizer::new(region).unwrap();
        let opts = MapOptions {
            phone: normalizer,
            currency: "EUR".into(),
        };
        let m = ingest_source_chunked(&src(region), dir.path(), &opts, 4096).unwrap();
        assert_eq!(m.stats.accepted, rows as u64);
        let raw = m
            .records
            .column_by_name("phone_raw")
            .unwrap()
            .as_string::<i32>();
        let phone = m
            .records
            .column_by_name("phone")
            .unwrap()
            .as_string::<i32>();
        let mut answers = Vec::new();
        for i in 0..raw.len() {
            let want = (!raw.is_null(i))
                .then(|| normalizer.normalize(raw.value(i)))
                .flatten();
            let got = (!phone.is_null(i)).then(|| phone.value(i).to_string());
            assert_eq!(got, want, "{region}: row {i}, raw {:?}", raw.value(i));
            answers.push(got);
        }
        seen_regions.push(answers);
    }
    // The regions do disagree on these values, so the test can tell them apart.
    assert_ne!(seen_regions[0], seen_regions[1]);
    assert_eq!(seen_regions[0], seen_regions[2]);
}
