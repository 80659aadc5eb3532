//! CSV: a quote-aware scan finds every record's line, raw text and field count, rows with
//! the wrong number of fields become bad rows, and polars parses the rest into text columns.

use std::io::Cursor;
use std::path::Path;

use polars::prelude::*;

use super::{
    BadRow, RawTable, TextColumn, bridge, decode::decode, decode::decode_owned, read_bytes,
};
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
}

/// Splits `bytes` into records the way RFC 4180 does: a quote opens a field only at its
/// start, `""` inside quotes is a literal quote, newlines inside quotes belong to the field.
/// Blank lines are skipped.
pub fn scan_records(bytes: &[u8], delimiter: u8, quote: Option<u8>) -> Vec<RecordSpan> {
    let mut out = Vec::with_capacity(bytes.len() / 64 + 1);
    let mut i = 0usize;
    let mut line: u64 = 1;
    let n = bytes.len();
    while i < n {
        let start = i;
        let start_line = line;
        let mut fields = 1usize;
        let mut at_field_start = true;
        let mut in_quotes = false;
        let mut end = n;
        let mut next = n;
        while i < n {
            let c = bytes[i];
            if in_quotes {
                if Some(c) == quote {
                    if i + 1 < n && Some(bytes[i + 1]) == quote {
                        i += 2;
                        continue;
                    }
                    in_quotes = false;
                } else if c == b'\n' {
                    line += 1;
                }
                i += 1;
                continue;
            }
            if c == b'\n' {
                end = if i > start && bytes[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                next = i + 1;
                line += 1;
                break;
            }
            if c == delimiter {
                fields += 1;
                at_field_start = true;
                i += 1;
                continue;
            }
            if at_field_start && Some(c) == quote {
                in_quotes = true;
            }
            at_field_start = false;
            i += 1;
        }
        if i >= n {
            end = if n > start && bytes[n - 1] == b'\r' {
                n - 1
            } else {
                n
            };
            next = n;
        }
        i = next;
        if end > start {
            out.push(RecordSpan {
                line: start_line,
                start,
                end,
                fields,
            });
        }
    }
    out
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

/// Unquotes one header field.
fn unquote(field: &[u8], quote: Option<u8>) -> String {
    let s = String::from_utf8_lossy(field).trim().to_string();
    match quote {
        Some(q) => {
            let q = q as char;
            let doubled = format!("{q}{q}");
            s.strip_prefix(q)
                .and_then(|x| x.strip_suffix(q))
                .map(|x| x.replace(&doubled, &q.to_string()))
                .unwrap_or(s)
        }
        None => s,
    }
}

fn split_header(rec: &[u8], delimiter: u8, quote: Option<u8>) -> Vec<String> {
    // The header rarely holds quoted delimiters; scan it like a record to be safe.
    let mut out = Vec::new();
    let mut in_q = false;
    let mut start = 0;
    for (i, &c) in rec.iter().enumerate() {
        if Some(c) == quote {
            in_q = !in_q;
        } else if c == delimiter && !in_q {
            out.push(unquote(&rec[start..i], quote));
            start = i + 1;
        }
    }
    out.push(unquote(&rec[start..], quote));
    out
}

/// Column names of a CSV file (its header, or the configured names).
pub fn header(opts: &CsvOptions, path: &Path) -> Result<Vec<String>> {
    if !opts.has_header {
        return Ok(opts.columns.clone());
    }
    let (delimiter, quote) = options(opts, path)?;
    let bytes = read_bytes(path)?;
    let (text, _) = decode(&bytes);
    let first = scan_records(&text, delimiter, quote)
        .into_iter()
        .next()
        .ok_or_else(|| Error::Unreadable {
            path: path.to_path_buf(),
            message: "the file is empty: a header row is expected (or set csv.has_header = false and csv.columns)".into(),
        })?;
    Ok(split_header(
        &text[first.start..first.end],
        delimiter,
        quote,
    ))
}

/// Reads a CSV file into text columns.
pub fn read(opts: &CsvOptions, path: &Path) -> Result<RawTable> {
    let (delimiter, quote) = options(opts, path)?;
    let (text, _encoding) = decode_owned(read_bytes(path)?);
    let spans = scan_records(&text, delimiter, quote);
    let (names, body) = if opts.has_header {
        match spans.split_first() {
            Some((h, rest)) => (split_header(&text[h.start..h.end], delimiter, quote), rest),
            None => (Vec::new(), &spans[..]),
        }
    } else {
        (opts.columns.clone(), &spans[..])
    };
    if names.is_empty() && body.is_empty() {
        return Ok(RawTable::empty());
    }
    let width = names.len();
    let mut good = Vec::with_capacity(body.len());
    let mut bad_rows = Vec::new();
    for s in body {
        if s.fields == width {
            good.push(s);
        } else {
            bad_rows.push(BadRow {
                line: s.line,
                raw: String::from_utf8_lossy(&text[s.start..s.end]).into_owned(),
                reason: format!("expected {width} fields, found {}", s.fields),
            });
        }
    }
    // polars gets exactly the good records, one per line, no header: row i is good[i].
    let mut buf = Vec::with_capacity(text.len() + good.len());
    for s in &good {
        buf.extend_from_slice(&text[s.start..s.end]);
        buf.push(b'\n');
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
    let schema: Schema = names
        .iter()
        .map(|n| Field::new(n.as_str().into(), DataType::String))
        .collect();
    let df = CsvReadOptions::default()
        .with_has_header(false)
        .with_schema(Some(Arc::new(schema)))
        .with_raise_if_empty(false)
        .map_parse_options(|p| p.with_separator(delimiter).with_quote_char(quote))
        .into_reader_with_file_handle(Cursor::new(buf))
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

    #[test]
    fn latin1_files_are_decoded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.csv");
        std::fs::write(&p, b"id,name\n1,Nu\xf1ez\n").unwrap();
        let t = read(&CsvOptions::default(), &p).unwrap();
        assert_eq!(t.column("name").unwrap().get(0), Some("Nuñez"));
    }
}
