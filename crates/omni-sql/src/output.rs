//! Result formats of `omni sql`: an aligned table, CSV, JSON (an array of objects), Parquet.

use std::io::Write;
use std::str::FromStr;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use crate::error::{Error, Result};

/// An output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Json,
    Parquet,
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "table" => Ok(Format::Table),
            "csv" => Ok(Format::Csv),
            "json" => Ok(Format::Json),
            "parquet" => Ok(Format::Parquet),
            _ => Err(format!(
                "unknown format {s:?}: use table, csv, json or parquet"
            )),
        }
    }
}

/// CSV has no nested values: list and struct columns become their text form (`[a, b]`).
fn flatten_nested(
    schema: &SchemaRef,
    batch: Option<&RecordBatch>,
) -> Result<(SchemaRef, Option<RecordBatch>)> {
    use arrow::array::{Array, ArrayRef, StringBuilder};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::util::display::{ArrayFormatter, FormatOptions};
    let nested = |t: &DataType| t.is_nested();
    if !schema.fields().iter().any(|f| nested(f.data_type())) {
        return Ok((schema.clone(), batch.cloned()));
    }
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| {
            if nested(f.data_type()) {
                Field::new(f.name(), DataType::Utf8, true)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let new_schema: SchemaRef = std::sync::Arc::new(Schema::new(fields));
    let Some(b) = batch else {
        return Ok((new_schema, None));
    };
    let opts = FormatOptions::default();
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(b.num_columns());
    for c in b.columns() {
        if nested(c.data_type()) {
            let fmt = ArrayFormatter::try_new(c.as_ref(), &opts).map_err(out_err)?;
            let mut sb = StringBuilder::new();
            for i in 0..c.len() {
                if c.is_null(i) {
                    sb.append_null();
                } else {
                    sb.append_value(fmt.value(i).to_string());
                }
            }
            cols.push(std::sync::Arc::new(sb.finish()));
        } else {
            cols.push(c.clone());
        }
    }
    let out = RecordBatch::try_new(new_schema.clone(), cols).map_err(out_err)?;
    Ok((new_schema, Some(out)))
}

fn out_err(e: impl std::fmt::Display) -> Error {
    Error::Output(e.to_string())
}

/// Writes query results in `format` to `w`.
pub fn write_results<W: Write + Send>(
    format: Format,
    schema: &SchemaRef,
    batches: &[RecordBatch],
    mut w: W,
) -> Result<()> {
    match format {
        Format::Table => {
            let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
            let table = if batches.is_empty() {
                arrow::util::pretty::pretty_format_batches(&[RecordBatch::new_empty(
                    schema.clone(),
                )])
            } else {
                arrow::util::pretty::pretty_format_batches(batches)
            }
            .map_err(out_err)?;
            writeln!(w, "{table}").map_err(out_err)?;
            writeln!(w, "({rows} row{})", if rows == 1 { "" } else { "s" }).map_err(out_err)?;
        }
        Format::Csv => {
            let mut cw = arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(&mut w);
            if batches.is_empty() {
                let (flat, _) = flatten_nested(schema, None)?;
                cw.write(&RecordBatch::new_empty(flat)).map_err(out_err)?;
            }
            for b in batches {
                let (_, flat) = flatten_nested(schema, Some(b))?;
                cw.write(&flat.expect("a batch was given"))
                    .map_err(out_err)?;
            }
        }
        Format::Json => {
            let mut jw = arrow::json::ArrayWriter::new(&mut w);
            for b in batches {
                jw.write(b).map_err(out_err)?;
            }
            // finish() writes `[]` for an empty result, so the output is always an array.
            jw.finish().map_err(out_err)?;
            drop(jw);
            writeln!(w).map_err(out_err)?;
        }
        Format::Parquet => {
            let props = WriterProperties::builder()
                .set_compression(Compression::SNAPPY)
                .build();
            let mut pw =
                ArrowWriter::try_new(&mut w, schema.clone(), Some(props)).map_err(out_err)?;
            for b in batches {
                pw.write(b).map_err(out_err)?;
            }
            pw.close().map_err(out_err)?;
        }
    }
    w.flush().map_err(out_err)?;
    Ok(())
}
