//! Bad-input corpus: malformed and awkward channel exports (`tests/corpus/`, plus a few files
//! generated here because they are large or binary), each ingested end to end through
//! `source_files` + `check_columns` + `ingest_source` with exact expectations.
//!
//! The contract under test: every input row is either accepted (in `records`) or rejected (in
//! `rejects` with its file, line, raw text and reason), `rows_read == accepted + rejected`, and a
//! file that cannot be read at all is an `omni_ingest::Error` naming the file, never a panic.
//!
//! Every case runs (panics are caught per case) and all failures are reported together.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BinaryArray, BooleanArray, Date32Array, Decimal128Array,
    DurationMicrosecondArray, FixedSizeListArray, Float64Array, Int16Array, Int32Builder,
    Int64Array, ListBuilder, MapBuilder, RecordBatch, StringArray, StringBuilder, StructArray,
    TimestampMicrosecondArray, UInt8Array,
};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{
    DataType, Field, Fields, Int32Type, Schema, TimeUnit, TimestampMicrosecondType,
};
use arrow::util::display::array_value_to_string;
use omni_ingest::config::SourceConfig;
use omni_ingest::normalize::PhoneNormalizer;
use omni_ingest::{Error, MapOptions, Mapped, check_columns, ingest_source, source_files};

// Reject classes: the keys of `stats.reject_reasons`.
const WRONG: &str = "wrong field count";
const MALFORMED: &str = "malformed row";
const NO_ID: &str = "missing record_id";
const DUP_ID: &str = "duplicate record_id";
const AMOUNT: &str = "transaction.amount";
const TS: &str = "event_ts";
const BIRTH: &str = "birth_date";
const CONSENT: &str = "consent_email";

// Mappings. All but CONTACT map `transaction.amount`: every accepted row is also a transaction.
const BASIC: &str = r#"
[fields]
record_id = "id"
first_name = "name"
[transaction]
amount = "amount"
"#;
const ID_AMOUNT: &str = r#"
[fields]
record_id = "id"
[transaction]
amount = "amount"
"#;
const ADDRESS: &str = r#"
[fields]
record_id = "id"
first_name = "name"
address = "address"
[transaction]
amount = "amount"
"#;
const CONSENT_MAP: &str = r#"
[fields]
record_id = "id"
first_name = "name"
consent_email = "consent"
[transaction]
amount = "amount"
"#;
const TYPED: &str = r#"
[fields]
record_id = "id"
first_name = "name"
event_ts = { column = "ts", formats = ["%Y-%m-%d %H:%M"] }
birth_date = { column = "birth", formats = ["%d/%m/%Y"] }
consent_email = "consent"
[transaction]
amount = "amount"
"#;
const NESTED: &str = r#"
[fields]
record_id = "id"
first_name = "user.name.first"
email = "user.email"
[transaction]
amount = "order.total"
"#;
const CONTACT: &str = r#"
[fields]
record_id = "id"
phone = "phone"
email = "email"
"#;
const PARQUET: &str = r#"
[fields]
record_id = "id"
first_name = "customer.name"
email = "customer.email"
city = "customer.address.city"
event_ts = "ts"
birth_date = "birth"
consent_email = "consent"
[transaction]
amount = "amount"
"#;

/// `ingest_source` fails as a whole (at `check_columns` or while reading).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fail {
    Unreadable,
    UnknownColumn,
}

enum Want {
    /// The file is read: exact counts and the (line, reject class) of every rejected row.
    Rows {
        read: u64,
        accepted: u64,
        rejects: &'static [(u64, &'static str)],
    },
    /// The whole file fails with this variant, and the message holds this text.
    Fails(Fail, &'static str),
}

struct Case {
    /// Relative to the corpus directory (or the temporary directory for generated files).
    file: &'static str,
    /// Top-level TOML lines (`decimal_comma = true`, `csv.delimiter = ";"`).
    settings: String,
    map: &'static str,
    want: Want,
    /// (record_id, column, displayed value) of accepted rows; `tx.<col>` reads the row's
    /// transaction, `<null>` is a null.
    values: Vec<(&'static str, &'static str, &'static str)>,
    /// (line, raw text) of rejected rows.
    raws: Vec<(u64, &'static str)>,
}

fn rows(
    file: &'static str,
    map: &'static str,
    read: u64,
    accepted: u64,
    rejects: &'static [(u64, &'static str)],
) -> Case {
    Case {
        file,
        settings: String::new(),
        map,
        want: Want::Rows {
            read,
            accepted,
            rejects,
        },
        values: Vec::new(),
        raws: Vec::new(),
    }
}

fn fails(file: &'static str, map: &'static str, kind: Fail, fragment: &'static str) -> Case {
    Case {
        want: Want::Fails(kind, fragment),
        ..rows(file, map, 0, 0, &[])
    }
}

impl Case {
    fn with(mut self, toml_line: &str) -> Self {
        self.settings.push_str(toml_line);
        self.settings.push('\n');
        self
    }

    fn values(mut self, v: &[(&'static str, &'static str, &'static str)]) -> Self {
        self.values.extend_from_slice(v);
        self
    }

    fn raw(mut self, line: u64, raw: &'static str) -> Self {
        self.raws.push((line, raw));
        self
    }
}

fn csv_cases() -> Vec<Case> {
    use Fail::*;
    vec![
        rows(
            "csv/ragged_rows.csv",
            BASIC,
            5,
            2,
            &[(3, WRONG), (4, WRONG), (6, WRONG)],
        )
        .raw(3, "2,Bob")
        .raw(4, "3,Carla,12.50,extra")
        .values(&[("4", "tx.amount", "7.00")]),
        // A quote that never closes rejects its own line only; reading resumes on the next.
        rows(
            "csv/unterminated_quote_eof.csv",
            BASIC,
            2,
            1,
            &[(3, MALFORMED)],
        )
        .raw(3, "2,Bob,\"5.00"),
        rows(
            "csv/unterminated_quote_eof_multiline.csv",
            BASIC,
            4,
            3,
            &[(3, MALFORMED)],
        )
        .raw(3, "2,Bob,\"5.00")
        .values(&[("3", "line", "4"), ("4", "line", "5")]),
        // The stray quote of line 3 is "closed" by the opening quote of line 5 and followed by
        // `Dani`: not a quoted field, so line 3 alone is rejected.
        rows(
            "csv/unterminated_quote_middle.csv",
            BASIC,
            5,
            4,
            &[(3, MALFORMED)],
        )
        .raw(3, "2,\"Bob,5.00")
        .values(&[("4", "first_name", "Dani"), ("5", "line", "6")]),
        // A stray quote that does close, before a delimiter, lines later is a legal quoted
        // field with line breaks: lines 3-5 are one row. No reader can tell the difference.
        rows("csv/quoted_field_spanning_rows.csv", BASIC, 3, 3, &[]).values(&[
            ("2", "first_name", "Bob,5.00 3,Carla,7.00 4,Dani"),
            ("2", "tx.amount", "8.00"),
            ("5", "line", "6"),
        ]),
        // A quote inside an unquoted field is a literal character.
        rows("csv/quote_in_unquoted_field.csv", BASIC, 4, 4, &[]).values(&[
            ("1", "first_name", "ab\"c"),
            ("3", "first_name", "O\"Brien"),
            ("4", "line", "5"),
        ]),
        // `"ab"c`: text after the closing quote.
        rows(
            "csv/quote_closed_mid_field.csv",
            BASIC,
            2,
            1,
            &[(2, MALFORMED)],
        ),
        rows("csv/doubled_quotes.csv", BASIC, 4, 4, &[]).values(&[
            ("1", "first_name", "Ana \"La Jefa\" Ruiz"),
            ("2", "first_name", "\"Quoted\""),
            ("3", "first_name", "<null>"),
            ("4", "first_name", "a,b"),
        ]),
        // Names and addresses collapse whitespace, so the newline reads as a space.
        rows("csv/quoted_newlines.csv", ADDRESS, 3, 3, &[]).values(&[
            ("1", "address", "Calle Mayor 1 2º B"),
            ("2", "address", "line1 line3"),
            ("2", "line", "4"),
            ("3", "line", "7"),
        ]),
        rows("csv/crlf.csv", BASIC, 4, 3, &[(6, WRONG)])
            .raw(6, "4,Dani")
            .values(&[("2", "first_name", "Bob Jr"), ("3", "line", "5")]),
        rows("csv/mixed_line_endings.csv", BASIC, 5, 4, &[(5, WRONG)])
            .raw(5, "4,Dani")
            .values(&[("5", "line", "6"), ("5", "tx.amount", "9.00")]),
        // Old Mac files: a lone CR ends a line, as LF and CRLF do.
        rows("csv/lone_cr.csv", BASIC, 4, 3, &[(5, WRONG)])
            .raw(5, "3,Carla")
            .values(&[("2", "first_name", "Bob Jr"), ("4", "line", "6")]),
        rows("csv/trailing_delimiter.csv", BASIC, 2, 1, &[(2, WRONG)]).raw(2, "1,Ana,10.00,"),
        // The header's trailing delimiter makes a fourth column named "".
        rows(
            "csv/trailing_delimiter_everywhere.csv",
            BASIC,
            3,
            2,
            &[(4, WRONG)],
        ),
        rows("csv/latin1.csv", BASIC, 2, 2, &[]).values(&[
            ("1", "first_name", "Nuñez"),
            ("2", "first_name", "José Ñandú"),
        ]),
        // One broken byte sends the whole file to the Latin-1 fallback (documented): the
        // valid UTF-8 of line 2 becomes mojibake.
        rows("csv/utf8_broken_bytes.csv", BASIC, 3, 3, &[]).values(&[
            ("1", "first_name", "Mar\u{c3}\u{ad}a"),
            ("2", "first_name", "José"),
        ]),
        rows("csv/utf8_bom.csv", BASIC, 2, 2, &[]).values(&[("2", "first_name", "Ñandú")]),
        fails("csv/utf16le_bom.csv", BASIC, Unreadable, "UTF-16"),
        // A 0-byte file has no header: check_columns refuses it.
        fails("csv/empty.csv", BASIC, Unreadable, "empty"),
        rows("csv/header_only.csv", BASIC, 0, 0, &[]),
        rows("csv/header_only_no_newline.csv", BASIC, 0, 0, &[]),
        rows("csv/no_final_newline.csv", BASIC, 2, 2, &[]).values(&[("2", "tx.amount", "5.00")]),
        rows("csv/blank_lines.csv", BASIC, 3, 3, &[]).values(&[
            ("1", "line", "4"),
            ("2", "line", "7"),
            ("3", "line", "9"),
        ]),
        // A whitespace-only line is not blank: it is a one-field row, rejected.
        rows(
            "csv/whitespace_lines.csv",
            BASIC,
            5,
            2,
            &[(3, WRONG), (4, WRONG), (6, WRONG)],
        )
        .raw(3, "   "),
        fails("csv/duplicate_header.csv", BASIC, Unreadable, "name"),
        rows("csv/empty_header_name.csv", ID_AMOUNT, 2, 2, &[]),
        fails("csv/missing_column.csv", BASIC, UnknownColumn, "`name`"),
        rows(
            "csv/wrong_types.csv",
            TYPED,
            15,
            5,
            &[
                (3, AMOUNT),  // "diez"
                (4, TS),      // 30 February
                (5, BIRTH),   // 31 April
                (6, CONSENT), // "maybe"
                (7, AMOUNT),  // 12.345: amounts are stored to the cent
                (8, AMOUNT),  // 1e20: beyond Decimal(18,2)
                (10, AMOUNT), // empty amount on a transaction source
                (12, AMOUNT), // overflows i128
                (14, AMOUNT), // 1e14 units = 1e16 cents, one past the range
                (16, TS),     // 25:61
            ],
        )
        .values(&[
            ("1", "consent_email", "true"),
            ("1", "birth_date", "1985-07-04"),
            ("1", "event_ts", "2025-03-14T10:00:00Z"),
            ("8", "tx.amount", "12.34"),
            ("10", "event_ts", "<null>"),
            ("12", "tx.amount", "99999999999999.99"),
            ("14", "tx.amount", "-0.01"),
            ("14", "tx.kind", "return"),
        ]),
        rows(
            "csv/impossible_dates.csv",
            TYPED,
            8,
            1,
            &[
                (3, TS),
                (4, BIRTH),
                (5, TS),
                (6, BIRTH),
                (7, TS),
                (8, TS),
                (9, BIRTH),
            ],
        )
        // Row 8's 1985-07-04 is a fine date, but not in the declared %d/%m/%Y.
        .values(&[("1", "birth_date", "2024-02-29")]),
        rows(
            "csv/yes_no_words.csv",
            TYPED,
            12,
            8,
            &[(8, CONSENT), (9, CONSENT), (10, CONSENT), (11, CONSENT)],
        )
        .values(&[
            ("3", "consent_email", "true"),
            ("4", "consent_email", "false"),
            ("6", "consent_email", "false"),
            ("11", "consent_email", "true"),
            ("12", "consent_email", "<null>"),
        ]),
        rows(
            "csv/empty_record_id.csv",
            BASIC,
            5,
            1,
            &[(3, NO_ID), (4, NO_ID), (5, NO_ID), (6, NO_ID)],
        ),
        // Ids are trimmed (` 1 ` repeats `1`) but not otherwise normalised (`01` is new).
        rows(
            "csv/duplicate_record_id.csv",
            BASIC,
            6,
            3,
            &[(3, DUP_ID), (4, DUP_ID), (7, DUP_ID)],
        )
        .values(&[("1", "first_name", "Ana"), ("01", "first_name", "Dani")]),
        // The whole header is one column named `id;name;amount`.
        fails(
            "csv/semicolon_read_as_comma.csv",
            BASIC,
            UnknownColumn,
            "id;name;amount",
        ),
        rows(
            "csv/semicolon_decimal_comma.csv",
            BASIC,
            4,
            2,
            &[(3, AMOUNT), (4, AMOUNT)],
        )
        .with("csv.delimiter = \";\"")
        .with("decimal_comma = true")
        .values(&[
            ("1", "first_name", "García; María"),
            ("1", "tx.amount", "1234.50"),
            ("4", "tx.amount", "-7.50"),
        ]),
        rows("csv/tab_delimited.tsv", BASIC, 4, 3, &[(5, WRONG)])
            .with(r#"csv.delimiter = "\t""#)
            .values(&[
                ("2", "first_name", "Bob Jr"),
                ("3", "first_name", "Carla,Ruiz"),
            ]),
        rows("csv/no_header.csv", BASIC, 3, 2, &[(3, WRONG)])
            .with("csv.has_header = false")
            .with(r#"csv.columns = ["id", "name", "amount"]"#)
            .values(&[("1", "line", "1"), ("2", "first_name", "Bob")]),
        // Quoting off: quotes are data, and a quoted delimiter splits.
        rows("csv/no_quoting.csv", BASIC, 3, 2, &[(3, WRONG)])
            .with(r#"csv.quote = """#)
            .values(&[
                ("1", "first_name", "\"Ana\""),
                ("3", "first_name", "O\"Brien"),
            ]),
        rows(
            "csv/only_bad_rows.csv",
            BASIC,
            3,
            0,
            &[(2, WRONG), (3, WRONG), (4, WRONG)],
        ),
        rows("csv/nul_byte.csv", BASIC, 2, 2, &[]).values(&[("1", "first_name", "A\0na")]),
        rows("csv/long_line_many_fields.csv", BASIC, 3, 2, &[(3, WRONG)]),
        // Junk phones and emails normalise to null (raw values kept); they never reject.
        rows("csv/odd_contacts.csv", CONTACT, 14, 14, &[]).values(&[
            ("1", "phone", "+34612345678"),
            ("1", "email", "ana@x.es"),
            ("2", "phone", "<null>"),
            ("2", "phone_raw", "+"),
            ("2", "email", "<null>"),
            ("2", "email_raw", "@"),
            ("7", "phone", "<null>"),
            ("9", "phone", "+34612345678"),
            // A valid number with a 20-digit extension (libphonenumber's limit after `ext.`)
            // keeps the number; E.164 has no extension.
            ("13", "phone", "+34612345678"),
            ("14", "email", "<null>"),
            ("14", "email_raw", ".@."),
        ]),
        // A dialect the reader cannot use fails the file, naming it.
        fails("csv/ragged_rows.csv", BASIC, Unreadable, "delimiter")
            .with(r#"csv.delimiter = "||""#),
    ]
}

fn jsonl_cases() -> Vec<Case> {
    use Fail::*;
    vec![
        rows(
            "jsonl/invalid_json.jsonl",
            BASIC,
            5,
            2,
            &[(2, MALFORMED), (3, MALFORMED), (4, MALFORMED)],
        ),
        rows(
            "jsonl/array_line.jsonl",
            BASIC,
            4,
            2,
            &[(2, MALFORMED), (3, MALFORMED)],
        )
        .values(&[("3", "line", "4")]),
        rows(
            "jsonl/scalar_lines.jsonl",
            BASIC,
            6,
            2,
            &[
                (2, MALFORMED),
                (3, MALFORMED),
                (4, MALFORMED),
                (5, MALFORMED),
            ],
        ),
        rows("jsonl/nested.jsonl", NESTED, 4, 4, &[]).values(&[
            ("1", "email", "ana@x.es"),
            ("1", "tx.amount", "10.50"),
            ("2", "tx.amount", "5.00"),
            ("3", "first_name", "<null>"),
            ("4", "first_name", "Dani"),
        ]),
        // Scalars keep their JSON text whatever their type: id 1 and "1" are the same id;
        // an object where a scalar was expected leaves the scalar column null.
        rows(
            "jsonl/mixed_types.jsonl",
            CONSENT_MAP,
            6,
            4,
            &[(4, DUP_ID), (5, AMOUNT)],
        )
        .values(&[
            ("1", "consent_email", "true"),
            ("1", "tx.amount", "10.50"),
            ("2", "first_name", "42"),
            ("3.0", "tx.amount", "7.00"),
            ("3.0", "consent_email", "true"),
            ("true", "consent_email", "false"),
        ]),
        rows(
            "jsonl/nulls.jsonl",
            CONSENT_MAP,
            6,
            2,
            &[(2, NO_ID), (3, AMOUNT), (5, NO_ID), (6, NO_ID)],
        )
        .values(&[
            ("1", "first_name", "<null>"),
            ("1", "consent_email", "<null>"),
        ]),
        // serde_json's recursion limit (128) rejects the depth-200 lines, objects and arrays.
        rows(
            "jsonl/deep_nesting.jsonl",
            ID_AMOUNT,
            4,
            2,
            &[(2, MALFORMED), (3, MALFORMED)],
        ),
        rows("jsonl/empty_lines.jsonl", BASIC, 2, 2, &[])
            .values(&[("1", "line", "2"), ("2", "line", "6")]),
        rows("jsonl/crlf.jsonl", BASIC, 4, 3, &[(3, MALFORMED)])
            .raw(3, "{\"id\": \"3\", \"name\": \"Carla\", \"amount\": 7")
            .values(&[("2", "first_name", "Bob"), ("4", "line", "4")]),
        rows(
            "jsonl/truncated_last_line.jsonl",
            BASIC,
            3,
            2,
            &[(3, MALFORMED)],
        )
        .raw(3, "{\"id\": \"3\", \"na"),
        // No line, no key: the mapped columns are missing.
        fails("jsonl/empty.jsonl", BASIC, UnknownColumn, "not found"),
        fails("jsonl/utf16le_bom.jsonl", BASIC, Unreadable, "UTF-16"),
        rows("jsonl/lone_cr.jsonl", BASIC, 3, 3, &[]).values(&[("3", "line", "3")]),
        // A repeated key keeps its last value (serde_json).
        rows("jsonl/duplicate_keys.jsonl", BASIC, 2, 2, &[]).values(&[(
            "1",
            "first_name",
            "Anita",
        )]),
        rows(
            "jsonl/numbers.jsonl",
            ID_AMOUNT,
            7,
            3,
            &[
                (3, AMOUNT),    // 19.999
                (4, AMOUNT),    // 12345678901234567890: out of range
                (5, MALFORMED), // 1e400 is not a finite number
                (7, AMOUNT),    // a 30-digit integer arrives as 1.2345678901234568e29
            ],
        )
        .values(&[
            ("1", "tx.amount", "0.10"),
            ("2", "tx.amount", "100.00"),
            ("6", "tx.amount", "0.00"),
            ("6", "tx.kind", "purchase"),
        ]),
        rows("jsonl/latin1.jsonl", BASIC, 1, 1, &[]).values(&[("1", "first_name", "Nuñez")]),
        rows("jsonl/bom.jsonl", BASIC, 1, 1, &[]).values(&[("1", "first_name", "Ana")]),
    ]
}

fn parquet_cases() -> Vec<Case> {
    use Fail::*;
    vec![
        fails("parquet/corrupt_random.parquet", BASIC, Unreadable, ""),
        // Valid magic at both ends, garbage footer length and metadata.
        fails("parquet/corrupt_with_magic.parquet", BASIC, Unreadable, ""),
        fails("parquet/empty.parquet", BASIC, Unreadable, ""),
        fails("parquet/csv_named_parquet.parquet", BASIC, Unreadable, ""),
    ]
}

// ------------------------------------------------------------------------------------------
// Runner

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn config(case: &Case) -> SourceConfig {
    let format = match Path::new(case.file).extension().and_then(|e| e.to_str()) {
        Some("csv" | "tsv") => "csv",
        Some("jsonl") => "jsonl",
        Some("parquet") => "parquet",
        other => panic!("no format for extension {other:?}"),
    };
    let text = format!(
        "name = \"corpus\"\nchannel = \"test\"\npath = {:?}\nformat = \"{format}\"\n{}\n{}",
        case.file, case.settings, case.map
    );
    toml::from_str(&text).unwrap_or_else(|e| panic!("bad test config: {e}\n{text}"))
}

fn options() -> MapOptions {
    MapOptions {
        phone: PhoneNormalizer::new("ES").unwrap(),
        currency: "EUR".into(),
    }
}

fn file_name(case: &Case) -> &str {
    Path::new(case.file).file_name().unwrap().to_str().unwrap()
}

/// The error must name the file (and say what is wrong, when the case says).
fn check_error(case: &Case, kind: Fail, fragment: &str, e: &Error) {
    let got = match e {
        Error::Unreadable { .. } => Some(Fail::Unreadable),
        Error::UnknownColumn { .. } => Some(Fail::UnknownColumn),
        _ => None,
    };
    assert_eq!(got, Some(kind), "wrong error variant: {e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains(file_name(case)),
        "error does not name the file: {msg}"
    );
    assert!(msg.contains(fragment), "error lacks {fragment:?}: {msg}");
}

fn run(dir: &Path, case: &Case) {
    let src = config(case);
    let opts = options();
    let outcome = source_files(&src, dir).and_then(|files| {
        check_columns(&src, &files)?;
        ingest_source(&src, dir, &opts)
    });
    match (&case.want, outcome) {
        (Want::Rows { .. }, Ok(m)) => check_rows(case, &m),
        (Want::Fails(kind, fragment), Err(e)) => {
            check_error(case, *kind, fragment, &e);
            // Without the column check, ingest must not panic either: it fails naming the
            // file, or reads the file and its counts add up.
            match ingest_source(&src, dir, &opts) {
                Ok(m) => check_accounting(case, &m),
                Err(e) => assert!(e.to_string().contains(file_name(case)), "{e}"),
            }
        }
        (Want::Rows { .. }, Err(e)) => panic!("expected rows, got an error: {e}"),
        (Want::Fails(..), Ok(m)) => panic!("expected an error, got {:?}", m.stats),
    }
}

fn check_accounting(case: &Case, m: &Mapped) {
    let s = &m.stats;
    assert_eq!(s.rows_read, s.accepted + s.rejected, "{s:?}");
    assert_eq!(m.records.num_rows() as u64, s.accepted);
    assert_eq!(m.rejects.num_rows() as u64, s.rejected);
    assert_eq!(s.reject_reasons.values().sum::<u64>(), s.rejected);
    // With a transaction mapping, every accepted row is one transaction.
    let tx = if case.map.contains("[transaction]") {
        s.accepted
    } else {
        0
    };
    assert_eq!(m.transactions.num_rows() as u64, tx);
    assert_eq!(s.transactions, tx);
    let files = m.rejects.column_by_name("file").unwrap().as_string::<i32>();
    for f in files.iter() {
        assert!(f.unwrap().ends_with(case.file), "reject names {f:?}");
    }
}

/// The reject class of a row of `rejects`, as `SourceStats::reject_reasons` counts it.
fn class(field: Option<&str>, reason: &str) -> String {
    match field {
        None if reason.starts_with("expected") => WRONG.into(),
        None => MALFORMED.into(),
        Some("record_id") if reason.contains("appeared earlier") => DUP_ID.into(),
        Some("record_id") => NO_ID.into(),
        Some(f) => f.into(),
    }
}

fn check_rows(case: &Case, m: &Mapped) {
    let Want::Rows {
        read,
        accepted,
        rejects,
    } = case.want
    else {
        unreachable!()
    };
    check_accounting(case, m);
    let s = &m.stats;
    assert_eq!(
        (s.rows_read, s.accepted, s.rejected),
        (read, accepted, rejects.len() as u64),
        "(rows_read, accepted, rejected); reasons {:?}",
        s.reject_reasons
    );

    let r = &m.rejects;
    let lines = r
        .column_by_name("line")
        .unwrap()
        .as_primitive::<arrow::datatypes::UInt64Type>();
    let raw = r.column_by_name("raw").unwrap().as_string::<i32>();
    let field = r.column_by_name("field").unwrap().as_string::<i32>();
    let reason = r.column_by_name("reason").unwrap().as_string::<i32>();
    let mut got: Vec<(u64, String)> = (0..r.num_rows())
        .map(|i| {
            assert!(!raw.value(i).is_empty(), "empty raw text for a reject");
            (
                lines.value(i),
                class(field.is_valid(i).then(|| field.value(i)), reason.value(i)),
            )
        })
        .collect();
    got.sort();
    let want: Vec<(u64, String)> = rejects.iter().map(|&(l, c)| (l, c.to_string())).collect();
    let reasons: Vec<String> = (0..r.num_rows())
        .map(|i| format!("{}: {}", lines.value(i), reason.value(i)))
        .collect();
    assert_eq!(got, want, "rejected (line, class); reasons: {reasons:#?}");

    let mut classes: BTreeMap<String, u64> = BTreeMap::new();
    for (_, c) in rejects {
        *classes.entry(c.to_string()).or_default() += 1;
    }
    assert_eq!(s.reject_reasons, classes);

    for &(line, text) in &case.raws {
        let i = (0..r.num_rows())
            .find(|&i| lines.value(i) == line)
            .unwrap_or_else(|| panic!("no reject at line {line}"));
        assert_eq!(raw.value(i), text, "raw text of the reject at line {line}");
    }
    for &(id, column, want) in &case.values {
        assert_eq!(value(m, id, column), want, "{column} of record {id:?}");
    }
}

/// The displayed value of `column` for record `id` (`tx.<col>`: its transaction).
fn value(m: &Mapped, id: &str, column: &str) -> String {
    let (batch, column) = match column.strip_prefix("tx.") {
        Some(c) => (&m.transactions, c),
        None => (&m.records, column),
    };
    let ids = batch
        .column_by_name("record_id")
        .unwrap()
        .as_string::<i32>();
    let rows: Vec<usize> = (0..ids.len()).filter(|&i| ids.value(i) == id).collect();
    assert_eq!(
        rows.len(),
        1,
        "record {id:?} should be accepted exactly once"
    );
    let col = batch
        .column_by_name(column)
        .unwrap_or_else(|| panic!("no column {column}"));
    if col.is_null(rows[0]) {
        return "<null>".into();
    }
    match col.data_type() {
        // arrow's display needs chrono-tz for the "UTC" zone.
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let us = col
                .as_primitive::<TimestampMicrosecondType>()
                .value(rows[0]);
            chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        }
        _ => array_value_to_string(col, rows[0]).unwrap(),
    }
}

fn run_all(dir: &Path, cases: &[Case]) {
    let mut failures = String::new();
    for case in cases {
        if let Err(p) = catch_unwind(AssertUnwindSafe(|| run(dir, case))) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            writeln!(
                failures,
                "--- {} {}\n{msg}",
                case.file,
                case.settings.trim()
            )
            .unwrap();
        }
    }
    assert!(failures.is_empty(), "failed cases:\n{failures}");
}

#[test]
fn csv_corpus() {
    run_all(&corpus_dir(), &csv_cases());
}

#[test]
fn jsonl_corpus() {
    run_all(&corpus_dir(), &jsonl_cases());
}

#[test]
fn parquet_corpus() {
    run_all(&corpus_dir(), &parquet_cases());
}

/// Every committed corpus file is small and used by a case.
#[test]
fn corpus_is_small_and_fully_used() {
    let mut used: Vec<&str> = csv_cases()
        .into_iter()
        .chain(jsonl_cases())
        .chain(parquet_cases())
        .map(|c| c.file)
        .collect();
    used.sort();
    used.dedup();
    let mut found = Vec::new();
    for dir in ["csv", "jsonl", "parquet"] {
        for e in std::fs::read_dir(corpus_dir().join(dir)).unwrap() {
            let e = e.unwrap();
            let len = e.metadata().unwrap().len();
            let name = format!("{dir}/{}", e.file_name().to_string_lossy());
            assert!(len < 20_000, "{name} is {len} bytes");
            found.push(name);
        }
    }
    found.sort();
    assert_eq!(found, used, "corpus files and cases differ");
    assert!(found.len() >= 35, "{} corpus files", found.len());
}

// ------------------------------------------------------------------------------------------
// Generated inputs: too large to commit (a 5 MB field) or binary (valid Parquet).

/// A 5 MB quoted field full of delimiters, doubled quotes and newlines.
#[test]
fn huge_quoted_field() {
    let dir = tempfile::tempdir().unwrap();
    let chunk = "abc, \"\"q\"\" def\n";
    let reps = 5 * 1024 * 1024 / chunk.len();
    let mut text = String::from("id,name,amount\n1,Ana,10.00\n2,\"");
    for _ in 0..reps {
        text.push_str(chunk);
    }
    text.push_str("end\",5.00\n3,Carla,7.00\n");
    std::fs::write(dir.path().join("huge.csv"), &text).unwrap();
    let line3 = (3 + reps + 1).to_string();
    let case = rows("huge.csv", BASIC, 3, 3, &[]).values(&[
        ("1", "line", "2"),
        ("2", "line", "3"),
        ("3", "line", Box::leak(line3.into_boxed_str())),
        ("2", "tx.amount", "5.00"),
    ]);
    run_all(dir.path(), &[case]);
    // The field arrives whole: every chunk, quotes undoubled (whitespace collapsed).
    let m = ingest_source(
        &config(&rows("huge.csv", BASIC, 0, 0, &[])),
        dir.path(),
        &options(),
    )
    .unwrap();
    let name = value(&m, "2", "first_name");
    assert_eq!(name.matches("abc, \"q\" def").count(), reps);
    assert!(name.ends_with("def end"));
}

fn utf8(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

/// A Parquet file with nested struct columns and typed (non-text) columns.
fn structs_parquet(path: &Path) {
    let address = StructArray::new(
        Fields::from(vec![Field::new("city", DataType::Utf8, true)]),
        vec![utf8(&[Some("Madrid"), None, None, None, Some("Bilbao")])],
        Some(NullBuffer::from(vec![true, true, false, false, true])),
    );
    let customer_fields = Fields::from(vec![
        Field::new("name", DataType::Utf8, true),
        Field::new("email", DataType::Utf8, true),
        Field::new("address", address.data_type().clone(), true),
    ]);
    let customer = StructArray::new(
        customer_fields,
        vec![
            utf8(&[Some("Ana"), Some("Bob"), None, None, Some("Eva")]),
            utf8(&[Some("ANA@X.ES"), None, None, Some("d@x.es"), None]),
            Arc::new(address),
        ],
        Some(NullBuffer::from(vec![true, true, false, true, true])),
    );
    let ts = |s: &str| {
        chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let columns: Vec<ArrayRef> = vec![
        utf8(&[Some("p1"), None, Some("p3"), Some("p4"), Some("p1")]),
        Arc::new(customer),
        Arc::new(
            Decimal128Array::from(vec![Some(1999), Some(500), None, Some(-500), Some(100)])
                .with_precision_and_scale(12, 2)
                .unwrap(),
        ),
        Arc::new(
            TimestampMicrosecondArray::from(vec![
                Some(ts("2025-03-14 10:00")),
                None,
                None,
                Some(ts("2025-03-15 11:30")),
                None,
            ])
            .with_timezone("UTC"),
        ),
        Arc::new(Date32Array::from(vec![Some(5663), None, None, None, None])),
        Arc::new(BooleanArray::from(vec![
            Some(true),
            None,
            None,
            Some(false),
            None,
        ])),
        Arc::new(Float64Array::from(vec![Some(0.1), None, None, None, None])),
        Arc::new(Int64Array::from(vec![Some(3), None, None, None, None])),
    ];
    let schema = Schema::new(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("customer", columns[1].data_type().clone(), true),
        Field::new("amount", columns[2].data_type().clone(), true),
        Field::new(
            "ts",
            DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            true,
        ),
        Field::new("birth", DataType::Date32, true),
        Field::new("consent", DataType::Boolean, true),
        Field::new("score", DataType::Float64, true),
        Field::new("qty", DataType::Int64, true),
    ]);
    write_parquet(
        path,
        RecordBatch::try_new(Arc::new(schema), columns).unwrap(),
    );
}

/// A Parquet file with the column types exports carry besides text: small integers,
/// decimals, zoned timestamps, and unmapped durations, binary, lists and maps.
fn types_parquet(path: &Path) {
    let mut tags = ListBuilder::new(StringBuilder::new());
    tags.values().append_value("vip");
    tags.append(true);
    tags.append(false);
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int32Builder::new());
    map.keys().append_value("k");
    map.values().append_value(1);
    map.append(true).unwrap();
    map.append(false).unwrap();
    let columns: Vec<ArrayRef> = vec![
        utf8(&[Some("t1"), Some("t2")]),
        Arc::new(Int16Array::from(vec![Some(3), Some(-1)])),
        Arc::new(UInt8Array::from(vec![Some(1), Some(0)])),
        Arc::new(
            Decimal128Array::from(vec![Some(1999), Some(-5)])
                .with_precision_and_scale(12, 2)
                .unwrap(),
        ),
        // 10:00 in Madrid (UTC+1 in March) is 09:00 UTC.
        Arc::new(
            TimestampMicrosecondArray::from(vec![Some(1_741_942_800_000_000), None])
                .with_timezone("Europe/Madrid"),
        ),
        Arc::new(DurationMicrosecondArray::from(vec![Some(1), None])),
        Arc::new(BinaryArray::from(vec![Some(&b"\xff\xfe"[..]), None])),
        Arc::new(tags.finish()),
        Arc::new(map.finish()),
    ];
    let names = [
        "id", "qty", "flag", "amount", "ts", "dur", "bin", "tags", "attrs",
    ];
    let schema = Schema::new(
        names
            .iter()
            .zip(&columns)
            .map(|(n, c)| Field::new(*n, c.data_type().clone(), true))
            .collect::<Vec<_>>(),
    );
    write_parquet(
        path,
        RecordBatch::try_new(Arc::new(schema), columns).unwrap(),
    );
}

/// A Parquet file with a fixed-size list column, a type polars is built without (it
/// panics on it rather than failing).
fn fixed_size_list_parquet(path: &Path) {
    let columns: Vec<ArrayRef> = vec![
        utf8(&[Some("f1"), Some("f2")]),
        Arc::new(FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
            vec![Some(vec![Some(1), Some(2)]), None],
            2,
        )),
        utf8(&[Some("1.00"), Some("2.00")]),
    ];
    let schema = Schema::new(vec![
        Field::new("id", DataType::Utf8, true),
        Field::new("pair", columns[1].data_type().clone(), true),
        Field::new("amount", DataType::Utf8, true),
    ]);
    write_parquet(
        path,
        RecordBatch::try_new(Arc::new(schema), columns).unwrap(),
    );
}

fn write_parquet(path: &Path, batch: RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
}

const TYPES_MAP: &str = r#"
[fields]
record_id = "id"
event_ts = "ts"
consent_email = "flag"
[transaction]
amount = "amount"
store = "qty"
"#;
const LIST_MAPPED: &str = r#"
[fields]
record_id = "id"
first_name = "tags"
[transaction]
amount = "amount"
"#;

#[test]
fn generated_parquet() {
    let dir = tempfile::tempdir().unwrap();
    structs_parquet(&dir.path().join("structs.parquet"));
    types_parquet(&dir.path().join("types.parquet"));
    fixed_size_list_parquet(&dir.path().join("fixed_size_list.parquet"));
    let whole = std::fs::read(dir.path().join("structs.parquet")).unwrap();
    std::fs::write(
        dir.path().join("truncated.parquet"),
        &whole[..whole.len() / 2],
    )
    .unwrap();
    // Keep the magic and the footer, zero the data pages.
    let mut gutted = whole.clone();
    gutted[4..whole.len() / 2].fill(0);
    std::fs::write(dir.path().join("gutted.parquet"), &gutted).unwrap();
    let cases = vec![
        // Rows: p1 ok; null id; p3 with a null struct and no amount; p4 a return whose
        // nested address is null; p1 again. Lines are 1-based row numbers, and the raw text
        // of a reject lists the mapped columns.
        rows(
            "structs.parquet",
            PARQUET,
            5,
            2,
            &[(2, NO_ID), (3, AMOUNT), (5, DUP_ID)],
        )
        .raw(
            2,
            "id=, customer.name=Bob, customer.email=, customer.address.city=, \
                 amount=5.00, ts=, birth=, consent=",
        )
        .values(&[
            ("p1", "first_name", "Ana"),
            ("p1", "email", "ana@x.es"),
            ("p1", "city", "Madrid"),
            ("p1", "event_ts", "2025-03-14T10:00:00Z"),
            ("p1", "birth_date", "1985-07-04"),
            ("p1", "consent_email", "true"),
            ("p1", "tx.amount", "19.99"),
            ("p4", "first_name", "<null>"),
            ("p4", "city", "<null>"),
            ("p4", "email", "d@x.es"),
            ("p4", "consent_email", "false"),
            ("p4", "event_ts", "2025-03-15T11:30:00Z"),
            ("p4", "tx.amount", "-5.00"),
            ("p4", "line", "4"),
        ]),
        // Unmapped durations, binary, lists and maps do not stop the file.
        rows("types.parquet", TYPES_MAP, 2, 2, &[]).values(&[
            ("t1", "event_ts", "2025-03-14T09:00:00Z"),
            ("t1", "consent_email", "true"),
            ("t1", "tx.amount", "19.99"),
            ("t1", "tx.store", "3"),
            ("t2", "event_ts", "<null>"),
            ("t2", "consent_email", "false"),
            ("t2", "tx.amount", "-0.05"),
            ("t2", "tx.store", "-1"),
        ]),
        // A list mapped to a text field cannot be read.
        fails("types.parquet", LIST_MAPPED, Fail::Unreadable, "tags"),
        fails(
            "fixed_size_list.parquet",
            BASIC,
            Fail::Unreadable,
            "Parquet reader failed",
        ),
        fails("truncated.parquet", BASIC, Fail::Unreadable, ""),
        fails("gutted.parquet", BASIC, Fail::Unreadable, ""),
    ];
    run_all(dir.path(), &cases);
}
