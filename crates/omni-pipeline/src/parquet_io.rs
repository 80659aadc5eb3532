//! Writing and reading warehouse Parquet files.

use std::fs::File;
use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::{Result, io, pq};

/// Writes batches to `path` (Snappy) and fsyncs it; returns the row count.
pub fn write(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    let mut w = PartWriter::create(path, schema)?;
    for b in batches {
        w.write(b)?;
    }
    w.finish_synced()
}

/// Reads a whole Parquet file.
pub fn read(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(|e| open_err(path, e))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .map_err(pq(path, "read"))?;
    reader
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| pq(path, "read")(e.into()))
}

fn open_err(path: &Path, e: std::io::Error) -> crate::error::Error {
    crate::error::Error::Parquet {
        path: path.to_path_buf(),
        action: "open",
        message: e.to_string(),
    }
}

fn writer_props() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build()
}

/// A Parquet file written batch by batch (Snappy), for tables made in parts.
pub struct PartWriter {
    path: std::path::PathBuf,
    writer: ArrowWriter<File>,
    rows: u64,
}

impl PartWriter {
    pub fn create(path: &Path, schema: &SchemaRef) -> Result<Self> {
        let file = File::create(path).map_err(io(path))?;
        Ok(PartWriter {
            path: path.to_path_buf(),
            writer: ArrowWriter::try_new(file, schema.clone(), Some(writer_props()))
                .map_err(pq(path, "write"))?,
            rows: 0,
        })
    }

    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        if batch.num_rows() > 0 {
            self.writer.write(batch).map_err(pq(&self.path, "write"))?;
            self.rows += batch.num_rows() as u64;
        }
        Ok(())
    }

    /// Closes the file (not synced: parts are inputs of [`concat`]); returns its path and
    /// row count.
    pub fn finish(self) -> Result<(std::path::PathBuf, u64)> {
        self.writer.close().map_err(pq(&self.path, "write"))?;
        Ok((self.path, self.rows))
    }

    /// Closes and fsyncs the file (a warehouse table written in parts); returns its row
    /// count.
    pub fn finish_synced(self) -> Result<u64> {
        let file = self.writer.into_inner().map_err(pq(&self.path, "write"))?;
        file.sync_all().map_err(io(&self.path))?;
        Ok(self.rows)
    }
}

/// Writes the row groups of `inputs` (Parquet files of one schema), in order, to `path`
/// without decoding them: column chunks are copied as they are, with the first input's
/// key-value metadata (the Arrow schema). Fsyncs `path`; returns the row count.
pub fn concat(inputs: &[std::path::PathBuf], path: &Path) -> Result<u64> {
    use parquet::column::writer::ColumnCloseResult;
    use parquet::file::metadata::ParquetMetaDataReader;
    use parquet::file::writer::SerializedFileWriter;

    let opened = inputs
        .iter()
        .map(|p| {
            let f = File::open(p).map_err(|e| open_err(p, e))?;
            let meta = ParquetMetaDataReader::new()
                .parse_and_finish(&f)
                .map_err(pq(p, "read"))?;
            Ok((p, f, meta))
        })
        .collect::<Result<Vec<_>>>()?;
    let Some((_, _, first)) = opened.first() else {
        return Err(crate::error::Error::Internal(
            "no Parquet part to concatenate".into(),
        ));
    };
    let expected = first.file_metadata().schema_descr().root_schema_ptr();
    for (p, _, meta) in &opened[1..] {
        if meta.file_metadata().schema_descr().root_schema_ptr() != expected {
            return Err(crate::error::Error::Internal(format!(
                "Parquet part {} has another schema than {}",
                p.display(),
                inputs[0].display()
            )));
        }
    }
    let props = WriterProperties::builder()
        .set_key_value_metadata(first.file_metadata().key_value_metadata().cloned())
        .build();
    let out = File::create(path).map_err(io(path))?;
    let write_err = || pq(path, "write");
    let mut w =
        SerializedFileWriter::new(out, expected, std::sync::Arc::new(props)).map_err(write_err())?;
    let mut rows = 0u64;
    for (_, f, meta) in &opened {
        for rg in meta.row_groups() {
            let mut rg_out = w.next_row_group().map_err(write_err())?;
            for column in rg.columns() {
                rg_out
                    .append_column(
                        f,
                        ColumnCloseResult {
                            bytes_written: column.compressed_size() as u64,
                            rows_written: rg.num_rows() as u64,
                            metadata: column.clone(),
                            bloom_filter: None,
                            column_index: None,
                            offset_index: None,
                        },
                    )
                    .map_err(write_err())?;
            }
            rg_out.close().map_err(write_err())?;
            rows += rg.num_rows() as u64;
        }
    }
    let file = w.into_inner().map_err(write_err())?;
    file.sync_all().map_err(io(path))?;
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray, TimestampMicrosecondArray};
    use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    fn batch(schema: &SchemaRef, from: i64, n: i64) -> RecordBatch {
        RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(StringArray::from_iter(
                    (from..from + n).map(|i| (i % 3 != 0).then(|| format!("v{i}"))),
                )),
                Arc::new(Int64Array::from_iter_values(from..from + n)),
                Arc::new(
                    TimestampMicrosecondArray::from_iter_values((from..from + n).map(|i| i * 1000))
                        .with_timezone("UTC"),
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn write_and_read_errors_name_the_file() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
            Field::new(
                "t",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
        ]));
        // A full disk: /dev/full accepts the open and fails every write.
        let full = Path::new("/dev/full");
        if full.exists() {
            let e = write(full, &schema, &[batch(&schema, 0, 10_000)]).unwrap_err();
            let msg = e.to_string();
            assert!(
                msg.starts_with("cannot write /dev/full: ") && msg.contains("No space left"),
                "{msg}"
            );
            let mut w = PartWriter::create(full, &schema).unwrap();
            let e = w
                .write(&batch(&schema, 0, 10_000))
                .and_then(|_| w.finish().map(|_| ()))
                .unwrap_err();
            assert!(e.to_string().starts_with("cannot write /dev/full: "), "{e}");
        }
        // A damaged file and a missing one.
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("damaged.parquet");
        std::fs::write(&bad, b"not parquet at all").unwrap();
        let msg = read(&bad).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("cannot read {}: ", bad.display())),
            "{msg}"
        );
        let missing = dir.path().join("missing.parquet");
        let msg = read(&missing).unwrap_err().to_string();
        assert!(
            msg.starts_with(&format!("cannot open {}: ", missing.display())),
            "{msg}"
        );
        let msg = concat(std::slice::from_ref(&bad), &dir.path().join("out.parquet"))
            .unwrap_err()
            .to_string();
        assert!(
            msg.starts_with(&format!("cannot read {}: ", bad.display())),
            "{msg}"
        );
    }

    #[test]
    fn concat_copies_row_groups_in_order_and_keeps_the_arrow_schema() {
        let dir = tempfile::tempdir().unwrap();
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8, true),
            Field::new("n", DataType::Int64, false),
            Field::new(
                "ts",
                DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
                false,
            ),
        ]));
        let mut parts = Vec::new();
        let mut expected = Vec::new();
        for (k, sizes) in [vec![5, 7], vec![], vec![1, 2, 3]].into_iter().enumerate() {
            let mut w =
                PartWriter::create(&dir.path().join(format!("{k}.parquet")), &schema).unwrap();
            let mut from = 100 * k as i64;
            for n in sizes {
                let b = batch(&schema, from, n);
                w.write(&b).unwrap();
                expected.push(b);
                from += n;
            }
            w.write(&RecordBatch::new_empty(schema.clone())).unwrap();
            parts.push(w.finish().unwrap());
        }
        assert_eq!(
            parts.iter().map(|p| p.1).collect::<Vec<_>>(),
            vec![12, 0, 6]
        );
        let out = dir.path().join("all.parquet");
        let paths: Vec<_> = parts.into_iter().map(|p| p.0).collect();
        assert_eq!(concat(&paths, &out).unwrap(), 18);
        let got = read(&out).unwrap();
        assert!(
            got.iter().all(|b| b.schema() == schema),
            "{:?}",
            got[0].schema()
        );
        assert_eq!(
            arrow::compute::concat_batches(&schema, &got).unwrap(),
            arrow::compute::concat_batches(&schema, &expected).unwrap()
        );
        // A part of another schema is refused, naming it.
        let other: SchemaRef = Arc::new(Schema::new(vec![Field::new("x", DataType::Int64, false)]));
        let odd = dir.path().join("odd.parquet");
        PartWriter::create(&odd, &other).unwrap().finish().unwrap();
        let err = concat(&[paths[0].clone(), odd], &dir.path().join("bad.parquet")).unwrap_err();
        assert!(err.to_string().contains("odd.parquet"), "{err}");
    }
}
