//! Readers: a channel export file to a [`RawTable`] of text columns, plus the rows that
//! could not even be split into columns (wrong field count, invalid JSON).
//!
//! CSV and Parquet are read by polars and cross to arrow-rs zero-copy ([`bridge`]). JSON lines
//! are parsed line by line with serde_json: polars' JSON reader fails a whole file on one
//! malformed line and leaves mixed-type columns unspecified, and a CDP must keep every good
//! line of a file and say which line was bad.

pub mod bridge;
pub mod chunked;
pub mod csv;
pub mod decode;
pub mod jsonl;
mod jsonl_fields;
pub mod parquet;

use std::path::Path;

use arrow::array::{Array, ArrayRef, StringArray, StringViewArray};

use crate::config::{Format, SourceConfig};
use crate::error::{Error, Result};

/// A text column, as polars (views) or our own JSON reader (plain strings) produced it.
#[derive(Debug, Clone)]
pub enum TextColumn {
    View(StringViewArray),
    Plain(StringArray),
}

impl TextColumn {
    pub fn from_array(path: &Path, name: &str, a: &ArrayRef) -> Result<Self> {
        if let Some(v) = a.as_any().downcast_ref::<StringViewArray>() {
            Ok(TextColumn::View(v.clone()))
        } else if let Some(s) = a.as_any().downcast_ref::<StringArray>() {
            Ok(TextColumn::Plain(s.clone()))
        } else {
            Err(Error::Internal {
                path: path.to_path_buf(),
                message: format!("column {name} arrived as {} instead of text", a.data_type()),
            })
        }
    }

    /// The value at `i`, `None` when null or blank.
    pub fn get(&self, i: usize) -> Option<&str> {
        self.value(i).filter(|v| !v.trim().is_empty())
    }

    /// The value at `i` trimmed, `None` when null or blank ([`get`](Self::get) trimmed,
    /// trimming once).
    pub fn trimmed(&self, i: usize) -> Option<&str> {
        self.value(i).map(str::trim).filter(|v| !v.is_empty())
    }

    /// The value at `i`, `None` when null.
    fn value(&self, i: usize) -> Option<&str> {
        match self {
            TextColumn::View(a) => (!a.is_null(i)).then(|| a.value(i)),
            TextColumn::Plain(a) => (!a.is_null(i)).then(|| a.value(i)),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            TextColumn::View(a) => a.len(),
            TextColumn::Plain(a) => a.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A row that could not be split into columns.
#[derive(Debug, Clone)]
pub struct BadRow {
    pub line: u64,
    pub raw: String,
    pub reason: String,
}

/// One file's rows as text columns, with the line and raw text of each row.
#[derive(Debug)]
pub struct RawTable {
    pub columns: Vec<(String, TextColumn)>,
    /// 1-based line number (CSV, JSONL) or row number (Parquet) of each row.
    pub lines: Vec<u64>,
    /// The decoded file text and each row's byte range in it (CSV, JSONL); empty for
    /// Parquet, whose raw text is rebuilt from the columns.
    pub text: Vec<u8>,
    pub spans: Vec<(usize, usize)>,
    /// Rows the reader could not split into columns.
    pub bad_rows: Vec<BadRow>,
}

impl RawTable {
    pub fn num_rows(&self) -> usize {
        self.lines.len()
    }

    pub fn column(&self, name: &str) -> Option<&TextColumn> {
        self.columns.iter().find(|(n, _)| n == name).map(|(_, c)| c)
    }

    /// The raw text of row `i`, for rejects.
    pub fn raw(&self, i: usize) -> String {
        match self.spans.get(i) {
            Some(&(s, e)) => String::from_utf8_lossy(&self.text[s..e]).into_owned(),
            None => self
                .columns
                .iter()
                .map(|(name, c)| format!("{name}={}", c.get(i).unwrap_or("")))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }

    pub fn empty() -> Self {
        RawTable {
            columns: Vec::new(),
            lines: Vec::new(),
            text: Vec::new(),
            spans: Vec::new(),
            bad_rows: Vec::new(),
        }
    }

    pub fn column_names(&self) -> Vec<String> {
        self.columns.iter().map(|(n, _)| n.clone()).collect()
    }
}

/// Reads one file of a source.
pub fn read_file(src: &SourceConfig, path: &Path) -> Result<RawTable> {
    match src.format {
        Format::Csv => csv::read(&src.csv, path),
        Format::Jsonl => jsonl::read(path),
        Format::Parquet => {
            let wanted: Vec<String> = crate::mapping::mapped_columns(src)
                .into_iter()
                .map(|(_, column)| column)
                .collect();
            parquet::read(path, &wanted)
        }
    }
}

/// One file of a source as a sequence of tables: CSV and JSON lines in blocks of about
/// `chunk_bytes` ([`chunked`]), Parquet by row groups of about `chunk_bytes` uncompressed
/// (only its mapped columns are kept).
pub enum FileChunks {
    Csv(csv::Chunks),
    Jsonl(jsonl::Chunks),
    Parquet(parquet::Chunks),
}

impl FileChunks {
    pub fn open(src: &SourceConfig, path: &Path, chunk_bytes: usize) -> Result<Self> {
        Ok(match src.format {
            Format::Csv => FileChunks::Csv(csv::Chunks::open(&src.csv, path, chunk_bytes)?),
            Format::Jsonl => FileChunks::Jsonl(jsonl::Chunks::open(path, chunk_bytes)?),
            Format::Parquet => {
                let wanted = crate::mapping::mapped_columns(src)
                    .into_iter()
                    .map(|(_, column)| column)
                    .collect();
                FileChunks::Parquet(parquet::Chunks::open(path, wanted, chunk_bytes)?)
            }
        })
    }

    /// The next table; `None` after the last. Every file yields at least one.
    pub fn next_table(&mut self) -> Result<Option<RawTable>> {
        match self {
            FileChunks::Csv(c) => c.next_table(),
            FileChunks::Jsonl(c) => c.next_table(),
            FileChunks::Parquet(c) => c.next_table(),
        }
    }
}

/// The column names a file offers, read cheaply (CSV header, the keys of the JSON lines,
/// the Parquet schema), for validating a mapping before anything runs.
pub fn file_columns(src: &SourceConfig, path: &Path) -> Result<Vec<String>> {
    match src.format {
        Format::Csv => csv::header(&src.csv, path),
        Format::Jsonl => jsonl::columns(path),
        Format::Parquet => parquet::columns(path),
    }
}

pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a text file (CSV, JSON lines) as UTF-8 ([`decode::decode_owned`]). UTF-16 files
/// (byte-order mark `FF FE` or `FE FF`) are refused: read as Latin-1 they would be NUL-riddled
/// garbage with no usable column.
pub(crate) fn read_text(path: &Path) -> Result<Vec<u8>> {
    let bytes = read_bytes(path)?;
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return Err(Error::Unreadable {
            path: path.to_path_buf(),
            message: "the file is UTF-16 (it starts with a UTF-16 byte-order mark); \
                      export it as UTF-8 (or Latin-1)"
                .into(),
        });
    }
    Ok(decode::decode_owned(bytes).0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_text_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        for bom in [[0xFF, 0xFE], [0xFE, 0xFF]] {
            std::fs::write(&p, [&bom[..], b"i\0d\0"].concat()).unwrap();
            let e = read_text(&p).unwrap_err();
            assert!(matches!(e, Error::Unreadable { .. }));
            assert!(e.to_string().contains("t.csv") && e.to_string().contains("UTF-16"));
        }
        std::fs::write(&p, b"\xEF\xBB\xBFid\n").unwrap();
        assert_eq!(read_text(&p).unwrap(), b"id\n");
    }
}
