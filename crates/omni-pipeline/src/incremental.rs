//! Incremental ingest: a rebuild reuses the normalised tables of sources whose files did not
//! change.
//!
//! Every build writes `ingest_manifest.json` into its snapshot: per source, a hash of its
//! configuration and, per file, the path, size, modification time and SHA-256 of the
//! content. The next build fingerprints the files again; a source whose configuration hash
//! and every file's (path, size, checksum) are unchanged is not read: its rows of
//! `source_records`, `transactions` and `rejects` are taken from the previous snapshot, with
//! its counts. Reuse is per source, not per file, because record ids must be unique across
//! a source's files (a changed file can turn a row of an unchanged one into a duplicate).
//! The modification time is recorded for people, never trusted: a `touch` without a change
//! still reuses, a change that keeps the size is still seen.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use arrow::array::{Array, BooleanArray, StringArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use omni_core::{schema, table};
use omni_ingest::config::SourceConfig;
use omni_ingest::{MapOptions, Part, SourceStats};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::statistics::Statistics;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result, io};
use crate::validate::Pipeline;

/// File name of the manifest in a snapshot.
pub const MANIFEST: &str = "ingest_manifest.json";
const VERSION: u32 = 1;

/// `ingest_manifest.json`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct IngestManifest {
    pub version: u32,
    pub sources: Vec<SourceEntry>,
}

/// One source of a build: what was read and what came of it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SourceEntry {
    pub source: String,
    /// Hash of the source's configuration, the pipeline defaults ingest uses and the omni
    /// version: any change means the files must be read again.
    pub config_hash: String,
    pub files: Vec<FileEntry>,
    /// Whether this build reused the previous snapshot's tables for the source.
    pub reused: bool,
    pub stats: SourceStats,
}

/// One ingested file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Modification time, seconds since the Unix epoch (informative only).
    pub mtime: Option<i64>,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

impl FileEntry {
    fn same_content(&self, other: &FileEntry) -> bool {
        self.path == other.path && self.size == other.size && self.sha256 == other.sha256
    }
}

/// Fingerprints a file: size, mtime and SHA-256, read in 1 MiB blocks.
pub fn fingerprint(path: &Path) -> std::io::Result<FileEntry> {
    let mut f = File::open(path)?;
    let meta = f.metadata()?;
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|d| d.as_secs() as i64);
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(FileEntry {
        path: path.to_string_lossy().into_owned(),
        size: meta.len(),
        mtime,
        sha256: hex(&h.finalize()),
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The configuration hash of one source ([`SourceEntry::config_hash`]).
fn config_hash(p: &Pipeline, s: &SourceConfig) -> String {
    let mut h = Sha256::new();
    h.update(serde_json::to_vec(s).unwrap_or_default());
    h.update(p.spec.pipeline.default_region.as_bytes());
    h.update([0]);
    h.update(p.spec.pipeline.default_currency.as_bytes());
    h.update([0]);
    h.update(env!("CARGO_PKG_VERSION").as_bytes());
    hex(&h.finalize())
}

/// An error of one source's ingest: ingest's own, or the sink's (writing a part).
enum SourceError {
    Ingest(omni_ingest::Error),
    Sink(Error),
}

impl From<omni_ingest::Error> for SourceError {
    fn from(e: omni_ingest::Error) -> Self {
        SourceError::Ingest(e)
    }
}

/// Ingest of one build with reuse of the previous snapshot. Shared by the sources, which
/// are ingested in parallel.
pub struct Incremental {
    prev_dir: Option<PathBuf>,
    prev: BTreeMap<String, SourceEntry>,
    entries: Mutex<Vec<SourceEntry>>,
    reused: AtomicUsize,
}

impl Incremental {
    /// Reads the manifest of the previous snapshot (`prev_dir`), if any; a missing or
    /// unreadable manifest only means nothing is reused.
    pub fn new(prev_dir: Option<PathBuf>) -> Self {
        let manifest = prev_dir.as_ref().and_then(|d| {
            let text = std::fs::read(d.join(MANIFEST)).ok()?;
            serde_json::from_slice::<IngestManifest>(&text)
                .ok()
                .filter(|m| m.version == VERSION)
        });
        Incremental {
            prev_dir,
            prev: manifest
                .map(|m| {
                    m.sources
                        .into_iter()
                        .map(|e| (e.source.clone(), e))
                        .collect()
                })
                .unwrap_or_default(),
            entries: Mutex::new(Vec::new()),
            reused: AtomicUsize::new(0),
        }
    }

    /// Sources reused so far.
    pub fn reused(&self) -> usize {
        self.reused.load(Ordering::Relaxed)
    }

    /// Ingests one source, handing its records and transactions to `sink` part by part
    /// (see [`omni_ingest::ingest_source_parts`]), or takes them from the previous
    /// snapshot when its files and configuration are unchanged. Returns the source's
    /// rejects and counts.
    pub fn ingest<F>(
        &self,
        p: &Pipeline,
        s: &SourceConfig,
        opts: &MapOptions,
        mut sink: F,
    ) -> Result<(RecordBatch, SourceStats)>
    where
        F: FnMut(Part) -> Result<()> + Send,
    {
        let ingest_err = |error: omni_ingest::Error| Error::Ingest {
            error: Box::new(error),
            source_name: s.name.clone(),
        };
        let files = omni_ingest::source_files(s, &p.base_dir).map_err(ingest_err)?;
        let prints: Vec<FileEntry> = files
            .par_iter()
            .map(|f| {
                fingerprint(f).map_err(|source| {
                    ingest_err(omni_ingest::Error::Io {
                        path: f.clone(),
                        source,
                    })
                })
            })
            .collect::<Result<_>>()?;
        let hash = config_hash(p, s);
        let reusable = self.prev.get(&s.name).filter(|e| {
            e.config_hash == hash
                && e.files.len() == prints.len()
                && e.files.iter().zip(&prints).all(|(a, b)| a.same_content(b))
        });
        let reused = match reusable {
            Some(e) => self
                .reuse(&s.name, &e.stats, &mut sink)?
                .map(|rejects| (rejects, e.stats.clone())),
            None => None,
        };
        let was_reused = reused.is_some();
        let (rejects, stats) = match reused {
            Some(r) => {
                self.reused.fetch_add(1, Ordering::Relaxed);
                tracing::info!(source = %s.name, "unchanged since the previous build: reused");
                r
            }
            None => omni_ingest::ingest_source_parts(
                s,
                &p.base_dir,
                opts,
                omni_ingest::read::chunked::DEFAULT_CHUNK_BYTES,
                |part| sink(part).map_err(SourceError::Sink),
            )
            .map_err(|e| match e {
                SourceError::Ingest(e) => ingest_err(e),
                SourceError::Sink(e) => e,
            })?,
        };
        self.entries
            .lock()
            .map_err(|_| Error::Internal("ingest manifest lock poisoned".into()))?
            .push(SourceEntry {
                source: s.name.clone(),
                config_hash: hash,
                files: prints,
                reused: was_reused,
                stats: stats.clone(),
            });
        Ok((rejects, stats))
    }

    /// Hands the previous snapshot's records and transactions of `source` to `sink` and
    /// returns its rejects; `None`, before anything is handed over, when they cannot be used
    /// (tables missing, written with another schema, or counts that do not add up to what
    /// the previous build reported). Only the row groups whose statistics can hold `source`
    /// are read, a batch at a time.
    fn reuse(
        &self,
        source: &str,
        stats: &SourceStats,
        sink: &mut dyn FnMut(Part) -> Result<()>,
    ) -> Result<Option<RecordBatch>> {
        let Some(dir) = self.prev_dir.as_ref() else {
            return Ok(None);
        };
        // Each table's rows of the source, if readable and as many as last time.
        let open = |name: &str, want: SchemaRef, expected: u64| {
            PreviousRows::open(&dir.join(format!("{name}.parquet")), source, &want)
                .filter(|rows| rows.count() == Some(expected))
        };
        let (Some(records), Some(transactions), Some(rejects)) = (
            open(
                table::SOURCE_RECORDS,
                schema::source_records(),
                stats.accepted,
            ),
            open(
                table::TRANSACTIONS,
                schema::transactions(),
                stats.transactions,
            ),
            open(table::REJECTS, schema::rejects(), stats.rejected),
        ) else {
            return Ok(None);
        };
        records.each(|b| {
            sink(Part {
                records: vec![b],
                transactions: Vec::new(),
            })
        })?;
        transactions.each(|b| {
            sink(Part {
                records: Vec::new(),
                transactions: vec![b],
            })
        })?;
        let mut kept = Vec::new();
        rejects.each(|b| {
            kept.push(b);
            Ok(())
        })?;
        Ok(Some(arrow::compute::concat_batches(
            &schema::rejects(),
            &kept,
        )?))
    }

    /// Writes the manifest of this build into its snapshot directory, sources in name order.
    pub fn write_manifest(&self, dir: &Path) -> Result<()> {
        let mut sources = self
            .entries
            .lock()
            .map_err(|_| Error::Internal("ingest manifest lock poisoned".into()))?
            .clone();
        sources.sort_by(|a, b| a.source.cmp(&b.source));
        let m = IngestManifest {
            version: VERSION,
            sources,
        };
        let path = dir.join(MANIFEST);
        let text = serde_json::to_vec_pretty(&m).map_err(|e| Error::Internal(e.to_string()))?;
        std::fs::write(&path, text).map_err(io(&path))
    }
}

/// One source's rows in a table of the previous snapshot.
struct PreviousRows {
    path: PathBuf,
    source: String,
    schema: SchemaRef,
    /// Row groups whose `source` statistics can hold the source (a build writes each
    /// source's rows in row groups of their own).
    groups: Vec<usize>,
    source_col: usize,
}

impl PreviousRows {
    /// `None` when the file is missing, unreadable or of another schema than `want`.
    fn open(path: &Path, source: &str, want: &SchemaRef) -> Option<PreviousRows> {
        let b = ParquetRecordBatchReaderBuilder::try_new(File::open(path).ok()?).ok()?;
        if !same_fields(b.schema(), want) {
            return None;
        }
        let source_col = want.index_of("source").ok()?;
        let meta = b.metadata();
        let leaf = meta
            .file_metadata()
            .schema_descr()
            .columns()
            .iter()
            .position(|c| c.name() == "source")?;
        let groups = meta
            .row_groups()
            .iter()
            .enumerate()
            .filter(|(_, rg)| match rg.column(leaf).statistics() {
                Some(Statistics::ByteArray(st)) => match (st.min_opt(), st.max_opt()) {
                    (Some(lo), Some(hi)) => {
                        lo.data() <= source.as_bytes() && source.as_bytes() <= hi.data()
                    }
                    _ => true,
                },
                _ => true,
            })
            .map(|(i, _)| i)
            .collect();
        Some(PreviousRows {
            path: path.to_path_buf(),
            source: source.to_string(),
            schema: want.clone(),
            groups,
            source_col,
        })
    }

    fn reader(&self, only_source: bool) -> Option<ParquetRecordBatchReader> {
        let b = ParquetRecordBatchReaderBuilder::try_new(File::open(&self.path).ok()?).ok()?;
        let b = if only_source {
            let mask = ProjectionMask::roots(b.parquet_schema(), [self.source_col]);
            b.with_projection(mask)
        } else {
            b
        };
        b.with_row_groups(self.groups.clone())
            .with_batch_size(65_536)
            .build()
            .ok()
    }

    fn mask(&self, col: &dyn Array) -> Option<BooleanArray> {
        let src = col.as_any().downcast_ref::<StringArray>()?;
        Some(
            (0..src.len())
                .map(|i| Some(src.is_valid(i) && src.value(i) == self.source))
                .collect(),
        )
    }

    /// The source's rows, reading only the `source` column; `None` if it cannot be read.
    fn count(&self) -> Option<u64> {
        let mut n = 0u64;
        for b in self.reader(true)? {
            let mask = self.mask(b.ok()?.column(0).as_ref())?;
            n += mask.true_count() as u64;
        }
        Some(n)
    }

    /// Calls `f` with each batch of the source's rows, in file order.
    fn each(&self, mut f: impl FnMut(RecordBatch) -> Result<()>) -> Result<()> {
        let unreadable = || Error::Internal(format!("cannot read {}", self.path.display()));
        for b in self.reader(false).ok_or_else(unreadable)? {
            let b = b?;
            let mask = self
                .mask(b.column(self.source_col).as_ref())
                .ok_or_else(unreadable)?;
            let kept = filter_record_batch(&b, &mask)?;
            if kept.num_rows() > 0 {
                f(RecordBatch::try_new(
                    self.schema.clone(),
                    kept.columns().to_vec(),
                )?)?;
            }
        }
        Ok(())
    }
}

/// Same column names and types (metadata aside).
fn same_fields(a: &SchemaRef, b: &SchemaRef) -> bool {
    a.fields().len() == b.fields().len()
        && a.fields()
            .iter()
            .zip(b.fields())
            .all(|(x, y)| x.name() == y.name() && x.data_type() == y.data_type())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parquet_io;

    #[test]
    fn fingerprints_see_content_not_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.csv");
        std::fs::write(&p, "id\n1\n").unwrap();
        let a = fingerprint(&p).unwrap();
        assert_eq!(a.size, 5);
        assert_eq!(
            a.sha256,
            "7cde7fb64fd82bd152710cf238e017b9ab46c0592483edc067ba4f6c75fac108"
        );
        std::fs::write(&p, "id\n2\n").unwrap();
        let b = fingerprint(&p).unwrap();
        assert_eq!(a.size, b.size);
        assert!(!a.same_content(&b), "same size, other content");
        std::fs::write(&p, "id\n1\n").unwrap();
        assert!(a.same_content(&fingerprint(&p).unwrap()));
    }

    fn manifest(snapshot: &Path) -> IngestManifest {
        serde_json::from_slice(&std::fs::read(snapshot.join(MANIFEST)).unwrap()).unwrap()
    }

    fn reused(m: &IngestManifest) -> Vec<(String, bool)> {
        m.sources
            .iter()
            .map(|e| (e.source.clone(), e.reused))
            .collect()
    }

    /// The (source, record_id, email) rows of the snapshot's `source_records`, sorted.
    fn records(snapshot: &Path) -> Vec<(String, String, Option<String>)> {
        let mut out = Vec::new();
        for b in parquet_io::read(&snapshot.join("source_records.parquet")).unwrap() {
            let col = |n: &str| {
                b.column_by_name(n)
                    .unwrap()
                    .as_any()
                    .downcast_ref::<StringArray>()
                    .unwrap()
                    .clone()
            };
            let (s, r, e) = (col("source"), col("record_id"), col("email"));
            for i in 0..b.num_rows() {
                out.push((
                    s.value(i).to_string(),
                    r.value(i).to_string(),
                    e.is_valid(i).then(|| e.value(i).to_string()),
                ));
            }
        }
        out.sort();
        out
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unchanged_sources_are_reused_changed_ones_reread() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(
            d.join("web.csv"),
            "id,email\nW1,ana@x.es\nW2,bob@x.es\nW3,\n",
        )
        .unwrap();
        std::fs::write(
            d.join("pos.csv"),
            "id,email,amount\nP1,ana@x.es,10\nP2,eve@x.es,x\n",
        )
        .unwrap();
        let pipeline = d.join("p.toml");
        std::fs::write(
            &pipeline,
            r#"
[pipeline]
name = "inc"
warehouse = "wh"

[[source]]
name = "web"
channel = "web"
path = "web.csv"
format = "csv"
[source.fields]
record_id = "id"
email = "email"

[[source]]
name = "pos"
channel = "store"
path = "pos.csv"
format = "csv"
[source.fields]
record_id = "id"
email = "email"
[source.transaction]
amount = "amount"
"#,
        )
        .unwrap();
        let build = || async {
            let p = crate::load(&pipeline).unwrap();
            crate::build(&p, &Default::default()).await.unwrap()
        };
        let first = build().await;
        let m1 = manifest(&first.snapshot);
        assert_eq!(
            reused(&m1),
            vec![("pos".into(), false), ("web".into(), false)]
        );
        assert_eq!(m1.sources[0].files[0].size, 45);
        assert_eq!(m1.sources[1].stats.accepted, 3);

        // Nothing changed (a touch is not a change): everything reused, same tables.
        std::fs::write(
            d.join("web.csv"),
            "id,email\nW1,ana@x.es\nW2,bob@x.es\nW3,\n",
        )
        .unwrap();
        let second = build().await;
        let m2 = manifest(&second.snapshot);
        assert_eq!(
            reused(&m2),
            vec![("pos".into(), true), ("web".into(), true)]
        );
        assert_eq!(records(&second.snapshot), records(&first.snapshot));
        assert_eq!(second.sources, first.sources);
        let rejects = parquet_io::read(&second.snapshot.join("rejects.parquet")).unwrap();
        assert_eq!(rejects.iter().map(|b| b.num_rows()).sum::<usize>(), 1);

        // Same size, other content: web is read again, pos still reused.
        std::fs::write(
            d.join("web.csv"),
            "id,email\nW1,ana@x.es\nW2,bob@y.es\nW3,\n",
        )
        .unwrap();
        let third = build().await;
        let m3 = manifest(&third.snapshot);
        assert_eq!(
            reused(&m3),
            vec![("pos".into(), true), ("web".into(), false)]
        );
        assert_eq!(m3.sources[1].files[0].size, m1.sources[1].files[0].size);
        assert_ne!(m3.sources[1].files[0].sha256, m1.sources[1].files[0].sha256);
        let recs = records(&third.snapshot);
        assert!(recs.contains(&("web".into(), "W2".into(), Some("bob@y.es".into()))));
        assert!(recs.contains(&("pos".into(), "P1".into(), Some("ana@x.es".into()))));

        // A mapping change re-reads the source even though its files did not change.
        let text = std::fs::read_to_string(&pipeline).unwrap();
        std::fs::write(
            &pipeline,
            text.replace(
                "name = \"pos\"\nchannel = \"store\"",
                "name = \"pos\"\nchannel = \"shop\"",
            ),
        )
        .unwrap();
        let fourth = build().await;
        assert_eq!(
            reused(&manifest(&fourth.snapshot)),
            vec![("pos".into(), false), ("web".into(), true)]
        );
    }
}
