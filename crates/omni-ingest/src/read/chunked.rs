//! Text files (CSV, JSON lines) read in blocks, so that a multi-gigabyte export never needs
//! the whole file in memory, let alone twice (our text plus polars' copy).
//!
//! A block is about `chunk_bytes` of decoded text; the format's reader finds the last complete
//! record in it and hands the rest back ([`TextBlocks::unread`]) to start the next block.
//! The file's encoding is decided for the whole file, as a whole-file read does: a file that
//! is not valid UTF-8 anywhere is Latin-1 everywhere, found by a first streaming pass that
//! only validates.

use std::fs::File;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

use super::decode::decode_owned;
use crate::error::{Error, Result};

/// Block size of ingest: big enough that polars' per-call overhead vanishes (a block is
/// about 50,000 rows of a typical export, six chunks of rows for the workers), small enough
/// that the blocks in flight (one mapped while the next is read and the previous one
/// written) stay in a few hundred MB, and that the first block's read, which nothing
/// overlaps, is short. On a 98 MB web export, 8 MB blocks ingest faster than 64 MB ones
/// (1.5–1.7 s against 1.8–2.3 s) at 0.33 GB peak memory against 0.81 GB; 1–2 MB blocks are
/// slower again (`BENCHMARKS.md`, "Ingest").
pub const DEFAULT_CHUNK_BYTES: usize = 8 << 20;

/// A text file as decoded blocks.
pub struct TextBlocks {
    path: PathBuf,
    file: File,
    chunk_bytes: usize,
    latin1: bool,
    /// Decoded text carried over from the previous block (an unfinished record).
    carry: Vec<u8>,
    /// A file no larger than one block, read and decoded whole.
    whole: Option<Vec<u8>>,
    eof: bool,
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Reads until `buf` is full or the file ends; the number of bytes read.
fn read_full(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

impl TextBlocks {
    pub fn open(path: &Path, chunk_bytes: usize) -> Result<Self> {
        let chunk_bytes = chunk_bytes.max(1);
        let mut file = File::open(path).map_err(io_err(path))?;
        let size = file.metadata().map_err(io_err(path))?.len();
        let mut head = [0u8; 3];
        let got = read_full(&mut file, &mut head).map_err(io_err(path))?;
        let head = &head[..got];
        if head.starts_with(&[0xFF, 0xFE]) || head.starts_with(&[0xFE, 0xFF]) {
            return Err(Error::Unreadable {
                path: path.to_path_buf(),
                message: "the file is UTF-16 (it starts with a UTF-16 byte-order mark); \
                          export it as UTF-8 (or Latin-1)"
                    .into(),
            });
        }
        let mut blocks = TextBlocks {
            path: path.to_path_buf(),
            file,
            chunk_bytes,
            latin1: false,
            carry: Vec::new(),
            whole: None,
            eof: false,
        };
        if size <= chunk_bytes as u64 {
            let mut bytes = head.to_vec();
            blocks.file.read_to_end(&mut bytes).map_err(io_err(path))?;
            blocks.whole = Some(decode_owned(bytes).0);
            return Ok(blocks);
        }
        blocks
            .file
            .seek(std::io::SeekFrom::Start(0))
            .map_err(io_err(path))?;
        blocks.latin1 = !blocks.is_utf8()?;
        // Back to the start, past a UTF-8 byte-order mark (dropped in either encoding, as
        // `decode` does).
        let bom = head == [0xEF, 0xBB, 0xBF];
        blocks
            .file
            .seek(std::io::SeekFrom::Start(if bom { 3 } else { 0 }))
            .map_err(io_err(path))?;
        Ok(blocks)
    }

    /// Whether the whole file (after a BOM) is valid UTF-8, reading it once in blocks.
    fn is_utf8(&mut self) -> Result<bool> {
        let mut buf = vec![0u8; (8 << 20).min(self.chunk_bytes.max(4))];
        let mut pending = 0usize; // bytes of an incomplete character kept at buf's start
        let mut first = true;
        loop {
            let got = read_full(&mut self.file, &mut buf[pending..]).map_err(io_err(&self.path))?;
            let end = pending + got;
            let mut data = &buf[..end];
            if first {
                data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
                first = false;
            }
            let data_len = data.len();
            // The SIMD check answers valid blocks (nearly all); the standard one says where
            // an invalid one goes wrong.
            let checked = match simdutf8::basic::from_utf8(data) {
                Ok(_) => Ok(()),
                Err(_) => std::str::from_utf8(data).map(|_| ()),
            };
            match checked {
                Ok(()) => pending = 0,
                Err(e) if e.error_len().is_none() && got > 0 => {
                    pending = data_len - e.valid_up_to();
                    buf.copy_within(end - pending..end, 0);
                }
                Err(_) => return Ok(false),
            }
            if got == 0 {
                return Ok(pending == 0);
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The next block: the carried-over text followed by about `chunk_bytes` more, and
    /// whether it reaches the end of the file.
    pub fn next_block(&mut self) -> Result<(Vec<u8>, bool)> {
        if let Some(whole) = self.whole.take() {
            self.eof = true;
            let mut out = std::mem::take(&mut self.carry);
            out.extend_from_slice(&whole);
            return Ok((out, true));
        }
        let mut out = std::mem::take(&mut self.carry);
        if self.eof {
            return Ok((out, true));
        }
        let mut raw = vec![0u8; self.chunk_bytes];
        let got = read_full(&mut self.file, &mut raw).map_err(io_err(&self.path))?;
        raw.truncate(got);
        self.eof = got < self.chunk_bytes;
        if self.latin1 {
            out.reserve(raw.len() + raw.len() / 8);
            for &b in &raw {
                let mut tmp = [0u8; 2];
                out.extend_from_slice(char::from(b).encode_utf8(&mut tmp).as_bytes());
            }
        } else if out.is_empty() {
            out = raw;
        } else {
            out.extend_from_slice(&raw);
        }
        Ok((out, self.eof))
    }

    /// Text of the block that the reader did not use: it starts the next block.
    pub fn unread(&mut self, text: Vec<u8>) {
        self.carry = text;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks_of(bytes: &[u8], chunk: usize) -> Vec<u8> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        std::fs::write(&p, bytes).unwrap();
        let mut b = TextBlocks::open(&p, chunk).unwrap();
        let mut all = Vec::new();
        loop {
            let (text, last) = b.next_block().unwrap();
            all.extend_from_slice(&text);
            if last {
                return all;
            }
        }
    }

    #[test]
    fn encoding_is_decided_for_the_whole_file() {
        // Valid UTF-8 with a multi-byte character split across blocks, and a BOM.
        let text = "\u{feff}id,name\n1,Núñez\n2,María\n".as_bytes();
        for chunk in [1, 2, 3, 5, 7, 64] {
            assert_eq!(
                blocks_of(text, chunk),
                "id,name\n1,Núñez\n2,María\n".as_bytes()
            );
        }
        // One Latin-1 byte at the very end makes the whole file Latin-1, as a whole read.
        let latin = b"id,name\n1,Ana\n2,Nu\xf1ez\n";
        let whole = decode_owned(latin.to_vec()).0;
        for chunk in [1, 4, 9, 64] {
            assert_eq!(blocks_of(latin, chunk), whole, "chunk {chunk}");
        }
        // A truncated character at the end is not UTF-8 either.
        let cut = b"a\n\xc3";
        assert_eq!(blocks_of(cut, 1), decode_owned(cut.to_vec()).0);
    }
}
