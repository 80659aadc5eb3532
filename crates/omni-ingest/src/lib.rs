//! # omni-ingest
//!
//! Channel exports (CSV, JSON lines, Parquet) to canonical Arrow tables, losing nothing:
//! every input row ends up in `source_records` (and `transactions` when the source maps one)
//! or in `rejects` with its file, line, raw text and reason, and the counts add up
//! ([`SourceStats`]: `rows_read == accepted + rejected`).
//!
//! Entry points: [`ingest_source_parts`] for one `[[source]]` of a pipeline file
//! ([`config::SourceConfig`]), handing its output over block by block (what `omni build`
//! uses, writing each part to Parquet), and [`ingest_source`], which keeps it all. Reading is in [`read`] (polars for CSV and Parquet, crossing to
//! arrow-rs zero-copy), typed parsing in [`parse`], normalisers in [`normalize`] (the `omni-normalize` crate), the mapping
//! to canonical fields in [`mapping`].
//!
//! Speed and memory: text files are read in blocks of about 8 MB (Parquet by row groups), the
//! next block read while the current one is mapped and the previous one handed over. A block's
//! rows are mapped in chunks of 8,192 on all workers, column by column: each field is parsed
//! and normalised straight into its Arrow array, the first problem of each row noted beside
//! it; then, in row order, duplicate ids are found and rejects recorded, and each chunk's
//! accepted rows are kept (a filter only where a row was rejected). Phones go through a cache
//! per worker ([`normalize::PhoneCache`]: libphonenumber is the costliest normaliser, and
//! customers repeat their phones), timestamp formats are compiled once ([`parse::Formats`]).
//! Figures and what is left: `BENCHMARKS.md`, "Ingest".
//!
//! ```no_run
//! use omni_ingest::{config::SourceConfig, ingest_source, MapOptions, normalize::PhoneNormalizer};
//!
//! let src: SourceConfig = toml::from_str(r#"
//!     name = "web_orders"
//!     channel = "web"
//!     path = "web_orders.csv"
//!     format = "csv"
//!     [fields]
//!     record_id = "order_id"
//!     email = "customer_email"
//! "#).unwrap();
//! let opts = MapOptions { phone: PhoneNormalizer::new("ES").unwrap(), currency: "EUR".into() };
//! let out = ingest_source(&src, std::path::Path::new("sample_data"), &opts).unwrap();
//! assert_eq!(out.stats.rows_read, out.stats.accepted + out.stats.rejected);
//! ```

mod chunk;
pub mod config;
pub mod error;
pub mod mapping;
pub mod parse;
pub mod read;

#[cfg(test)]
mod cache_tests;
#[cfg(test)]
mod chunk_tests;
#[cfg(test)]
mod options_tests;

use std::path::{Component, Path, PathBuf};

pub use error::{Error, Result};
pub use mapping::{MapOptions, Mapped, Part, SourceStats};
/// The normalisers, shared with `omni-sql` (see `omni-normalize`).
pub use omni_normalize as normalize;

use config::SourceConfig;

/// Lexically cleans a path (`a/b/../c` → `a/c`) for display and globbing.
pub fn clean_path(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    if out.as_os_str().is_empty() {
        out.push(".");
    }
    out
}

/// The files a source's `path` (a path or glob, relative to `base_dir`) names, sorted.
/// No file is an error: a pipeline that silently reads nothing hides a broken export.
pub fn source_files(src: &SourceConfig, base_dir: &Path) -> Result<Vec<PathBuf>> {
    let full = clean_path(&base_dir.join(&src.path));
    let pattern = full.to_string_lossy().to_string();
    let is_glob = src.path.contains(['*', '?', '[']);
    if !is_glob {
        if !full.is_file() {
            return Err(Error::Io {
                path: full,
                source: std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            });
        }
        return Ok(vec![full]);
    }
    let paths = glob::glob(&pattern).map_err(|e| Error::Unreadable {
        path: full.clone(),
        message: format!("invalid glob: {e}"),
    })?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(|p| p.ok())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::Io {
            path: full,
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "the glob matches no file"),
        });
    }
    Ok(files)
}

/// Checks that every column the mapping reads exists in every file of the source.
pub fn check_columns(src: &SourceConfig, files: &[PathBuf]) -> Result<()> {
    for f in files {
        let available = read::file_columns(src, f)?;
        for (key, column) in mapping::mapped_columns(src) {
            if !available.iter().any(|c| c == &column) {
                return Err(Error::UnknownColumn {
                    key,
                    suggestion: omni_core::suggest(&column, available.iter().map(String::as_str))
                        .map(str::to_string),
                    column,
                    path: f.clone(),
                    available,
                });
            }
        }
    }
    Ok(())
}

/// Reads and maps every file of one source.
pub fn ingest_source(src: &SourceConfig, base_dir: &Path, opts: &MapOptions) -> Result<Mapped> {
    ingest_source_chunked(src, base_dir, opts, read::chunked::DEFAULT_CHUNK_BYTES)
}

/// [`ingest_source`] with CSV and JSON-lines files read in blocks of about `chunk_bytes`
/// (cut at record boundaries). Line numbers, rejects and counts are the same for any block
/// size. The whole output is held in memory: for large sources use
/// [`ingest_source_parts`], which hands it over block by block.
pub fn ingest_source_chunked(
    src: &SourceConfig,
    base_dir: &Path,
    opts: &MapOptions,
    chunk_bytes: usize,
) -> Result<Mapped> {
    let mut records = Vec::new();
    let mut transactions = Vec::new();
    let (rejects, stats) = ingest_source_parts(src, base_dir, opts, chunk_bytes, |p: Part| {
        records.extend(p.records);
        transactions.extend(p.transactions);
        Ok::<_, Error>(())
    })?;
    let concat = |schema: arrow::datatypes::SchemaRef,
                  parts: &[arrow::record_batch::RecordBatch]| {
        arrow::compute::concat_batches(&schema, parts).map_err(|e| Error::Unreadable {
            path: PathBuf::from(&src.path),
            message: format!("cannot join the mapped blocks: {e}"),
        })
    };
    Ok(Mapped {
        records: concat(omni_core::schema::source_records(), &records)?,
        transactions: concat(omni_core::schema::transactions(), &transactions)?,
        rejects,
        stats,
    })
}

/// Reads and maps every file of one source, handing the mapped records and transactions to
/// `sink` block by block, in input order, as they are made: memory is about two blocks of
/// input plus one block of output, whatever the size of the files (plus 16 bytes per row
/// for the duplicate-id checks, and the rejects). Each block is parsed and mapped while the
/// next one is read and the previous part is handed to `sink`. Returns the rejects (in file
/// and line order) and the counts.
///
/// `sink`'s error type only has to take ingest's errors, so a caller can stop the source
/// with its own error (a full disk while writing a part, say).
#[tracing::instrument(skip_all, fields(source = %src.name))]
pub fn ingest_source_parts<E, F>(
    src: &SourceConfig,
    base_dir: &Path,
    opts: &MapOptions,
    chunk_bytes: usize,
    mut sink: F,
) -> std::result::Result<(arrow::record_batch::RecordBatch, SourceStats), E>
where
    E: From<Error> + Send,
    F: FnMut(Part) -> std::result::Result<(), E> + Send,
{
    let files = source_files(src, base_dir)?;
    let mut mapper = mapping::Mapper::new(src, opts);
    let mut chunks = 0usize;
    let mut pending: Option<Part> = None;
    for f in &files {
        let name = f.to_string_lossy().to_string();
        let mut reader = read::FileChunks::open(src, f, chunk_bytes)?;
        let mut current = reader.next_table()?;
        while let Some(table) = current {
            chunks += 1;
            let handed = pending.take();
            let (part, (next, sunk)) = rayon::join(
                || {
                    mapper.add(&name, &table);
                    mapper.take_part()
                },
                || rayon::join(|| reader.next_table(), || handed.map(&mut sink)),
            );
            drop(table);
            sunk.transpose()?;
            pending = part;
            current = next?;
        }
    }
    if let Some(p) = pending {
        sink(p)?;
    }
    let mapped = mapper.finish();
    if mapped.records.num_rows() > 0 {
        sink(Part {
            records: vec![mapped.records],
            transactions: vec![mapped.transactions],
        })?;
    }
    tracing::info!(
        rows_read = mapped.stats.rows_read,
        accepted = mapped.stats.accepted,
        rejected = mapped.stats.rejected,
        chunks,
        "ingested"
    );
    Ok((mapped.rejects, mapped.stats))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cleans_paths() {
        assert_eq!(
            clean_path(Path::new("pipelines/../sample_data/a.csv")),
            PathBuf::from("sample_data/a.csv")
        );
        assert_eq!(clean_path(Path::new("./a")), PathBuf::from("a"));
        assert_eq!(clean_path(Path::new("../a")), PathBuf::from("../a"));
    }
}
