//! Parquet sources, read by polars. Nested struct columns are flattened to dotted paths.

use std::fs::File;
use std::path::Path;

use polars::io::parquet::metadata::FileMetadataRef;
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
/// (`check_columns` reports them). The whole file at once: see [`Chunks`] for large files.
pub fn read(path: &Path, wanted: &[String]) -> Result<RawTable> {
    read_slice(path, wanted, None, None)
}

/// Rows `slice` (offset, length; all when `None`) of a Parquet file, as [`read`].
fn read_slice(
    path: &Path,
    wanted: &[String],
    slice: Option<(usize, usize)>,
    metadata: Option<&FileMetadataRef>,
) -> Result<RawTable> {
    guarded(path, || {
        let mut reader = ParquetReader::new(open(path)?).with_slice(slice);
        if let Some(m) = metadata {
            reader.set_metadata(m.clone());
        }
        if slice.is_some() {
            // Only the row groups the slice overlaps are decoded.
            reader = reader.read_parallel(ParallelStrategy::RowGroups);
        }
        let df = reader.finish().map_err(|e| unreadable(path, e))?;
        let n = df.height();
        let df = flatten(df, path)?;
        let keep: Vec<Column> = df
            .columns()
            .iter()
            .filter(|c| wanted.iter().any(|w| w.as_str() == c.name().as_str()))
            .cloned()
            .collect();
        let df = DataFrame::new(n, keep).map_err(|e| unreadable(path, e))?;
        let first = slice.map_or(0, |(offset, _)| offset) as u64;
        Ok(RawTable {
            columns: bridge::dataframe_to_text_columns(&df, path)?,
            lines: (first + 1..=first + n as u64).collect(),
            ..RawTable::empty()
        })
    })
}

/// Row ranges of about `chunk_bytes` of uncompressed data each: consecutive small row
/// groups together, a large row group in several parts.
fn plan_slices(row_groups: &[(usize, usize)], chunk_bytes: usize) -> Vec<(usize, usize)> {
    let chunk_bytes = chunk_bytes.max(1);
    let mut out = Vec::new();
    let (mut start, mut rows, mut bytes) = (0usize, 0usize, 0usize);
    for &(n, size) in row_groups {
        if rows > 0 && bytes + size > chunk_bytes {
            out.push((start, rows));
            (start, rows, bytes) = (start + rows, 0, 0);
        }
        if size > chunk_bytes && n > 1 {
            let parts = size.div_ceil(chunk_bytes).min(n);
            let per = n.div_ceil(parts);
            let mut at = 0;
            while at < n {
                let len = per.min(n - at);
                out.push((start + at, len));
                at += len;
            }
            start += n;
        } else {
            rows += n;
            bytes += size;
        }
    }
    if rows > 0 {
        out.push((start, rows));
    }
    out
}

/// A Parquet file read by row groups (or parts of one), about `chunk_bytes` of uncompressed
/// data at a time, so that memory does not grow with the file.
pub struct Chunks {
    path: std::path::PathBuf,
    wanted: Vec<String>,
    metadata: FileMetadataRef,
    slices: std::vec::IntoIter<(usize, usize)>,
    /// A file without rows still yields one (empty) table.
    empty: bool,
}

impl Chunks {
    pub fn open(path: &Path, wanted: Vec<String>, chunk_bytes: usize) -> Result<Self> {
        let metadata = guarded(path, || {
            ParquetReader::new(open(path)?)
                .get_metadata()
                .cloned()
                .map_err(|e| unreadable(path, e))
        })?;
        let groups: Vec<(usize, usize)> = metadata
            .row_groups
            .iter()
            .map(|g| (g.num_rows(), g.total_byte_size()))
            .collect();
        let slices = plan_slices(&groups, chunk_bytes);
        Ok(Chunks {
            path: path.to_path_buf(),
            wanted,
            empty: slices.is_empty(),
            metadata,
            slices: slices.into_iter(),
        })
    }

    /// The next table; `None` after the last.
    pub fn next_table(&mut self) -> Result<Option<RawTable>> {
        if self.empty {
            self.empty = false;
            return read_slice(&self.path, &self.wanted, None, Some(&self.metadata)).map(Some);
        }
        match self.slices.next() {
            Some(slice) => {
                read_slice(&self.path, &self.wanted, Some(slice), Some(&self.metadata)).map(Some)
            }
            None => Ok(None),
        }
    }
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

    #[test]
    fn slices_follow_row_groups_and_split_big_ones() {
        // Small groups merge up to the block size; a big one is cut in parts.
        assert_eq!(
            plan_slices(&[(10, 100), (10, 100), (10, 100)], 250),
            vec![(0, 20), (20, 10)]
        );
        assert_eq!(
            plan_slices(&[(100, 1000)], 250),
            vec![(0, 25), (25, 25), (50, 25), (75, 25)]
        );
        assert_eq!(
            plan_slices(&[(5, 10), (100, 1000), (5, 10)], 500),
            vec![(0, 5), (5, 50), (55, 50), (105, 5)]
        );
        assert_eq!(plan_slices(&[(1, 5000)], 10), vec![(0, 1)]);
        assert!(plan_slices(&[], 10).is_empty());
        // Every row once, in order.
        let groups: Vec<(usize, usize)> = (1..40).map(|i| (i * 3, i * 97)).collect();
        for chunk in [1, 50, 333, 10_000, usize::MAX] {
            let s = plan_slices(&groups, chunk);
            let mut at = 0;
            for (o, n) in s {
                assert_eq!(o, at);
                assert!(n > 0);
                at += n;
            }
            assert_eq!(at, groups.iter().map(|g| g.0).sum::<usize>());
        }
    }

    /// A file of many row groups read in slices gives the rows, row numbers and values of a
    /// whole read; each table holds at most about one block.
    #[test]
    fn chunks_read_like_a_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.parquet");
        let n = 2000;
        let ids: Vec<String> = (0..n).map(|i| format!("id{i}")).collect();
        let emails: Vec<Option<String>> = (0..n)
            .map(|i| (i % 7 != 0).then(|| format!("user{i}@example.es")))
            .collect();
        let batch = RecordBatch::try_from_iter(vec![
            ("id", Arc::new(StringArray::from(ids)) as ArrayRef),
            ("email", Arc::new(StringArray::from(emails))),
            (
                "qty",
                Arc::new(Int16Array::from_iter_values(
                    (0..n).map(|i| (i % 300) as i16),
                )),
            ),
        ])
        .unwrap();
        let props = parquet::file::properties::WriterProperties::builder()
            .set_max_row_group_row_count(Some(300))
            .build();
        let file = std::fs::File::create(&p).unwrap();
        let mut w =
            parquet::arrow::ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
        w.write(&batch).unwrap();
        w.close().unwrap();

        let wanted = ["id", "email", "qty"].map(String::from).to_vec();
        let whole = read(&p, &wanted).unwrap();
        let rows = |t: &RawTable| -> Vec<(u64, Vec<Option<String>>)> {
            (0..t.num_rows())
                .map(|i| {
                    let vals = t.columns.iter().map(|(_, c)| c.get(i).map(str::to_string));
                    (t.lines[i], vals.collect())
                })
                .collect()
        };
        let want = rows(&whole);
        assert_eq!(want.len(), n);
        for chunk in [1, 4000, 20_000, 1 << 30] {
            let mut c = Chunks::open(&p, wanted.clone(), chunk).unwrap();
            let mut got = Vec::new();
            let mut tables = 0;
            while let Some(t) = c.next_table().unwrap() {
                assert_eq!(t.column_names(), whole.column_names());
                got.extend(rows(&t));
                tables += 1;
            }
            assert_eq!(got, want, "blocks of {chunk}");
            if chunk == 1 {
                // Every row group is larger than one byte: one row per table.
                assert_eq!(tables, n);
            }
            if chunk == 1 << 30 {
                assert_eq!(tables, 1);
            }
        }
        // A file without rows still yields one table.
        let empty = dir.path().join("e.parquet");
        write(
            &empty,
            vec![(
                "id",
                Arc::new(StringArray::from(Vec::<String>::new())) as ArrayRef,
            )],
        );
        let mut c = Chunks::open(&empty, vec!["id".into()], 100).unwrap();
        assert_eq!(c.next_table().unwrap().unwrap().num_rows(), 0);
        assert!(c.next_table().unwrap().is_none());
    }
}
