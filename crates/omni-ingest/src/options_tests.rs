//! One test per reader and mapping option documented in `docs/pipeline.md` that the
//! bad-input corpus (`tests/corpus.rs`) does not already exercise: CSV dialects, headerless
//! files, timestamp formats, transaction keys, globs, and the `concat` / `split` expressions.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, TimeUnit, TimestampMicrosecondType};
use arrow::util::display::array_value_to_string;

use crate::config::SourceConfig;
use crate::mapping::mapping_problems;
use crate::normalize::PhoneNormalizer;
use crate::{MapOptions, Mapped, ingest_source};

fn opts() -> MapOptions {
    MapOptions {
        phone: PhoneNormalizer::new("ES").unwrap(),
        currency: "EUR".into(),
    }
}

/// Writes `files` into a temporary directory and ingests the source described by `toml`.
fn ingest(files: &[(&str, &str)], toml: &str) -> Mapped {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    let src: SourceConfig = toml::from_str(toml).unwrap();
    assert!(
        mapping_problems(&src).is_empty(),
        "{:?}",
        mapping_problems(&src)
    );
    let m = ingest_source(&src, dir.path(), &opts()).unwrap();
    assert_eq!(m.stats.rows_read, m.stats.accepted + m.stats.rejected);
    m
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
    let row = (0..ids.len())
        .find(|&i| ids.value(i) == id)
        .unwrap_or_else(|| panic!("record {id} not accepted"));
    let col = batch.column_by_name(column).unwrap();
    if col.is_null(row) {
        return "<null>".into();
    }
    match col.data_type() {
        DataType::Timestamp(TimeUnit::Microsecond, _) => {
            let us = col.as_primitive::<TimestampMicrosecondType>().value(row);
            chrono::DateTime::from_timestamp_micros(us)
                .unwrap()
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        }
        _ => array_value_to_string(col, row).unwrap(),
    }
}

#[test]
fn pipe_delimiter_and_single_quote() {
    let m = ingest(
        &[(
            "a.csv",
            "id|name|address\n1|'Ruiz| Ana'|'C/ Mayor, 5'\n2|Bob|x\n",
        )],
        r#"
        name = "s"
        channel = "web"
        path = "a.csv"
        format = "csv"
        csv = { delimiter = "|", quote = "'" }
        [fields]
        record_id = "id"
        full_name = "name"
        address = "address"
        "#,
    );
    assert_eq!(m.stats.accepted, 2);
    assert_eq!(value(&m, "1", "full_name"), "Ruiz| Ana");
    assert_eq!(value(&m, "1", "address"), "C/ Mayor, 5");
}

#[test]
fn tab_delimiter_without_quoting() {
    // With quote = "", a quote is an ordinary character, even at the start of a field.
    let m = ingest(
        &[("a.tsv", "id\tname\n1\t\"Ana\n2\tO\"Brien\n")],
        r#"
        name = "s"
        channel = "web"
        path = "a.tsv"
        format = "csv"
        csv = { delimiter = "\t", quote = "" }
        [fields]
        record_id = "id"
        first_name = "name"
        "#,
    );
    assert_eq!(m.stats.accepted, 2);
    assert_eq!(value(&m, "1", "first_name"), "\"Ana");
    assert_eq!(value(&m, "2", "first_name"), "O\"Brien");
}

#[test]
fn headerless_file_with_column_names() {
    let m = ingest(
        &[("a.csv", "7,ana@x.es\n8,bob@y.es,extra\n9,eve@z.es\n")],
        r#"
        name = "s"
        channel = "web"
        path = "a.csv"
        format = "csv"
        csv = { has_header = false, columns = ["id", "mail"] }
        [fields]
        record_id = "id"
        email = "mail"
        "#,
    );
    // The first line is a row, not a header; the ragged line 2 is rejected.
    assert_eq!((m.stats.accepted, m.stats.rejected), (2, 1));
    assert_eq!(value(&m, "7", "line"), "1");
    assert_eq!(value(&m, "9", "email"), "eve@z.es");
}

#[test]
fn timestamp_formats_in_order_and_epochs() {
    let m = ingest(
        &[(
            "a.csv",
            "id,ts,sec,ms,iso\n\
             1,14/03/2025 17:22,1741972925,1741972925000,2025-03-14T18:22:05+01:00\n\
             2,2025-03-14 17:22,1,1,2025-03-14T17:22:05Z\n\
             3,March 14,1,1,2025-03-14T17:22:05Z\n\
             4,2025-03-14 17:22,x,1,2025-03-14T17:22:05Z\n",
        )],
        r#"
        name = "s"
        channel = "web"
        path = "a.csv"
        format = "csv"
        [fields]
        record_id = "id"
        event_ts = { column = "ts", formats = ["%d/%m/%Y %H:%M", "%Y-%m-%d %H:%M"] }
        [transaction]
        amount = "sec"
        ts = { column = "iso", formats = ["rfc3339"] }
        "#,
    );
    assert_eq!(value(&m, "1", "event_ts"), "2025-03-14 17:22:00");
    assert_eq!(value(&m, "2", "event_ts"), "2025-03-14 17:22:00");
    assert_eq!(value(&m, "1", "tx.ts"), "2025-03-14 17:22:05");
    // Row 3: no format matches; row 4: a bad amount.
    assert_eq!(m.stats.rejected, 2);
    assert_eq!(m.stats.reject_reasons["event_ts"], 1);
    assert_eq!(m.stats.reject_reasons["transaction.amount"], 1);

    let m = ingest(
        &[("a.csv", "id,sec,ms\n1,1741972925,1741972925000\n")],
        r#"
        name = "s"
        channel = "web"
        path = "a.csv"
        format = "csv"
        [fields]
        record_id = "id"
        event_ts = { column = "sec", formats = ["epoch"] }
        [transaction]
        amount = "sec"
        ts = { column = "ms", formats = ["epoch_ms"] }
        "#,
    );
    assert_eq!(value(&m, "1", "event_ts"), "2025-03-14 17:22:05");
    assert_eq!(value(&m, "1", "tx.ts"), "2025-03-14 17:22:05");
}

#[test]
fn transaction_keys_and_decimal_comma() {
    let m = ingest(
        &[(
            "a.csv",
            "ticket;line_id;amt;cur;shop;ref\nT1;L1;1.234,50;usd;S01;\nT2;L2;-12,00;;S02;L1\n",
        )],
        r#"
        name = "s"
        channel = "store"
        path = "a.csv"
        format = "csv"
        csv = { delimiter = ";" }
        decimal_comma = true
        [fields]
        record_id = "ticket"
        [transaction]
        id = "line_id"
        amount = "amt"
        currency = "cur"
        store = "shop"
        original_id = "ref"
        "#,
    );
    assert_eq!(value(&m, "T1", "tx.transaction_id"), "L1");
    assert_eq!(value(&m, "T1", "tx.amount"), "1234.50");
    assert_eq!(value(&m, "T1", "tx.currency"), "USD");
    assert_eq!(value(&m, "T2", "tx.currency"), "EUR");
    assert_eq!(value(&m, "T2", "tx.store"), "S02");
    assert_eq!(value(&m, "T2", "tx.kind"), "return");
    assert_eq!(value(&m, "T2", "tx.original_id"), "L1");
    assert_eq!(value(&m, "T1", "tx.original_id"), "<null>");
}

#[test]
fn glob_reads_every_file_and_ids_are_unique_across_them() {
    let m = ingest(
        &[
            ("pos_2.csv", "id,name\n3,Eve\n1,Dup\n"),
            ("pos_1.csv", "id,name\n1,Ana\n2,Bob\n"),
            ("other.csv", "id,name\n9,No\n"),
        ],
        r#"
        name = "s"
        channel = "store"
        path = "pos_*.csv"
        format = "csv"
        [fields]
        record_id = "id"
        first_name = "name"
        "#,
    );
    assert_eq!(m.stats.files, 2);
    assert_eq!((m.stats.accepted, m.stats.rejected), (3, 1));
    // Files are read in name order: the later `1` (in pos_2.csv) is the duplicate.
    assert_eq!(value(&m, "1", "first_name"), "Ana");
    assert_eq!(m.stats.reject_reasons["duplicate record_id"], 1);
    assert!(value(&m, "3", "file").ends_with("pos_2.csv"));
}

#[test]
fn concat_and_split_expressions() {
    let m = ingest(
        &[(
            "a.csv",
            "id,nombre,calle,piso,fecha,hora,cp,pais\n\
             1,José María García López,C/ Mayor 5,2º izq,14/03/2025,17:22,8001,es\n\
             2,\"GARCÍA LÓPEZ, MARÍA\",Avda. Sol 3,,14/03/2025,,28001,ES\n\
             3,,,,,,,\n",
        )],
        r#"
        name = "s"
        channel = "call_centre"
        path = "a.csv"
        format = "csv"
        [fields]
        record_id = "id"
        first_name = { split = "nombre", part = "first" }
        last_name = { split = "nombre", part = "last" }
        address = { concat = ["calle", "piso"], sep = ", " }
        event_ts = { concat = ["fecha", "hora"], formats = ["%d/%m/%Y %H:%M", "%d/%m/%Y"] }
        postcode = "cp"
        country = "pais"
        "#,
    );
    assert_eq!(m.stats.accepted, 3);
    assert_eq!(value(&m, "1", "first_name"), "José María");
    assert_eq!(value(&m, "1", "last_name"), "García López");
    assert_eq!(value(&m, "1", "first_name_norm"), "jose maria");
    assert_eq!(value(&m, "1", "full_name"), "José María García López");
    assert_eq!(value(&m, "2", "first_name"), "MARÍA");
    assert_eq!(value(&m, "2", "last_name"), "GARCÍA LÓPEZ");
    assert_eq!(value(&m, "1", "address"), "C/ Mayor 5, 2º izq");
    // An empty part is skipped, not joined.
    assert_eq!(value(&m, "2", "address"), "Avda. Sol 3");
    assert_eq!(value(&m, "3", "address"), "<null>");
    assert_eq!(value(&m, "1", "event_ts"), "2025-03-14 17:22:00");
    assert_eq!(value(&m, "2", "event_ts"), "2025-03-14 00:00:00");
    // A Spanish postcode that lost its leading zero gets it back.
    assert_eq!(value(&m, "1", "postcode"), "08001");
    assert_eq!(value(&m, "2", "postcode"), "28001");
}

#[test]
fn expression_columns_are_checked_against_the_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.csv"), "id,line1,line2\n1,a,b\n").unwrap();
    let src: SourceConfig = toml::from_str(
        r#"
        name = "s"
        channel = "web"
        path = "a.csv"
        format = "csv"
        [fields]
        record_id = "id"
        address = { concat = ["line1", "line_2"] }
        "#,
    )
    .unwrap();
    let files = crate::source_files(&src, dir.path()).unwrap();
    let e = crate::check_columns(&src, &files).unwrap_err().to_string();
    assert!(
        e.contains("`line_2`")
            && e.contains("fields.address")
            && e.contains("did you mean `line2`"),
        "{e}"
    );
}

#[test]
fn expression_mistakes_name_the_key_and_the_fix() {
    let problems = |fields: &str| {
        let src: SourceConfig = toml::from_str(&format!(
            "name = \"s\"\nchannel = \"web\"\npath = \"a.csv\"\nformat = \"csv\"\n[fields]\nrecord_id = \"id\"\n{fields}"
        ))
        .unwrap();
        mapping_problems(&src)
    };
    let p = problems(r#"address = { column = "a", concat = ["b", "c"] }"#);
    assert_eq!(p.len(), 1);
    assert_eq!(p[0].0, "fields.address");
    assert!(p[0].1.contains("exactly one of"), "{p:?}");
    let p = problems(r#"first_name = { split = "name" }"#);
    assert!(p[0].1.contains("part = \"first\""), "{p:?}");
    let p = problems(r#"first_name = { column = "n", part = "first" }"#);
    assert!(p[0].1.contains("`part` goes with `split"), "{p:?}");
    let p = problems(r#"address = { column = "a", sep = ", " }"#);
    assert!(p[0].1.contains("separator of `concat`"), "{p:?}");
    let p = problems(r#"address = { concat = ["a", ""] }"#);
    assert!(p[0].1.contains("empty column name"), "{p:?}");
    let p = problems("email = { formats = [] }");
    assert!(p[0].1.contains("exactly one of"), "{p:?}");
    assert!(problems(r#"address = { concat = ["a", "b"], sep = ", " }"#).is_empty());

    // Mistakes inside the table are reported as themselves, not as "no variant matched".
    let parse = |fields: &str| {
        toml::from_str::<SourceConfig>(&format!(
            "name = \"s\"\nchannel = \"web\"\npath = \"a.csv\"\nformat = \"csv\"\n[fields]\nrecord_id = \"id\"\n{fields}"
        ))
        .unwrap_err()
        .to_string()
    };
    let e = parse(r#"first_name = { split = "n", part = "middle" }"#);
    assert!(
        e.contains("unknown variant `middle`") && e.contains("`first`"),
        "{e}"
    );
    let e = parse(r#"address = { concat = ["a"], separator = ", " }"#);
    assert!(
        e.contains("unknown field `separator`") && e.contains("`sep`"),
        "{e}"
    );
    let e = parse("address = 3");
    assert!(e.contains("a column name, or a table"), "{e}");
}

#[test]
fn json_lines_nested_paths_in_expressions() {
    let m = ingest(
        &[(
            "a.jsonl",
            "{\"id\": 1, \"user\": {\"name\": {\"first\": \"Ana\", \"last\": \"Ruiz\"}}, \"amount\": {\"value\": 23.5}}\n",
        )],
        r#"
        name = "s"
        channel = "app"
        path = "a.jsonl"
        format = "jsonl"
        [fields]
        record_id = "id"
        full_name = { concat = ["user.name.first", "user.name.last"] }
        [transaction]
        amount = "amount.value"
        "#,
    );
    assert_eq!(value(&m, "1", "full_name"), "Ana Ruiz");
    assert_eq!(value(&m, "1", "last_name"), "Ruiz");
    assert_eq!(value(&m, "1", "tx.amount"), "23.50");
}
