//! Phase D: the blocks' chunks appended to the output files in block order, each file
//! written as `<name>.tmp` and renamed into place once complete.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use crate::block::{BlockOut, Selection};
use crate::channels::FileKind;
use crate::error::{Error, Result};
use crate::text::{push_field, push_u64};

pub const TRUTH: &str = "truth.csv";
pub const TRUTH_TX: &str = "truth_transactions.csv";
pub const BAD_ROWS: &str = "bad_rows.csv";

struct Sink {
    name: &'static str,
    tmp: PathBuf,
    out: BufWriter<File>,
    /// Header lines (1 for CSV, 0 for JSON lines).
    header_lines: u64,
    rows: u64,
    bytes: u64,
}

impl Sink {
    fn create(dir: &Path, name: &'static str, header: Option<&str>) -> Result<Sink> {
        let tmp = dir.join(format!("{name}.tmp"));
        let file = File::create(&tmp).map_err(|source| Error::Io {
            path: tmp.clone(),
            source,
        })?;
        let mut sink = Sink {
            name,
            tmp,
            out: BufWriter::with_capacity(1 << 20, file),
            header_lines: 0,
            rows: 0,
            bytes: 0,
        };
        if let Some(h) = header {
            sink.write(h.as_bytes())?;
            sink.write(b"\n")?;
            sink.header_lines = 1;
        }
        Ok(sink)
    }

    fn write(&mut self, data: &[u8]) -> Result<()> {
        self.out.write_all(data).map_err(|source| Error::Io {
            path: self.tmp.clone(),
            source,
        })?;
        self.bytes += data.len() as u64;
        Ok(())
    }
}

/// The open output files of a run.
pub struct Output {
    dir: PathBuf,
    /// One per [`FileKind::ALL`] entry, `None` when not selected.
    exports: Vec<Option<Sink>>,
    truth: Sink,
    tx: Sink,
    bad: Sink,
    line: String,
}

impl Output {
    pub fn create(dir: &Path, selection: Selection) -> Result<Output> {
        fs::create_dir_all(dir).map_err(|source| Error::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut exports = Vec::new();
        for kind in FileKind::ALL {
            exports.push(if selection.includes(kind) {
                Some(Sink::create(dir, kind.file_name(), kind.header())?)
            } else {
                None
            });
        }
        Ok(Output {
            dir: dir.to_path_buf(),
            exports,
            truth: Sink::create(dir, TRUTH, Some("source,record_id,person_id"))?,
            tx: Sink::create(
                dir,
                TRUTH_TX,
                Some("person_id,source,transaction_id,ts,amount,currency,kind"),
            )?,
            bad: Sink::create(dir, BAD_ROWS, Some("file,line,record_id,reason"))?,
            line: String::new(),
        })
    }

    /// Appends one block's output; blocks must come in order.
    pub fn write_block(&mut self, block: BlockOut) -> Result<()> {
        for (sink, chunk) in self.exports.iter_mut().zip(block.files) {
            let (Some(sink), Some(chunk)) = (sink.as_mut(), chunk) else {
                continue;
            };
            for bad in &chunk.bad {
                let line = sink.header_lines + sink.rows + bad.row + 1;
                self.line.clear();
                self.line.push_str(sink.name);
                self.line.push(',');
                push_u64(&mut self.line, line);
                self.line.push(',');
                push_field(&mut self.line, &bad.record_id, ',');
                self.line.push(',');
                push_field(&mut self.line, bad.reason, ',');
                self.line.push('\n');
                self.bad.write(self.line.as_bytes())?;
                self.bad.rows += 1;
            }
            sink.write(chunk.data.as_bytes())?;
            sink.rows += chunk.rows;
        }
        self.truth.write(block.truth.truth.as_bytes())?;
        self.truth.rows += block.truth.truth_rows;
        self.tx.write(block.truth.tx.as_bytes())?;
        self.tx.rows += block.truth.tx_rows;
        Ok(())
    }

    /// Valid records written so far, and bad rows.
    pub fn counts(&self) -> (u64, u64) {
        (self.truth.rows, self.bad.rows)
    }

    /// Every open file: the channel exports, then truth, true transactions and bad rows.
    fn into_sinks(self) -> impl Iterator<Item = Sink> {
        self.exports
            .into_iter()
            .flatten()
            .chain([self.truth, self.tx, self.bad])
    }

    /// Flushes and renames every file into place: `(file name, data rows, bytes)`.
    pub fn finish(self) -> Result<Vec<(String, u64, u64)>> {
        let mut done = Vec::new();
        let dir = self.dir.clone();
        for sink in self.into_sinks() {
            let Sink {
                name,
                tmp,
                out,
                rows,
                bytes,
                ..
            } = sink;
            let file = out.into_inner().map_err(|e| Error::Io {
                path: tmp.clone(),
                source: e.into_error(),
            })?;
            file.sync_all().map_err(|source| Error::Io {
                path: tmp.clone(),
                source,
            })?;
            let path = dir.join(name);
            fs::rename(&tmp, &path).map_err(|source| Error::Io { path, source })?;
            done.push((name.to_string(), rows, bytes));
        }
        Ok(done)
    }

    /// Removes the temporary files after a failure (best effort).
    pub fn abort(self) {
        for sink in self.into_sinks() {
            drop(sink.out);
            let _ = fs::remove_file(&sink.tmp);
        }
    }
}
