//! Writing and reading warehouse Parquet files.

use std::fs::File;
use std::path::Path;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::{Result, io};

/// Writes batches to `path` (Snappy) and fsyncs it; returns the row count.
pub fn write(path: &Path, schema: &SchemaRef, batches: &[RecordBatch]) -> Result<u64> {
    let file = File::create(path).map_err(io(path))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    let mut w = ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    let mut rows = 0u64;
    for b in batches {
        w.write(b)?;
        rows += b.num_rows() as u64;
    }
    let file = w.into_inner()?;
    file.sync_all().map_err(io(path))?;
    Ok(rows)
}

/// Reads a whole Parquet file.
pub fn read(path: &Path) -> Result<Vec<RecordBatch>> {
    let file = File::open(path).map_err(io(path))?;
    let reader = ParquetRecordBatchReaderBuilder::try_new(file)?.build()?;
    Ok(reader.collect::<std::result::Result<Vec<_>, _>>()?)
}
