//! CSV: a quote-aware scan finds every record's line, raw text and field count, rows with
//! the wrong number of fields or broken quoting become bad rows, and polars parses the rest
//! into text columns.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;

use super::chunked::TextBlocks;
use super::{BadRow, RawTable, TextColumn, bridge, read_text};
use crate::config::CsvOptions;
use crate::error::{Error, Result};

/// Where one record sits in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordSpan {
    /// 1-based line on which the record starts.
    pub line: u64,
    pub start: usize,
    /// End of the record, excluding the line terminator.
    pub end: usize,
    pub fields: usize,
    /// A quote character inside an unquoted field (`ab"c`). It is a literal character, but
    /// polars would take it for an opening quote, so such a record is re-quoted first.
    pub literal_quotes: bool,
    /// Why the record's quoting is broken (a quote that never closes, text after a closing
    /// quote). Such a record is cut to its first line, so that one stray quote cannot
    /// swallow the rows after it; the scan resumes on the next line.
    pub malformed: Option<&'static str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    Unquoted,
    Quoted,
    /// Just after the closing quote of a quoted field.
    Closed,
}

/// Length of the line break at `i`: LF, CRLF or a lone CR (old Mac files); 0 if none.
fn line_break(bytes: &[u8], i: usize) -> usize {
    match bytes[i] {
        b'\n' => 1,
        b'\r' if bytes.get(i + 1) == Some(&b'\n') => 2,
        b'\r' => 1,
        _ => 0,
    }
}

/// Splits `bytes` into records the way RFC 4180 does: a quote opens a field only at its
/// start (elsewhere it is a literal), `""` inside quotes is a literal quote, line breaks
/// (LF, CRLF or a lone CR) inside quotes belong to the field. Blank lines are skipped.
pub fn scan_records(bytes: &[u8], delimiter: u8, quote: Option<u8>) -> Vec<RecordSpan> {
    scan_from(bytes, 1, delimiter, quote, true).records
}

/// What [`scan_from`] found in one block of a file.
#[derive(Debug)]
pub struct Scan {
    pub records: Vec<RecordSpan>,
    /// Bytes of the block the records cover; the rest starts an unfinished record and
    /// belongs to the next block.
    pub consumed: usize,
    /// Line number at `consumed`.
    pub next_line: u64,
}

/// Finds the next byte that can end a field, a record or a quoting (the delimiter, CR, LF,
/// the quote) with one bit mask per 64-byte window of the text: the comparisons of a window
/// are independent, so the compiler does them as vector instructions, and a field's length
/// costs a shift and a count of trailing zeros instead of a loop over its bytes.
struct Specials<'a> {
    bytes: &'a [u8],
    needles: [u8; 4],
    /// Start of the window `mask` describes (a multiple of 64), or `usize::MAX` for none.
    base: usize,
    mask: u64,
}

impl<'a> Specials<'a> {
    fn new(bytes: &'a [u8], delimiter: u8, quote: Option<u8>) -> Self {
        Specials {
            bytes,
            needles: [delimiter, b'\n', b'\r', quote.unwrap_or(delimiter)],
            base: usize::MAX,
            mask: 0,
        }
    }

    /// Bit `k` set when byte `base + k` is special.
    #[inline]
    fn window(&self, base: usize) -> u64 {
        let [d, lf, cr, q] = self.needles;
        let is = |c: u8| c == d || c == lf || c == cr || c == q;
        let end = self.bytes.len().min(base + 64);
        match <&[u8; 64]>::try_from(&self.bytes[base..end]) {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 processor has it.
            Ok(w) => unsafe { sse2_window(w, self.needles) },
            _ => self.bytes[base..end]
                .iter()
                .enumerate()
                .fold(0u64, |m, (k, &c)| m | u64::from(is(c)) << k),
        }
    }

    /// The first special byte at or after `i`, or the text's length if none.
    #[inline]
    fn next(&mut self, mut i: usize) -> usize {
        let n = self.bytes.len();
        while i < n {
            let base = i & !63;
            if base != self.base {
                self.base = base;
                self.mask = self.window(base);
            }
            let m = self.mask >> (i - base);
            if m != 0 {
                return i + m.trailing_zeros() as usize;
            }
            i = base + 64;
        }
        n
    }
}

/// [`Specials::window`] of a whole window with SSE2 (part of every x86-64 processor): 16
/// bytes compared with the four needles at once, their matches gathered into 16 bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
#[inline]
fn sse2_window(w: &[u8; 64], needles: [u8; 4]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let [d, lf, cr, q] = needles.map(|c| _mm_set1_epi8(c as i8));
    let mut m = 0u64;
    for (k, lane) in w.chunks_exact(16).enumerate() {
        // SAFETY: `lane` is 16 readable bytes; the load has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(lane.as_ptr().cast::<__m128i>()) };
        let hit = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(v, d), _mm_cmpeq_epi8(v, lf)),
            _mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, q)),
        );
        m |= u64::from(_mm_movemask_epi8(hit) as u16) << (16 * k);
    }
    m
}

/// [`scan_records`] over one block of a file whose first line is `first_line`. When the
/// block is not the file's last (`last_block = false`), a record that might go on in the next
/// block (no line break after it yet, a quoted field still open, a CR that may be the first
/// half of a CRLF) is not returned: the scan stops at its start, so that records, their line
/// numbers and their quoting come out exactly as in a scan of the whole file.
pub fn scan_from(
    bytes: &[u8],
    first_line: u64,
    delimiter: u8,
    quote: Option<u8>,
    last_block: bool,
) -> Scan {
    let mut special = Specials::new(bytes, delimiter, quote);
    scan_with(bytes, first_line, delimiter, quote, last_block, |i| {
        special.next(i)
    })
}

/// [`scan_from`] with `next_special(i)` giving the first byte at or after `i` that is the
/// delimiter, CR, LF or the quote (the text's length if none).
fn scan_with(
    bytes: &[u8],
    first_line: u64,
    delimiter: u8,
    quote: Option<u8>,
    last_block: bool,
    mut next_special: impl FnMut(usize) -> usize,
) -> Scan {
    let n = bytes.len();
    let mut out = Vec::with_capacity(n / 64 + 1);
    let mut i = 0usize;
    let mut line: u64 = first_line;
    // A line break at `at` that ends the block may be the CR of a CRLF split by the block end.
    let open_end = |at: usize| !last_block && (at >= n || (bytes[at] == b'\r' && at + 1 == n));
    // Inside a field, only the special bytes can end it, its record or its quoting; the
    // others are passed over at once.
    while i < n {
        let mut rec = RecordSpan {
            line,
            start: i,
            end: n,
            fields: 1,
            literal_quotes: false,
            malformed: None,
        };
        let mut state = State::FieldStart;
        // The first line break inside a quoted field: where a malformed record is cut.
        let mut first_break: Option<usize> = None;
        let mut next = n;
        let mut terminated = false;
        while i < n {
            if matches!(state, State::Unquoted | State::Quoted) {
                i = next_special(i);
                if i >= n {
                    break;
                }
            }
            let c = bytes[i];
            let brk = line_break(bytes, i);
            if state == State::Quoted {
                if Some(c) == quote {
                    if bytes.get(i + 1) == Some(&c) {
                        i += 2;
                        continue;
                    }
                    state = State::Closed;
                } else if brk > 0 {
                    first_break.get_or_insert(i);
                    line += 1;
                    i += brk;
                    continue;
                }
                i += 1;
                continue;
            }
            if brk > 0 {
                rec.end = i;
                next = i + brk;
                line += 1;
                terminated = true;
                break;
            }
            if c == delimiter {
                rec.fields += 1;
                state = State::FieldStart;
            } else if state == State::Closed {
                rec.malformed = Some("text after the closing quote of a field");
                terminated = true;
                break;
            } else if Some(c) == quote && state == State::FieldStart {
                state = State::Quoted;
            } else {
                rec.literal_quotes |= Some(c) == quote;
                state = State::Unquoted;
            }
            i += 1;
        }
        if i >= n && state == State::Quoted {
            rec.malformed = Some("a quoted field is never closed");
        }
        if !terminated && !last_block {
            // The record (or its open quote) runs into the next block.
            return Scan {
                records: out,
                consumed: rec.start,
                next_line: rec.line,
            };
        }
        if rec.malformed.is_some() {
            let cut = first_break
                .unwrap_or_else(|| (i..n).find(|&j| line_break(bytes, j) > 0).unwrap_or(n));
            if open_end(cut) {
                return Scan {
                    records: out,
                    consumed: rec.start,
                    next_line: rec.line,
                };
            }
            rec.end = cut;
            next = if cut < n {
                cut + line_break(bytes, cut)
            } else {
                n
            };
            line = rec.line + u64::from(cut < n);
        } else if terminated && open_end(rec.end) {
            return Scan {
                records: out,
                consumed: rec.start,
                next_line: rec.line,
            };
        }
        i = next;
        if rec.end > rec.start {
            out.push(rec);
        }
    }
    Scan {
        records: out,
        consumed: n,
        next_line: line,
    }
}

fn options(opts: &CsvOptions, path: &Path) -> Result<(u8, Option<u8>)> {
    let bad = |message: String| Error::Unreadable {
        path: path.to_path_buf(),
        message,
    };
    Ok((
        opts.delimiter_byte().map_err(bad)?,
        opts.quote_byte().map_err(bad)?,
    ))
}

/// The values of one well-formed record: quotes removed, `""` undoubled.
fn split_fields(rec: &[u8], delimiter: u8, quote: Option<u8>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut field = Vec::new();
    let mut at_start = true;
    let mut in_quotes = false;
    let mut i = 0;
    while i < rec.len() {
        let c = rec[i];
        if in_quotes {
            if Some(c) == quote {
                if rec.get(i + 1) == Some(&c) {
                    field.push(c);
                    i += 1;
                } else {
                    in_quotes = false;
                }
            } else {
                field.push(c);
            }
        } else if c == delimiter {
            out.push(std::mem::take(&mut field));
            at_start = true;
            i += 1;
            continue;
        } else if at_start && Some(c) == quote {
            in_quotes = true;
        } else {
            field.push(c);
        }
        at_start = false;
        i += 1;
    }
    out.push(field);
    out
}

/// A record with literal quotes in unquoted fields, rewritten the RFC 4180 way (every field
/// holding a quote quoted, its quotes doubled) so that polars reads the same values.
fn requote(rec: &[u8], delimiter: u8, quote: u8) -> Vec<u8> {
    let mut out = Vec::with_capacity(rec.len() + 8);
    for (k, f) in split_fields(rec, delimiter, Some(quote)).iter().enumerate() {
        if k > 0 {
            out.push(delimiter);
        }
        if f.iter()
            .any(|&c| c == quote || c == delimiter || c == b'\n' || c == b'\r')
        {
            out.push(quote);
            for &c in f {
                if c == quote {
                    out.push(quote);
                }
                out.push(c);
            }
            out.push(quote);
        } else {
            out.extend_from_slice(f);
        }
    }
    out
}

/// Column names must be unique: polars' schema (and the mapping) address columns by name.
fn check_unique(names: Vec<String>, path: &Path) -> Result<Vec<String>> {
    if let Some(dup) = names
        .iter()
        .enumerate()
        .find_map(|(k, n)| names[..k].contains(n).then_some(n))
    {
        return Err(Error::Unreadable {
            path: path.to_path_buf(),
            message: format!("the column name `{dup}` appears twice; column names must be unique"),
        });
    }
    Ok(names)
}

/// The column names in the header record.
fn header_names(
    text: &[u8],
    h: &RecordSpan,
    delimiter: u8,
    quote: Option<u8>,
    path: &Path,
) -> Result<Vec<String>> {
    if let Some(why) = h.malformed {
        return Err(Error::Unreadable {
            path: path.to_path_buf(),
            message: format!("the header (line {}) has broken quoting: {why}", h.line),
        });
    }
    let names = split_fields(&text[h.start..h.end], delimiter, quote)
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    check_unique(names, path)
}

/// Column names of a CSV file (its header, or the configured names).
pub fn header(opts: &CsvOptions, path: &Path) -> Result<Vec<String>> {
    if !opts.has_header {
        return check_unique(opts.columns.clone(), path);
    }
    let (delimiter, quote) = options(opts, path)?;
    // Only as much of the file as the header needs.
    let mut blocks = TextBlocks::open(path, 1 << 20)?;
    let (text, scan) = loop {
        let (text, last) = blocks.next_block()?;
        let scan = scan_from(&text, 1, delimiter, quote, last);
        if scan.records.is_empty() && !last {
            blocks.unread(text);
            continue;
        }
        break (text, scan);
    };
    let first = scan
        .records
        .into_iter()
        .next()
        .ok_or_else(|| Error::Unreadable {
            path: path.to_path_buf(),
            message: "the file is empty: a header row is expected (or set csv.has_header = false and csv.columns)".into(),
        })?;
    header_names(&text, &first, delimiter, quote, path)
}

/// Reads a CSV file into text columns, all at once (see [`Chunks`] for large files).
pub fn read(opts: &CsvOptions, path: &Path) -> Result<RawTable> {
    let (delimiter, quote) = options(opts, path)?;
    let text = read_text(path)?;
    let spans = scan_records(&text, delimiter, quote);
    let (names, body) = if opts.has_header {
        match spans.split_first() {
            Some((h, rest)) => (header_names(&text, h, delimiter, quote, path)?, rest),
            None => (Vec::new(), &spans[..]),
        }
    } else {
        (check_unique(opts.columns.clone(), path)?, &spans[..])
    };
    if names.is_empty() && body.is_empty() {
        return Ok(RawTable::empty());
    }
    let body = body.to_vec();
    table_from(text, &body, &names, delimiter, quote, path)
}

/// A CSV file read block by block ([`super::chunked::TextBlocks`]): each [`Chunks::next_table`]
/// is the [`RawTable`] of the complete records of about `chunk_bytes` of the file, with the
/// line numbers and rejects a whole-file read gives.
pub struct Chunks {
    blocks: TextBlocks,
    delimiter: u8,
    quote: Option<u8>,
    /// Column names: from the options, or from the header once read.
    names: Option<Vec<String>>,
    line: u64,
    done: bool,
}

impl Chunks {
    pub fn open(opts: &CsvOptions, path: &Path, chunk_bytes: usize) -> Result<Self> {
        let (delimiter, quote) = options(opts, path)?;
        let names = if opts.has_header {
            None
        } else {
            Some(check_unique(opts.columns.clone(), path)?)
        };
        Ok(Chunks {
            blocks: TextBlocks::open(path, chunk_bytes)?,
            delimiter,
            quote,
            names,
            line: 1,
            done: false,
        })
    }

    /// The next chunk's table; `None` after the last. A file yields at least one table
    /// (empty for an empty file).
    pub fn next_table(&mut self) -> Result<Option<RawTable>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let (mut text, last) = self.blocks.next_block()?;
            let scan = scan_from(&text, self.line, self.delimiter, self.quote, last);
            if scan.records.is_empty() && !last {
                // One record longer than the block: read on.
                self.blocks.unread(text);
                continue;
            }
            let mut spans = scan.records;
            self.line = scan.next_line;
            self.done = last;
            let tail = text.split_off(scan.consumed);
            self.blocks.unread(tail);
            let path = self.blocks.path().to_path_buf();
            if self.names.is_none() {
                match spans.first() {
                    Some(h) => {
                        let names = header_names(&text, h, self.delimiter, self.quote, &path)?;
                        self.names = Some(names);
                        spans.remove(0);
                    }
                    None => return Ok(Some(RawTable::empty())),
                }
            }
            let names = self.names.as_deref().unwrap_or_default();
            if names.is_empty() && spans.is_empty() {
                return Ok(Some(RawTable::empty()));
            }
            return table_from(text, &spans, names, self.delimiter, self.quote, &path).map(Some);
        }
    }
}

/// The table of the records `spans` of `text` (header excluded): rows with the wrong field
/// count or broken quoting become bad rows, polars parses the rest.
fn table_from(
    text: Vec<u8>,
    spans: &[RecordSpan],
    names: &[String],
    delimiter: u8,
    quote: Option<u8>,
    path: &Path,
) -> Result<RawTable> {
    let width = names.len();
    let mut good = Vec::with_capacity(spans.len());
    let mut bad_rows = Vec::new();
    for s in spans {
        if let Some(why) = s.malformed {
            bad_rows.push(BadRow {
                line: s.line,
                raw: String::from_utf8_lossy(&text[s.start..s.end]).into_owned(),
                reason: format!("broken quoting: {why}"),
            });
        } else if s.fields == width {
            good.push(s);
        } else {
            bad_rows.push(BadRow {
                line: s.line,
                raw: String::from_utf8_lossy(&text[s.start..s.end]).into_owned(),
                reason: format!("expected {width} fields, found {}", s.fields),
            });
        }
    }
    let lines: Vec<u64> = good.iter().map(|s| s.line).collect();
    let row_spans: Vec<(usize, usize)> = good.iter().map(|s| (s.start, s.end)).collect();
    if good.is_empty() {
        return Ok(RawTable {
            columns: names
                .iter()
                .map(|n| {
                    (
                        n.clone(),
                        TextColumn::Plain(arrow::array::StringArray::from(
                            Vec::<Option<&str>>::new(),
                        )),
                    )
                })
                .collect(),
            bad_rows,
            ..RawTable::empty()
        });
    }
    // polars gets exactly the good records, one per line, no header: row i is good[i]. When
    // the block's records already are that (each ends with a lone LF and the next begins
    // right after it, none to re-quote), polars reads them where they are.
    let in_place = good.iter().all(|s| !s.literal_quotes)
        && good
            .windows(2)
            .all(|w| w[1].start == w[0].end + 1 && text[w[0].end] == b'\n');
    let copied: Vec<u8>;
    let input: &[u8] = if in_place {
        &text[good[0].start..good[good.len() - 1].end]
    } else {
        let mut buf = Vec::with_capacity(text.len() + good.len());
        for s in &good {
            match quote {
                Some(q) if s.literal_quotes => {
                    buf.extend_from_slice(&requote(&text[s.start..s.end], delimiter, q))
                }
                _ => buf.extend_from_slice(&text[s.start..s.end]),
            }
            buf.push(b'\n');
        }
        copied = buf;
        &copied
    };
    let schema: Schema = names
        .iter()
        .map(|n| Field::new(n.as_str().into(), DataType::String))
        .collect();
    let df = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_raise_if_empty(false)
        .map_parse_options(|p| p.with_separator(delimiter).with_quote_char(quote))
        .into_reader_with_file_handle(Cursor::new(input))
        .finish()
        .map_err(|e| Error::Unreadable {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    if df.height() != good.len() {
        return Err(Error::Internal {
            path: path.to_path_buf(),
            message: format!(
                "the CSV reader returned {} rows for {} records",
                df.height(),
                good.len()
            ),
        });
    }
    let columns = bridge::dataframe_to_text_columns(&df, path)?;
    Ok(RawTable {
        columns,
        lines,
        text,
        spans: row_spans,
        bad_rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_quotes_newlines_and_blank_lines() {
        let data = b"a,b,c\r\n1,\"x,y\",3\n\n2,\"multi\nline \"\"q\"\"\",4\n5,6\n7,8,9";
        let spans = scan_records(data, b',', Some(b'"'));
        let got: Vec<(u64, usize)> = spans.iter().map(|s| (s.line, s.fields)).collect();
        assert_eq!(got, vec![(1, 3), (2, 3), (4, 3), (6, 2), (7, 3)]);
        assert_eq!(&data[spans[0].start..spans[0].end], b"a,b,c");
        assert_eq!(&data[spans[4].start..spans[4].end], b"7,8,9");
    }

    /// Records polars can read where they are (LF-separated, nothing to re-quote) and the same
    /// records copied out of CRLF, blank-line and re-quoted layouts give the same columns.
    #[test]
    fn records_read_in_place_or_copied_give_the_same_columns() {
        let dir = tempfile::tempdir().unwrap();
        let body = [
            "1,\"García, María\",45.90",
            "2,\"multi\nline\",\"\"",
            "3,Ann,",
            "4,,\"x\"\"y\"",
        ];
        let read_as = |name: &str, text: String| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            let t = read(&CsvOptions::default(), &p).unwrap();
            let cols: Vec<Vec<Option<String>>> = ["id", "name", "amount"]
                .iter()
                .map(|c| {
                    let c = t.column(c).unwrap();
                    (0..t.num_rows())
                        .map(|r| c.get(r).map(str::to_string))
                        .collect()
                })
                .collect();
            (cols, t.bad_rows.len())
        };
        let lf = read_as("lf.csv", format!("id,name,amount\n{}\n", body.join("\n")));
        let no_end = read_as("no_end.csv", format!("id,name,amount\n{}", body.join("\n")));
        let crlf = read_as(
            "crlf.csv",
            format!("id,name,amount\r\n{}\r\n", body.join("\r\n")),
        );
        let blank = read_as(
            "blank.csv",
            format!("id,name,amount\n\n{}\n\n", body.join("\n\n")),
        );
        assert_eq!(lf.0[0].len(), 4);
        assert_eq!(lf.0[1][1].as_deref(), Some("multi\nline"));
        assert_eq!(lf.0[2][3].as_deref(), Some("x\"y"));
        assert_eq!(lf, no_end);
        assert_eq!(lf, crlf);
        assert_eq!(lf, blank);
        // A literal quote inside an unquoted field is re-quoted (copied) for polars.
        let literal = read_as("literal.csv", "id,name,amount\n1,a\"b,2\n3,c,4\n".into());
        assert_eq!(literal.0[1][0].as_deref(), Some("a\"b"));
        assert_eq!(literal.0[1][1].as_deref(), Some("c"));
    }

    #[test]
    fn reads_good_rows_and_flags_ragged_ones() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(
            &p,
            "\u{feff}id;name;amount\n1;\"García; María\";45,90\n2;Bob\n3;Ann;1.234,50\n",
        )
        .unwrap();
        let opts = CsvOptions {
            delimiter: ";".into(),
            ..Default::default()
        };
        let t = read(&opts, &p).unwrap();
        assert_eq!(t.column_names(), vec!["id", "name", "amount"]);
        assert_eq!(t.lines, vec![2, 4]);
        assert_eq!(t.column("name").unwrap().get(0), Some("García; María"));
        assert_eq!(t.column("amount").unwrap().get(1), Some("1.234,50"));
        assert_eq!(t.bad_rows.len(), 1);
        assert_eq!(t.bad_rows[0].line, 3);
        assert_eq!(t.bad_rows[0].raw, "2;Bob");
        assert_eq!(t.raw(1), "3;Ann;1.234,50");
        assert_eq!(header(&opts, &p).unwrap(), vec!["id", "name", "amount"]);
    }

    /// The window masks find the same special bytes as a byte-by-byte search, so the scan
    /// gives the same records, on texts dense in delimiters, quotes and line breaks, cut into
    /// blocks anywhere, with and without a quote character.
    #[test]
    fn window_masks_scan_like_a_byte_by_byte_search() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let alphabet = b"ab,;\"\"\n\r\t x\xc3\xb1";
        for round in 0..3_000 {
            let len = rng.random_range(0..300);
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect();
            let delimiter = if round % 2 == 0 { b',' } else { b';' };
            let quote = (round % 3 != 0).then_some(b'"');
            let cut = rng.random_range(0..=text.len());
            for (block, last) in [(&text[..], true), (&text[..cut], false)] {
                let scalar = |mut i: usize| {
                    while i < block.len()
                        && ![delimiter, b'\n', b'\r'].contains(&block[i])
                        && Some(block[i]) != quote
                    {
                        i += 1;
                    }
                    i
                };
                let a = scan_from(block, 7, delimiter, quote, last);
                let b = scan_with(block, 7, delimiter, quote, last, scalar);
                assert_eq!(a.records, b.records, "{:?}", String::from_utf8_lossy(block));
                assert_eq!((a.consumed, a.next_line), (b.consumed, b.next_line));
            }
        }
        // Windows of 64 bytes and the search across them.
        let mut long = vec![b'a'; 200];
        long[63] = b',';
        long[64] = b',';
        long[150] = b'\n';
        let mut s = Specials::new(&long, b',', Some(b'"'));
        assert_eq!(s.next(0), 63);
        assert_eq!(s.next(64), 64);
        assert_eq!(s.next(65), 150);
        assert_eq!(s.next(151), 200);
        assert_eq!(s.next(10), 63);
    }

    fn spans(data: &[u8]) -> Vec<(u64, &[u8], bool)> {
        scan_records(data, b',', Some(b'"'))
            .into_iter()
            .map(|s| (s.line, &data[s.start..s.end], s.malformed.is_some()))
            .collect()
    }

    #[test]
    fn lone_cr_ends_lines() {
        let data = b"a,b\r1,\"x\ry\"\r\r2,3\r\n4,5\r";
        assert_eq!(
            spans(data),
            vec![
                (1, &b"a,b"[..], false),
                (2, &b"1,\"x\ry\""[..], false),
                (5, &b"2,3"[..], false),
                (6, &b"4,5"[..], false),
            ]
        );
    }

    #[test]
    fn broken_quoting_rejects_one_line_and_resumes() {
        // Never closed: the record is cut to its first line.
        assert_eq!(
            spans(b"a,b\n1,\"x\n2,y\n"),
            vec![
                (1, &b"a,b"[..], false),
                (2, &b"1,\"x"[..], true),
                (3, &b"2,y"[..], false),
            ]
        );
        // Closed, then followed by text: the line, or the first line of a multi-line record.
        assert_eq!(
            spans(b"1,\"ab\"c,3\n2,\"x\n3,\"y\",4\n5,z"),
            vec![
                (1, &b"1,\"ab\"c,3"[..], true),
                (2, &b"2,\"x"[..], true),
                (3, &b"3,\"y\",4"[..], false),
                (4, &b"5,z"[..], false),
            ]
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "id,name\n3,\"C\"x\n1,\"Ana\n2,Bob\n").unwrap();
        let t = read(&CsvOptions::default(), &p).unwrap();
        assert_eq!(t.lines, vec![4]);
        let bad: Vec<(u64, &str)> = t
            .bad_rows
            .iter()
            .map(|b| (b.line, b.raw.as_str()))
            .collect();
        assert_eq!(bad, vec![(2, "3,\"C\"x"), (3, "1,\"Ana")]);
        assert!(t.bad_rows[0].reason.contains("after the closing quote"));
        assert!(t.bad_rows[1].reason.contains("never closed"));
    }

    #[test]
    fn literal_quotes_are_kept() {
        assert_eq!(
            requote(b"1,ab\"c,\"x,y\",", b',', b'"'),
            b"1,\"ab\"\"c\",\"x,y\","
        );
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, "id,name\n1,ab\"c\n2,Bob\n3,O\"Brien\n").unwrap();
        let t = read(&CsvOptions::default(), &p).unwrap();
        assert_eq!(t.lines, vec![2, 3, 4]);
        let name = t.column("name").unwrap();
        assert_eq!(name.get(0), Some("ab\"c"));
        assert_eq!(name.get(2), Some("O\"Brien"));
        assert_eq!(t.raw(2), "3,O\"Brien");
    }

    #[test]
    fn header_names_unique_and_well_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        let opts = CsvOptions::default();
        std::fs::write(&p, "id,name,name\n1,a,b\n").unwrap();
        for e in [header(&opts, &p).unwrap_err(), read(&opts, &p).unwrap_err()] {
            assert!(e.to_string().contains("`name` appears twice"), "{e}");
        }
        std::fs::write(&p, "id,\"name\n1,a\n").unwrap();
        assert!(
            header(&opts, &p)
                .unwrap_err()
                .to_string()
                .contains("broken quoting")
        );
        std::fs::write(&p, "id,\" a,\"\"b\"\" \",c\"d\n").unwrap();
        assert_eq!(header(&opts, &p).unwrap(), vec!["id", "a,\"b\"", "c\"d"]);
    }

    #[test]
    fn latin1_files_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, b"id,name\n1,Nu\xf1ez\n").unwrap();
        let t = read(&CsvOptions::default(), &p).unwrap();
        assert_eq!(t.column("name").unwrap().get(0), Some("Nuñez"));
    }
}
