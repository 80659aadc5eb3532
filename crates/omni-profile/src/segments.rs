//! Segments defined in SQL, materialised as `segment_membership` with what changed since the
//! previous build: each member is `entered` (new in the segment) or `stayed`, and customers
//! who left are listed once as `exited`.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, StringBuilder};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::config::SegmentConfig;
use crate::error::{Error, Result};

/// `segment_membership`: (segment, customer_id, status, run_id).
pub fn membership_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("segment", DataType::Utf8, false),
        Field::new("customer_id", DataType::Utf8, false),
        Field::new("status", DataType::Utf8, false),
        Field::new("run_id", DataType::Utf8, false),
    ]))
}

/// One segment's size and movement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SegmentSize {
    pub segment: String,
    pub members: u64,
    pub entered: u64,
    pub exited: u64,
}

/// Members per segment of a previous `segment_membership` (rows with status `exited` and
/// rows of older layouts without a status are handled).
fn previous_members(previous: &[RecordBatch]) -> HashMap<String, HashSet<String>> {
    let mut out: HashMap<String, HashSet<String>> = HashMap::new();
    for b in previous {
        let (Some(seg), Some(cus)) = (b.column_by_name("segment"), b.column_by_name("customer_id"))
        else {
            continue;
        };
        let (Ok(seg), Ok(cus)) = (omni_core::text::as_utf8(seg), omni_core::text::as_utf8(cus))
        else {
            continue;
        };
        let status = b
            .column_by_name("status")
            .and_then(|s| omni_core::text::as_utf8(s).ok());
        for i in 0..b.num_rows() {
            if status.as_ref().is_some_and(|s| s.value(i) == "exited") {
                continue;
            }
            out.entry(seg.value(i).to_string())
                .or_default()
                .insert(cus.value(i).to_string());
        }
    }
    out
}

/// Runs each segment's SQL, collects its distinct customer ids and compares them with the
/// previous build's members (`previous`: its `segment_membership`, empty on a first build).
pub async fn materialize(
    ctx: &SessionContext,
    segments: &[SegmentConfig],
    run_id: &str,
    previous: &[RecordBatch],
) -> Result<(RecordBatch, Vec<SegmentSize>)> {
    let before = previous_members(previous);
    let none = HashSet::new();
    let mut seg = StringBuilder::new();
    let mut cus = StringBuilder::new();
    let mut status = StringBuilder::new();
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
        let was = before.get(&s.name).unwrap_or(&none);
        let mut size = SegmentSize {
            segment: s.name.clone(),
            members: ids.len() as u64,
            entered: 0,
            exited: 0,
        };
        let mut rows: Vec<(&str, &str)> = Vec::with_capacity(ids.len());
        for id in &ids {
            let st = if was.contains(id) {
                "stayed"
            } else {
                "entered"
            };
            size.entered += u64::from(st == "entered");
            rows.push((id, st));
        }
        let mut left: Vec<&String> = was.iter().filter(|id| !ids.contains(*id)).collect();
        left.sort();
        size.exited = left.len() as u64;
        rows.extend(left.into_iter().map(|id| (id.as_str(), "exited")));
        rows.sort();
        for (id, st) in rows {
            seg.append_value(&s.name);
            cus.append_value(id);
            status.append_value(st);
            run.append_value(run_id);
        }
        sizes.push(size);
    }
    let cols: Vec<ArrayRef> = vec![
        Arc::new(seg.finish()),
        Arc::new(cus.finish()),
        Arc::new(status.finish()),
        Arc::new(run.finish()),
    ];
    let batch = RecordBatch::try_new(membership_schema(), cols)
        .expect("membership schema matches builders");
    Ok((batch, sizes))
}
