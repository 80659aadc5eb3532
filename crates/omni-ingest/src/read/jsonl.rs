//! JSON lines: one object per line, nested objects flattened to dotted paths
//! (`{"user": {"email": ..}}` gives column `user.email`), scalars kept as their text.

use std::path::Path;

use std::sync::Arc;

use arrow::array::{
    Array, ArrayBuilder, ArrayRef, AsArray, StringArray, StringBuilder, new_null_array,
};
use arrow::compute::concat;
use arrow::datatypes::DataType;
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use serde_json::Value;

use super::chunked::TextBlocks;
use super::jsonl_fields::LineFields;
use super::{BadRow, RawTable, TextColumn, read_text};
use crate::error::Result;

/// Byte ranges and 1-based line numbers of the non-blank lines. Lines end with LF, CRLF or
/// a lone CR (old Mac files; JSON never holds a raw CR inside a string).
fn line_spans(text: &[u8]) -> Vec<(u64, usize, usize)> {
    lines_from(text, 1, true).0
}

/// [`line_spans`] of one block of a file starting at line `first_line`. Unless it is the
/// file's last block, the text after the last line break (and a final CR, which may be half
/// of a CRLF) is left for the next block: returns the spans, the bytes they cover and the line
/// number there.
fn lines_from(
    text: &[u8],
    first_line: u64,
    last_block: bool,
) -> (Vec<(u64, usize, usize)>, usize, u64) {
    let mut out = Vec::new();
    let mut start = 0;
    let mut line = first_line;
    let n = text.len();
    // From one line break to the next (a JSON line is hundreds of bytes: memchr's SIMD
    // search, not a loop over every byte).
    for i in memchr::memchr2_iter(b'\n', b'\r', text) {
        let c = text[i];
        let lone_cr = c == b'\r' && text.get(i + 1) != Some(&b'\n');
        if c == b'\n' || lone_cr {
            if lone_cr && i + 1 == n && !last_block {
                return (out, start, line);
            }
            push_line(&mut out, text, line, start, i);
            start = i + 1;
            line += 1;
        }
    }
    if last_block {
        push_line(&mut out, text, line, start, n);
        (out, n, line)
    } else {
        (out, start, line)
    }
}

fn push_line(out: &mut Vec<(u64, usize, usize)>, text: &[u8], line: u64, s: usize, e: usize) {
    let e = if e > s && text[e - 1] == b'\r' {
        e - 1
    } else {
        e
    };
    if text[s..e].iter().any(|c| !c.is_ascii_whitespace()) {
        out.push((line, s, e));
    }
}

/// The leaves of `v` under `path`, values moved out rather than copied.
fn flatten(path: String, v: Value, out: &mut Vec<(String, Option<String>)>) {
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                let p = if path.is_empty() {
                    k
                } else {
                    format!("{path}.{k}")
                };
                flatten(p, x, out);
            }
        }
        Value::Null => out.push((path, None)),
        Value::String(s) => out.push((path, Some(s))),
        Value::Bool(b) => out.push((path, Some(b.to_string()))),
        Value::Number(n) => out.push((path, Some(n.to_string()))),
        Value::Array(_) => {
            let text = v.to_string();
            out.push((path, Some(text)))
        }
    }
}

/// The flattened fields of one line into `out`.
fn parse_line(
    bytes: &[u8],
    line: Option<&str>,
    out: &mut Vec<(String, Option<String>)>,
) -> std::result::Result<(), String> {
    let parsed = match line {
        Some(l) => serde_json::from_str::<Value>(l),
        None => serde_json::from_slice::<Value>(bytes),
    };
    match parsed {
        Ok(v @ Value::Object(_)) => {
            flatten(String::new(), v, out);
            Ok(())
        }
        Ok(_) => Err("the line is valid JSON but not an object".into()),
        Err(e) => Err(format!("invalid JSON: {e}")),
    }
}

/// Reads a JSON-lines file, all at once (see [`Chunks`] for large files).
pub fn read(path: &Path) -> Result<RawTable> {
    let text = read_text(path)?;
    let spans = line_spans(&text);
    Ok(table_from(text, &spans))
}

/// A JSON-lines file read block by block, like [`super::csv::Chunks`].
pub struct Chunks {
    blocks: TextBlocks,
    line: u64,
    done: bool,
}

impl Chunks {
    pub fn open(path: &Path, chunk_bytes: usize) -> Result<Self> {
        Ok(Chunks {
            blocks: TextBlocks::open(path, chunk_bytes)?,
            line: 1,
            done: false,
        })
    }

    /// The next chunk's table; `None` after the last. A file yields at least one table.
    pub fn next_table(&mut self) -> Result<Option<RawTable>> {
        if self.done {
            return Ok(None);
        }
        loop {
            let (mut text, last) = self.blocks.next_block()?;
            let (spans, consumed, next_line) = lines_from(&text, self.line, last);
            if consumed == 0 && !last {
                // One line longer than the block: read on.
                self.blocks.unread(text);
                continue;
            }
            self.line = next_line;
            self.done = last;
            let tail = text.split_off(consumed);
            self.blocks.unread(tail);
            return Ok(Some(table_from(text, &spans)));
        }
    }
}

/// The columns of a run of consecutive lines, parsed on one worker: each column's values
/// in one buffer (no string per value), the rows it lacks null.
struct Piece {
    names: Vec<String>,
    index: FxHashMap<String, usize>,
    /// The columns of the previous line's fields, in its order, and of this line's so far:
    /// lines of one export nearly always list the same keys in the same order, so the `k`-th
    /// field's column is first guessed from the previous line (a comparison of its name
    /// instead of a hash lookup).
    last_order: Vec<usize>,
    order: Vec<usize>,
    cols: Vec<StringBuilder>,
    /// Line, start and end of each good line (a row).
    rows: Vec<(u64, usize, usize)>,
    bad_rows: Vec<BadRow>,
}

impl Piece {
    /// `valid` is `text` as a string when it is valid UTF-8 (checked once for the whole
    /// block): serde_json then reads each line's strings without checking them again.
    fn parse(text: &[u8], valid: Option<&str>, spans: &[(u64, usize, usize)]) -> Piece {
        let mut p = Piece {
            names: Vec::new(),
            index: FxHashMap::default(),
            last_order: Vec::new(),
            order: Vec::new(),
            cols: Vec::new(),
            rows: Vec::with_capacity(spans.len()),
            bad_rows: Vec::new(),
        };
        let mut fields = Vec::new();
        let mut quick = LineFields::default();
        for &(line, s, e) in spans {
            let bytes = &text[s..e];
            // Lines start and end at line breaks (ASCII): always character boundaries.
            let as_str = valid.and_then(|t| t.get(s..e));
            if quick.read(bytes, as_str) {
                let row = p.rows.len();
                for f in &quick.fields {
                    p.push(row, quick.path(f), || quick.value(f));
                }
                p.end_row(line, s, e);
                continue;
            }
            fields.clear();
            match parse_line(bytes, as_str, &mut fields) {
                Ok(()) => {
                    let row = p.rows.len();
                    for (name, value) in fields.drain(..) {
                        p.push(row, &name, || value.as_deref());
                    }
                    p.end_row(line, s, e);
                }
                Err(reason) => p.bad_rows.push(BadRow {
                    line,
                    raw: String::from_utf8_lossy(bytes).into_owned(),
                    reason,
                }),
            }
        }
        p
    }

    /// Ends a good line: it becomes a row, and its field order the next line's guess.
    fn end_row(&mut self, line: u64, s: usize, e: usize) {
        self.rows.push((line, s, e));
        std::mem::swap(&mut self.last_order, &mut self.order);
        self.order.clear();
    }

    /// Row `row`'s value of column `name`.
    fn push<'v>(&mut self, row: usize, name: &str, value: impl FnOnce() -> Option<&'v str>) {
        let guess = self.last_order.get(self.order.len()).copied();
        let ci = match guess.filter(|&g| self.names[g] == name) {
            Some(ci) => ci,
            None => match self.index.get(name) {
                Some(&ci) => ci,
                None => {
                    self.index.insert(name.to_string(), self.cols.len());
                    self.names.push(name.to_string());
                    self.cols.push(StringBuilder::new());
                    self.cols.len() - 1
                }
            },
        };
        self.order.push(ci);
        let col = &mut self.cols[ci];
        if col.len() > row {
            // A path given twice in one line (`{"a.b": 1, "a": {"b": 2}}`): the first value,
            // in sorted key order, is kept.
            return;
        }
        col.append_nulls(row - col.len());
        col.append_option(value());
    }
}

/// The table of the lines `spans` of `text`: runs of lines parsed in parallel, then their
/// columns put end to end (columns in order of first appearance).
fn table_from(text: Vec<u8>, spans: &[(u64, usize, usize)]) -> RawTable {
    let valid = simdutf8::basic::from_utf8(&text).ok();
    let run = spans
        .len()
        .div_ceil(rayon::current_num_threads().max(1) * 8)
        .max(1024);
    let mut pieces: Vec<Piece> = spans
        .par_chunks(run)
        .map(|c| Piece::parse(&text, valid, c))
        .collect();
    let mut names: Vec<String> = Vec::new();
    for p in &pieces {
        for n in &p.names {
            if !names.contains(n) {
                names.push(n.clone());
            }
        }
    }
    let n: usize = pieces.iter().map(|p| p.rows.len()).sum();
    let mut arrays: Vec<Vec<Option<StringArray>>> = pieces
        .iter_mut()
        .map(|p| {
            let rows = p.rows.len();
            names
                .iter()
                .map(|name| {
                    p.index.get(name).map(|&ci| {
                        let col = &mut p.cols[ci];
                        col.append_nulls(rows - col.len());
                        col.finish()
                    })
                })
                .collect()
        })
        .collect();
    // Each column's pieces joined by copying their buffers, the columns on all workers.
    let mut per_column: Vec<Vec<ArrayRef>> = vec![Vec::with_capacity(pieces.len()); names.len()];
    for (p, a) in pieces.iter().zip(arrays.iter_mut()) {
        for (k, piece) in a.iter_mut().enumerate() {
            per_column[k].push(match piece.take() {
                Some(a) => Arc::new(a) as ArrayRef,
                None => new_null_array(&DataType::Utf8, p.rows.len()),
            });
        }
    }
    let columns = names
        .into_par_iter()
        .zip(per_column)
        .map(|(name, parts)| {
            let refs: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
            let joined = if refs.is_empty() {
                StringArray::from(Vec::<Option<&str>>::new())
            } else {
                concat(&refs)
                    .expect("pieces of one text column")
                    .as_string::<i32>()
                    .clone()
            };
            (name, TextColumn::Plain(joined))
        })
        .collect();
    let mut lines = Vec::with_capacity(n);
    let mut row_spans = Vec::with_capacity(n);
    let mut bad_rows = Vec::new();
    for p in pieces {
        for (line, s, e) in p.rows {
            lines.push(line);
            row_spans.push((s, e));
        }
        bad_rows.extend(p.bad_rows);
    }
    RawTable {
        columns,
        lines,
        text,
        spans: row_spans,
        bad_rows,
    }
}

/// Column paths of a JSON-lines file, in order of first appearance (every line is looked
/// at: keys may appear late), read block by block.
pub fn columns(path: &Path) -> Result<Vec<String>> {
    let mut chunks = Chunks::open(path, super::chunked::DEFAULT_CHUNK_BYTES)?;
    let mut names: Vec<String> = Vec::new();
    while let Some(t) = chunks.next_table()? {
        for n in t.column_names() {
            if !names.contains(&n) {
                names.push(n);
            }
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator: `next(m)` is a pseudo-random number below `m`.
    fn xorshift(mut x: u64) -> impl FnMut(u64) -> u64 {
        move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        }
    }

    /// The direct reader gives, for every line it takes, exactly the leaves flattening a
    /// `Value` gives (order included), and declines what it must: 30,000 random lines with
    /// nesting, dotted keys, keys given twice, escapes, numbers of every kind, arrays, nulls,
    /// non-objects and broken JSON.
    #[test]
    fn direct_reader_gives_the_flattened_leaves() {
        let mut next = xorshift(0xdead_beef_cafe_f00d);
        fn value(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> String {
            match next(if depth > 2 { 9 } else { 11 }) {
                0 => "null".into(),
                1 => ["true", "false"][next(2) as usize].into(),
                2 => format!("{}", next(1000) as i64 - 500),
                3 => [
                    "1.5",
                    "-0",
                    "1e3",
                    "2.50",
                    "0.1",
                    "1E-7",
                    "18446744073709551615",
                    "-9223372036854775808",
                    "123456789012345678901234",
                ][next(9) as usize]
                    .into(),
                4 => [
                    "\"a\"",
                    "\"\"",
                    "\"caf\\u00e9\"",
                    "\"x\\\"y\"",
                    "\"ñ ü\"",
                    "\" 12 \"",
                ][next(6) as usize]
                    .into(),
                5 => "[1, \"a\", null, {\"z\": 2}]".into(),
                6 => "[]".into(),
                7 => "\"v\"".into(),
                8 => "\"w\"".into(),
                _ => object(next, depth + 1),
            }
        }
        fn object(next: &mut dyn FnMut(u64) -> u64, depth: u32) -> String {
            let keys = ["a", "b", "c", "a.b", "B", "", "é", "b.c", "z"];
            let n = next(5);
            let parts: Vec<String> = (0..n)
                .map(|_| {
                    format!(
                        "\"{}\": {}",
                        keys[next(keys.len() as u64) as usize],
                        value(next, depth)
                    )
                })
                .collect();
            format!("{{{}}}", parts.join(", "))
        }
        let (mut taken, mut declined) = (0, 0);
        let mut quick = LineFields::default();
        for round in 0..30_000 {
            let mut line = match next(20) {
                0 => value(&mut next, 0),
                _ => object(&mut next, 0),
            };
            if next(25) == 0 {
                let mut k = next(line.len() as u64 + 1) as usize;
                while !line.is_char_boundary(k) {
                    k -= 1;
                }
                line.insert(k, ['{', '"', ',', ']'][next(4) as usize]);
            }
            // Lines read as bytes and as already-checked strings: the same result.
            let as_str = (round % 2 == 0).then_some(line.as_str());
            let mut slow = Vec::new();
            let slow_result = parse_line(line.as_bytes(), as_str, &mut slow);
            let mut other = Vec::new();
            let other_result = parse_line(line.as_bytes(), as_str.xor(Some(&line)), &mut other);
            assert_eq!((&slow_result, &slow), (&other_result, &other), "{line}");
            let slow_ok = slow_result.is_ok();
            if quick.read(line.as_bytes(), as_str) {
                taken += 1;
                assert!(slow_ok, "{line}");
                let fast: Vec<(String, Option<String>)> = quick
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            quick.path(f).to_string(),
                            quick.value(f).map(str::to_string),
                        )
                    })
                    .collect();
                assert_eq!(fast, slow, "{line}");
            } else {
                declined += 1;
            }
        }
        assert!(
            taken > 15_000 && declined > 1_000,
            "{taken} taken, {declined} declined"
        );
    }

    #[test]
    fn flattens_nested_fields_and_keeps_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(
            &p,
            concat!(
                "{\"id\": 1, \"user\": {\"email\": \"A@B.es\", \"name\": {\"first\": \"Ana\"}}}\n",
                "\n",
                "{\"id\": 2, \"user\": {\"email\": null}, \"amount\": {\"value\": 23.5}}\n",
                "{\"id\": 3, \"user\": \n",
                "[1, 2]\n",
                "{\"id\": \"4\", \"push\": true}\r\n",
            ),
        )
        .unwrap();
        let t = read(&p).unwrap();
        assert_eq!(
            t.column_names(),
            vec![
                "id",
                "user.email",
                "user.name.first",
                "amount.value",
                "push"
            ]
        );
        assert_eq!(t.lines, vec![1, 3, 6]);
        assert_eq!(t.column("id").unwrap().get(2), Some("4"));
        assert_eq!(t.column("user.email").unwrap().get(0), Some("A@B.es"));
        assert_eq!(t.column("user.email").unwrap().get(1), None);
        assert_eq!(t.column("amount.value").unwrap().get(1), Some("23.5"));
        assert_eq!(t.column("push").unwrap().get(2), Some("true"));
        assert_eq!(t.column("push").unwrap().get(0), None);
        let bad: Vec<u64> = t.bad_rows.iter().map(|b| b.line).collect();
        assert_eq!(bad, vec![4, 5]);
        assert!(t.bad_rows[0].reason.starts_with("invalid JSON"));
        assert_eq!(t.raw(2), "{\"id\": \"4\", \"push\": true}");
    }

    #[test]
    fn lone_cr_ends_lines() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        std::fs::write(&p, "{\"id\": 1}\r{\"id\": 2}\r\n\r{\"id\": 3}\r").unwrap();
        let t = read(&p).unwrap();
        assert_eq!(t.lines, vec![1, 2, 4]);
        assert!(t.bad_rows.is_empty());
        assert_eq!(t.column("id").unwrap().get(2), Some("3"));
    }

    /// Each value lands in its key's column whatever the order and the subset of keys a line
    /// gives (a line's field order is the next line's first guess of the columns).
    #[test]
    fn values_land_in_their_columns_in_any_key_order() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        let mut next = xorshift(0x1234_5678_9abc_def1);
        let keys = ["id", "a", "b", "c", "n.x"];
        let n = 5000;
        let mut want: Vec<Vec<Option<String>>> = vec![Vec::new(); keys.len()];
        let mut text = String::new();
        for i in 0..n {
            // Runs of lines with one order (as exports write them), then a change.
            let mut order: Vec<usize> = (1..keys.len()).filter(|_| next(4) != 0).collect();
            if next(3) == 0 {
                for k in (1..order.len()).rev() {
                    order.swap(k, next(k as u64 + 1) as usize);
                }
            }
            let mut fields = vec![format!("\"id\": \"{i}\"")];
            for (k, key) in keys.iter().enumerate() {
                want[k].push((k == 0 || order.contains(&k)).then(|| format!("{key}{i}")));
            }
            want[0][i] = Some(i.to_string());
            for &k in &order {
                fields.push(match keys[k] {
                    "n.x" => format!("\"n\": {{\"x\": \"n.x{i}\"}}"),
                    key => format!("\"{key}\": \"{key}{i}\""),
                });
            }
            if next(2) == 0 {
                fields.rotate_left(1);
            }
            text.push_str(&format!("{{{}}}\n", fields.join(", ")));
        }
        std::fs::write(&p, text).unwrap();
        let t = read(&p).unwrap();
        assert_eq!(t.num_rows(), n);
        for (k, key) in keys.iter().enumerate() {
            let col = t.column(key).unwrap();
            let got: Vec<Option<String>> = (0..n).map(|r| col.get(r).map(str::to_string)).collect();
            assert_eq!(got, want[k], "{key}");
        }
    }

    /// Lines are parsed in runs on several workers; the columns come out as one sequential
    /// pass would make them: in order of first appearance, nulls where a line lacks a key.
    #[test]
    fn runs_of_lines_join_into_one_table() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.jsonl");
        let n = 6000;
        let mut text = String::new();
        for i in 0..n {
            text.push_str(&match i {
                10 => "{\"id\": 10, \"early\": \"e\"}\n".to_string(),
                4500 => "not json\n".to_string(),
                5000 => format!(
                    "{{\"id\": {i}, \"late\": {{\"x\": 1}}, \"a.b\": 1, \"a\": {{\"b\": 2}}}}\n"
                ),
                _ => format!("{{\"id\": {i}, \"v\": \"v{i}\"}}\n"),
            });
        }
        std::fs::write(&p, text).unwrap();
        let t = read(&p).unwrap();
        assert_eq!(t.column_names(), vec!["id", "v", "early", "a.b", "late.x"]);
        assert_eq!(t.num_rows(), n - 1);
        assert_eq!(t.bad_rows.len(), 1);
        assert_eq!(t.bad_rows[0].line, 4501);
        for (i, line) in t.lines.iter().enumerate() {
            let id = t.column("id").unwrap().get(i).unwrap();
            assert_eq!(id.parse::<u64>().unwrap() + 1, *line);
            let v = t.column("v").unwrap().get(i);
            let want = (!matches!(line, 11 | 5001)).then(|| format!("v{}", line - 1));
            assert_eq!(v.map(str::to_string), want);
            assert_eq!(t.column("early").unwrap().get(i).is_some(), *line == 11);
            assert_eq!(t.column("late.x").unwrap().get(i).is_some(), *line == 5001);
            assert_eq!(t.raw(i), t.raw(i).trim_end());
        }
        // A path given twice in one line keeps its first value, keys taken in sorted order
        // (`a` before `a.b`).
        let row = t.lines.iter().position(|&l| l == 5001).unwrap();
        assert_eq!(t.column("a.b").unwrap().get(row), Some("2"));
    }
}
