//! Reading in blocks gives exactly what a whole-file read gives: the same rows, line
//! numbers, raw texts, bad rows and errors, for every file of the bad-input corpus and for
//! block sizes down to one byte, so that every record, quote, CRLF and multi-byte character
//! is split by a block boundary somewhere.

use std::path::{Path, PathBuf};

use crate::config::{CsvOptions, Format, SourceConfig};
use crate::read::{self, FileChunks, RawTable};
use crate::{MapOptions, ingest_source_chunked, normalize::PhoneNormalizer};

/// Rows of a table as (line, raw, values by column name), and its bad rows.
type Rows = Vec<(u64, String, Vec<(String, Option<String>)>)>;
type Bad = Vec<(u64, String, String)>;

fn flatten(tables: &[RawTable]) -> (Rows, Bad) {
    let mut rows = Rows::new();
    let mut bad = Bad::new();
    for t in tables {
        for i in 0..t.num_rows() {
            let mut vals: Vec<(String, Option<String>)> = t
                .columns
                .iter()
                .map(|(n, c)| (n.clone(), c.get(i).map(str::to_string)))
                .filter(|(_, v)| v.is_some())
                .collect();
            vals.sort();
            rows.push((t.lines[i], t.raw(i), vals));
        }
        bad.extend(
            t.bad_rows
                .iter()
                .map(|b| (b.line, b.raw.clone(), b.reason.clone())),
        );
    }
    bad.sort();
    (rows, bad)
}

fn chunked(src: &SourceConfig, path: &Path, chunk: usize) -> crate::Result<Vec<RawTable>> {
    let mut r = FileChunks::open(src, path, chunk)?;
    let mut out = Vec::new();
    while let Some(t) = r.next_table()? {
        out.push(t);
    }
    Ok(out)
}

fn source(format: Format, csv: CsvOptions) -> SourceConfig {
    SourceConfig {
        name: "s".into(),
        channel: "web".into(),
        path: String::new(),
        format,
        csv,
        decimal_comma: false,
        fields: Default::default(),
        transaction: None,
    }
}

fn corpus(dir: &str) -> Vec<PathBuf> {
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(dir);
    let mut v: Vec<PathBuf> = std::fs::read_dir(d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

fn same_as_whole(src: &SourceConfig, path: &Path) {
    let whole = read::read_file(src, path);
    for chunk in [1, 2, 3, 5, 8, 13, 64, 1 << 20] {
        let parts = chunked(src, path, chunk);
        match (&whole, parts) {
            (Ok(w), Ok(p)) => assert_eq!(
                flatten(std::slice::from_ref(w)),
                flatten(&p),
                "{} in blocks of {chunk}",
                path.display()
            ),
            (Err(w), Err(p)) => assert_eq!(w.to_string(), p.to_string(), "{}", path.display()),
            (w, p) => panic!(
                "{} in blocks of {chunk}: whole {:?}, chunked {:?}",
                path.display(),
                w.as_ref().map(|t| t.num_rows()),
                p.map(|t| t.len())
            ),
        }
    }
}

#[test]
fn csv_corpus_reads_the_same_in_any_block_size() {
    for path in corpus("csv") {
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let opts = if name.ends_with(".tsv") {
            CsvOptions {
                delimiter: "\t".into(),
                ..Default::default()
            }
        } else if name.starts_with("semicolon") {
            CsvOptions {
                delimiter: ";".into(),
                ..Default::default()
            }
        } else if name == "no_quoting.csv" {
            CsvOptions {
                quote: String::new(),
                ..Default::default()
            }
        } else {
            CsvOptions::default()
        };
        same_as_whole(&source(Format::Csv, opts), &path);
    }
    // Headerless: the first line is data.
    let headerless = CsvOptions {
        has_header: false,
        columns: vec!["a".into(), "b".into(), "c".into()],
        ..Default::default()
    };
    for path in corpus("csv").iter().take(12) {
        same_as_whole(&source(Format::Csv, headerless.clone()), path);
    }
}

#[test]
fn jsonl_corpus_reads_the_same_in_any_block_size() {
    for path in corpus("jsonl") {
        same_as_whole(&source(Format::Jsonl, CsvOptions::default()), &path);
    }
}

#[test]
fn mapping_in_blocks_gives_the_same_tables_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("\u{feff}id,name,email,ts,amount\r\n");
    for i in 0..400 {
        match i % 23 {
            // A duplicate id, a bad timestamp, a ragged row, a multi-line quoted field,
            // broken quoting, blank lines, a lone CR line end.
            5 => text.push_str("3,Dup,d@x.es,2025-01-01,1\r\n"),
            7 => text.push_str(&format!("{i},Ann,a@x.es,yesterday,1\r\n")),
            11 => text.push_str(&format!("{i},Ragged\r\n")),
            13 => text.push_str(&format!(
                "{i},\"Multi\r\nline, \"\"quoted\"\"\",m@x.es,,2\r\n"
            )),
            17 => text.push_str(&format!("{i},\"broken\"x,b@x.es,,1\r\n\r\n\n")),
            19 => text.push_str(&format!("{i},Núñez,n@x.es,2025-02-03 10:00,3.5\r")),
            _ => text.push_str(&format!("{i},Name{i},u{i}@x.es,2025-03-04,{i}.25\n")),
        }
    }
    std::fs::write(dir.path().join("a.csv"), &text).unwrap();
    let jsonl: String = (0..300)
        .map(|i| match i % 17 {
            3 => "{\"id\": 1}\r\n".to_string(),
            5 => format!("{{\"id\": {i}, \"user\": \n"),
            9 => "\r\n\n".to_string(),
            _ => format!(
                "{{\"id\": {i}, \"user\": {{\"email\": \"ü{i}@x.es\"}}, \"amount\": {i}}}\n"
            ),
        })
        .collect();
    std::fs::write(dir.path().join("a.jsonl"), &jsonl).unwrap();
    let opts = MapOptions {
        phone: PhoneNormalizer::new("ES").unwrap(),
        currency: "EUR".into(),
    };
    for (file, format, fields) in [
        (
            "a.csv",
            "csv",
            "record_id = \"id\"\nfirst_name = \"name\"\nemail = \"email\"\nevent_ts = \"ts\"",
        ),
        (
            "a.jsonl",
            "jsonl",
            "record_id = \"id\"\nemail = \"user.email\"",
        ),
    ] {
        let src: SourceConfig = toml::from_str(&format!(
            "name = \"s\"\nchannel = \"web\"\npath = \"{file}\"\nformat = \"{format}\"\n\
             [fields]\n{fields}\n[transaction]\namount = \"amount\"\n"
        ))
        .unwrap();
        let whole = ingest_source_chunked(&src, dir.path(), &opts, usize::MAX).unwrap();
        assert!(whole.stats.rejected >= 10, "{:?}", whole.stats);
        for chunk in [1, 7, 100, 1000, 4096] {
            let m = ingest_source_chunked(&src, dir.path(), &opts, chunk).unwrap();
            assert_eq!(m.stats, whole.stats, "{file} in blocks of {chunk}");
            assert_eq!(m.records, whole.records, "{file} in blocks of {chunk}");
            assert_eq!(
                m.transactions, whole.transactions,
                "{file} in blocks of {chunk}"
            );
            assert_eq!(m.rejects, whole.rejects, "{file} in blocks of {chunk}");
        }
    }
}

/// The point of blocks: no table holds more than one block plus the unfinished record
/// carried over from the previous block, however large the file.
#[test]
fn blocks_stay_bounded() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,name,note\n");
    let mut longest = 0;
    for i in 0..5000 {
        let rec = format!("{i},Name {i},\"note\n{}\"\n", "x".repeat(i % 50));
        longest = longest.max(rec.len());
        text.push_str(&rec);
    }
    let p = dir.path().join("big.csv");
    std::fs::write(&p, &text).unwrap();
    let src = source(Format::Csv, CsvOptions::default());
    for chunk in [256, 1000, 4096] {
        let tables = chunked(&src, &p, chunk).unwrap();
        assert!(
            tables.len() > text.len() / chunk / 2,
            "{} tables",
            tables.len()
        );
        for t in &tables {
            assert!(
                t.text.len() <= chunk + longest,
                "{} > {chunk} + {longest}",
                t.text.len()
            );
        }
        assert_eq!(tables.iter().map(|t| t.num_rows()).sum::<usize>(), 5000);
    }
    let jp = dir.path().join("big.jsonl");
    let lines: String = (0..5000).map(|i| format!("{{\"id\": {i}}}\n")).collect();
    std::fs::write(&jp, &lines).unwrap();
    let src = source(Format::Jsonl, CsvOptions::default());
    let tables = chunked(&src, &jp, 300).unwrap();
    assert!(tables.iter().all(|t| t.text.len() <= 300 + 16));
    assert_eq!(tables.iter().map(|t| t.num_rows()).sum::<usize>(), 5000);
}

/// Streaming: the output is handed over block by block (no part holds more rows than one
/// block has), in input order, and a failing sink stops the source with its own error.
#[test]
fn parts_are_handed_over_block_by_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("id,email,amount\n");
    for i in 0..3000 {
        text.push_str(&format!("{i},u{i}@x.es,{i}.5\n"));
    }
    std::fs::write(dir.path().join("a.csv"), &text).unwrap();
    let src: SourceConfig = toml::from_str(
        "name = \"s\"\nchannel = \"web\"\npath = \"a.csv\"\nformat = \"csv\"\n\
         [fields]\nrecord_id = \"id\"\nemail = \"email\"\n[transaction]\namount = \"amount\"\n",
    )
    .unwrap();
    let opts = MapOptions {
        phone: PhoneNormalizer::new("ES").unwrap(),
        currency: "EUR".into(),
    };
    // Blocks of 2,000 bytes hold at most about 110 of these rows.
    let mut parts: Vec<(usize, usize, String)> = Vec::new();
    let (rejects, stats) =
        crate::ingest_source_parts(&src, dir.path(), &opts, 2000, |p: crate::Part| {
            let ids = p.records[0]
                .column_by_name("record_id")
                .unwrap()
                .as_any()
                .downcast_ref::<arrow::array::StringArray>()
                .unwrap()
                .value(0)
                .to_string();
            parts.push((p.num_records(), p.num_transactions(), ids));
            Ok::<_, crate::Error>(())
        })
        .unwrap();
    assert_eq!(stats.accepted, 3000);
    assert_eq!(rejects.num_rows(), 0);
    assert!(parts.len() >= 25, "{} parts", parts.len());
    assert!(
        parts.iter().all(|(r, t, _)| *r <= 120 && r == t),
        "{parts:?}"
    );
    assert_eq!(parts.iter().map(|p| p.0).sum::<usize>(), 3000);
    // In input order: each part starts where the previous one ended.
    let mut next = 0;
    for (rows, _, first) in &parts {
        assert_eq!(first, &next.to_string());
        next += rows;
    }

    #[derive(Debug)]
    enum SinkError {
        Full,
        Ingest,
    }
    impl From<crate::Error> for SinkError {
        fn from(_: crate::Error) -> Self {
            SinkError::Ingest
        }
    }
    let mut calls = 0;
    let err = crate::ingest_source_parts(&src, dir.path(), &opts, 2000, |_| {
        calls += 1;
        if calls == 3 {
            Err(SinkError::Full)
        } else {
            Ok(())
        }
    })
    .unwrap_err();
    assert!(matches!(err, SinkError::Full), "{err:?}");
    assert_eq!(calls, 3, "the source went on after the sink failed");
}
