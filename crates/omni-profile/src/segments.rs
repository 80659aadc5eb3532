//! Segments defined in SQL, materialised as `segment_membership`.

use std::collections::BTreeSet;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::config::SegmentConfig;
use crate::error::{Error, Result};

/// `segment_membership`: (segment, customer_id, run_id).
pub fn membership_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("segment", DataType::Utf8, false),
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("run_id", DataType::Utf8, false),
    ]))
}

/// Runs each segment's SQL and collects its distinct customer ids, sorted.
/// Returns the membership batch and the size of each segment.
pub async fn materialize(
    ctx: &SessionContext,
    segments: &[SegmentConfig],
    run_id: &str,
) -> Result<(RecordBatch, Vec<(String, u64)>)> {
    let mut seg = StringBuilder::new();
    let mut cus = StringBuilder::new();
    let mut run = StringBuilder::new();
    let mut sizes = Vec::new();
    for s in segments {
        let err = |message: String| Error::Segment {
            segment: s.name.clone(),
            message,
        };
        let frame = ctx
            .sql(&s.sql)
            .await
            .map_err(|e| err(format!("the query fails: {e}")))?;
        if frame
            .schema()
            .index_of_column_by_name(None, "customer_id")
            .is_none()
        {
            return Err(err(format!(
                "the query must return a `customer_id` column; it returns {}",
                frame
                    .schema()
                    .fields()
                    .iter()
                    .map(|f| f.name().as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let batches = frame
            .select_columns(&["customer_id"])
            .map_err(|e| err(e.to_string()))?
            .collect()
            .await
            .map_err(|e| err(format!("the query fails: {e}")))?;
        let mut ids = BTreeSet::new();
        for b in &batches {
            let a = omni_core::text::as_utf8(b.column(0)).map_err(|e| err(e.to_string()))?;
            for i in 0..a.len() {
                if a.is_valid(i) {
                    ids.insert(a.value(i).to_string());
                }
            }
        }
        sizes.push((s.name.clone(), ids.len() as u64));
        for id in ids {
            seg.append_value(&s.name);
            cus.append_value(id);
            run.append_value(run_id);
        }
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(seg.finish()),
        Arc::new(cus.finish()),
        Arc::new(run.finish()),
    ];
    let batch = RecordBatch::try_new(membership_schema(), cols)
        .expect("membership schema matches builders");
    Ok((batch, sizes))
}
