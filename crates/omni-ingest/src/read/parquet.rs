//! Parquet sources, read by polars. Nested struct columns are flattened to dotted paths.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::{RawTable, bridge};
use crate::error::{Error, Result};

fn open(path: &Path) -> Result<File> {
    File::open(path).map_err(|source| Error::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn unreadable(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Unreadable {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Flattens struct columns (`user` with field `email` becomes `user.email`).
fn flatten(df: DataFrame, path: &Path) -> Result<DataFrame> {
    let mut cols: Vec<Column> = Vec::with_capacity(df.width());
    let mut stack: Vec<Series> = df
        .columns()
        .iter()
        .rev()
        .map(|c| c.as_materialized_series().clone())
        .collect();
    while let Some(s) = stack.pop() {
        if let DataType::Struct(_) = s.dtype() {
            let prefix = s.name().to_string();
            let st = s.struct_().map_err(|e| unreadable(path, e))?;
            for mut f in st.fields_as_series().into_iter().rev() {
                let n = format!("{prefix}.{}", f.name());
                f.rename(n.into());
                stack.push(f);
            }
        } else {
            cols.push(s.into());
        }
    }
    DataFrame::new_infer_height(cols).map_err(|e| unreadable(path, e))
}

/// Runs a polars read, turning a panic into an error naming the file: polars panics on
/// some inputs instead of failing (column types it was built without, odd metadata).
fn guarded<T>(path: &Path, read: impl FnOnce() -> Result<T>) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or_else(|panic| {
        let cause = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("unknown cause");
        Err(unreadable(
            path,
            format!("the Parquet reader failed: {cause}"),
        ))
    })
}

/// Column names (flattened) of a Parquet file.
pub fn columns(path: &Path) -> Result<Vec<String>> {
    guarded(path, || {
        let df = ParquetReader::new(open(path)?)
            .with_slice(Some((0, 0)))
            .finish()
            .map_err(|e| unreadable(path, e))?;
        Ok(flatten(df, path)?
            .get_column_names()
            .iter()
            .map(|s| s.to_string())
            .collect())
    })
}

/// Reads the `wanted` (flattened) columns of a Parquet file; `lines` holds 1-based row
/// numbers. Other columns are not converted to text: a list or binary column the mapping
/// does not use must not fail the file. Wanted columns the file lacks are left out
/// (`check_columns` reports them).
pub fn read(path: &Path, wanted: &[String]) -> Result<RawTable> {
    guarded(path, || {
        let df = ParquetReader::new(open(path)?)
            .finish()
            .map_err(|e| unreadable(path, e))?;
        let n = df.height();
        let df = flatten(df, path)?;
        let keep: Vec<Column> = df
            .columns()
            .iter()
            .filter(|c| wanted.iter().any(|w| w.as_str() == c.name().as_str()))
            .cloned()
            .collect();
        let df = DataFrame::new(n, keep).map_err(|e| unreadable(path, e))?;
        Ok(RawTable {
            columns: bridge::dataframe_to_text_columns(&df, path)?,
            lines: (1..=n as u64).collect(),
            ..RawTable::empty()
        })
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, Decimal128Array, FixedSizeListArray, Int16Array, ListBuilder, RecordBatch,
        StringArray, StringBuilder, TimestampMicrosecondArray,
    };
    use arrow::datatypes::{Field, Int32Type, Schema};

    use super::*;

    fn write(path: &Path, columns: Vec<(&str, ArrayRef)>) {
        let schema = Schema::new(
            columns
                .iter()
                .map(|(n, a)| Field::new(*n, a.data_type().clone(), true))
                .collect::<Vec<_>>(),
        );
        let batch = RecordBatch::try_new(
            Arc::new(schema),
            columns.into_iter().map(|(_, a)| a).collect(),
        )
        .unwrap();
        let file = std::fs::File::create(path).unwrap();
        let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();
    }

    #[test]
    fn typed_columns_as_text_and_unmapped_ones_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        let mut tags = ListBuilder::new(StringBuilder::new());
        tags.values().append_value("vip");
        tags.append(true);
        write(
            &p,
            vec![
                ("id", Arc::new(StringArray::from(vec!["a"])) as ArrayRef),
                ("qty", Arc::new(Int16Array::from(vec![3]))),
                (
                    "amount",
                    Arc::new(
                        Decimal128Array::from(vec![1999])
                            .with_precision_and_scale(12, 2)
                            .unwrap(),
                    ),
                ),
                (
                    "ts",
                    Arc::new(
                        TimestampMicrosecondArray::from(vec![1_741_942_800_000_000])
                            .with_timezone("Europe/Madrid"),
                    ),
                ),
                ("tags", Arc::new(tags.finish())),
            ],
        );
        let wanted = ["id", "qty", "amount", "ts", "missing"].map(String::from);
        let t = read(&p, &wanted).unwrap();
        assert_eq!(t.column_names(), vec!["id", "qty", "amount", "ts"]);
        assert_eq!(t.column("qty").unwrap().get(0), Some("3"));
        assert_eq!(t.column("amount").unwrap().get(0), Some("19.99"));
        // A zoned timestamp is written as UTC wall-clock time.
        assert_eq!(
            t.column("ts").unwrap().get(0),
            Some("2025-03-14 09:00:00.000000")
        );
        let e = read(&p, &["tags".to_string()]).unwrap_err();
        assert!(e.to_string().contains("column tags"), "{e}");
    }

    #[test]
    fn polars_panics_become_errors() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        let pairs = FixedSizeListArray::from_iter_primitive::<Int32Type, _, _>(
            vec![Some(vec![Some(1), Some(2)])],
            2,
        );
        write(&p, vec![("pair", Arc::new(pairs) as ArrayRef)]);
        for e in [columns(&p).unwrap_err(), read(&p, &[]).unwrap_err()] {
            assert!(matches!(e, Error::Unreadable { .. }), "{e:?}");
            assert!(e.to_string().contains("t.parquet"), "{e}");
        }
    }
}
