//! The `runs` table: one row per successful build, carried from snapshot to snapshot.

use std::sync::{Arc, LazyLock};

use arrow::array::{ArrayRef, StringArray, TimestampMicrosecondArray, UInt64Array};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use arrow::record_batch::RecordBatch;
use omni_core::schema::timestamp_type;
use serde::Serialize;

/// One run, as recorded.
#[derive(Debug, Clone, Serialize)]
pub struct RunRow {
    pub run_id: String,
    pub pipeline: String,
    pub started_at_us: i64,
    pub finished_at_us: i64,
    pub status: String,
    pub config_hash: String,
    pub rows_read: u64,
    pub accepted: u64,
    pub rejected: u64,
    pub records: u64,
    pub customers: u64,
    pub transactions: u64,
    pub duration_ms: u64,
    pub omni_version: String,
}

pub fn schema() -> SchemaRef {
    static S: LazyLock<SchemaRef> = LazyLock::new(|| {
        let u = |n: &str| Field::new(n, DataType::UInt64, false);
        let s = |n: &str| Field::new(n, DataType::Utf8, false);
        Arc::new(Schema::new(vec![
            s("run_id"),
            s("pipeline"),
            Field::new("started_at", timestamp_type(), false),
            Field::new("finished_at", timestamp_type(), false),
            s("status"),
            s("config_hash"),
            u("rows_read"),
            u("accepted"),
            u("rejected"),
            u("records"),
            u("customers"),
            u("transactions"),
            u("duration_ms"),
            s("omni_version"),
        ]))
    });
    S.clone()
}

pub fn to_batch(r: &RunRow) -> RecordBatch {
    let s = |v: &str| Arc::new(StringArray::from(vec![v.to_string()])) as ArrayRef;
    let u = |v: u64| Arc::new(UInt64Array::from(vec![v])) as ArrayRef;
    let t = |v: i64| {
        Arc::new(TimestampMicrosecondArray::from(vec![v]).with_timezone("UTC")) as ArrayRef
    };
    RecordBatch::try_new(
        schema(),
        vec![
            s(&r.run_id),
            s(&r.pipeline),
            t(r.started_at_us),
            t(r.finished_at_us),
            s(&r.status),
            s(&r.config_hash),
            u(r.rows_read),
            u(r.accepted),
            u(r.rejected),
            u(r.records),
            u(r.customers),
            u(r.transactions),
            u(r.duration_ms),
            s(&r.omni_version),
        ],
    )
    .expect("runs schema matches")
}
