//! Casting query results to the warehouse schemas of `omni-core`, so that the published
//! Parquet files follow the contract whatever types DataFusion picked (e.g. `Utf8View`).

use arrow::array::ArrayRef;
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};

/// Each batch's columns, by name, cast to `schema`.
pub(crate) fn conform(
    batches: &[RecordBatch],
    schema: &SchemaRef,
    table: &str,
) -> Result<Vec<RecordBatch>> {
    batches
        .iter()
        .map(|b| {
            let cols = schema
                .fields()
                .iter()
                .map(|f| {
                    let c = b.column_by_name(f.name()).ok_or_else(|| Error::Schema {
                        table: table.to_string(),
                        message: format!("the query lost column `{}`", f.name()),
                    })?;
                    cast(c, f.data_type()).map_err(|e| Error::Schema {
                        table: table.to_string(),
                        message: format!("column `{}`: {e}", f.name()),
                    })
                })
                .collect::<Result<Vec<ArrayRef>>>()?;
            RecordBatch::try_new(schema.clone(), cols).map_err(|e| Error::Schema {
                table: table.to_string(),
                message: e.to_string(),
            })
        })
        .collect()
}
