//! The snapshot's records and transactions with their customer id, joined once per session.
//!
//! Profiles, contact points, the timeline and RFM all start from `source_records` or
//! `transactions` joined to `identity_map` on (source, record id): a hash join of two string
//! keys over every record. Run once per query, that join was done seven times per build; here
//! it runs once per table, the result is kept in memory ([`DataFrame::cache`]) and registered
//! as a view the queries read. The cache holds only the columns the queries use.
//!
//! The views are computed on first use in a session and then reused: a session whose
//! `source_records`, `transactions` or `identity_map` change must call [`release`] first.
//! `omni build` calls [`release`] after RFM, so segment SQL sees only the warehouse tables.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, StringViewArray};
use arrow::datatypes::SchemaRef;
use datafusion::datasource::MemTable;
use datafusion::prelude::SessionContext;

use crate::config::GOLDEN_ATTRIBUTES;
use crate::error::{Result, df};

/// `source_records` with `customer_id`: one row per record that has one.
pub const RECORDS: &str = "omni_profile_customer_records";
/// `transactions` with `customer_id`: one row per transaction whose record has one.
pub const TRANSACTIONS: &str = "omni_profile_customer_transactions";

/// `source_records` columns the profile queries read besides the golden attributes.
const RECORD_COLUMNS: &[&str] = &[
    "source",
    "record_id",
    "channel",
    "event_ts",
    "loyalty_card",
    "account_id",
    "consent_email",
    "consent_sms",
    "consent_whatsapp",
    "consent_push",
];

fn records_sql() -> String {
    let cols: Vec<String> = RECORD_COLUMNS
        .iter()
        .chain(
            GOLDEN_ATTRIBUTES
                .iter()
                .filter(|c| !RECORD_COLUMNS.contains(c)),
        )
        .map(|c| format!("s.{c}"))
        .collect();
    format!(
        "SELECT m.customer_id, {}
FROM source_records s
JOIN identity_map m ON s.source = m.source AND s.record_id = m.record_id",
        cols.join(", ")
    )
}

const TRANSACTIONS_SQL: &str = "SELECT m.customer_id, t.source, t.record_id, t.channel, t.ts,
  t.amount, t.store, t.kind
FROM transactions t
JOIN identity_map m ON t.source = m.source AND t.record_id = m.record_id";

/// Registers [`RECORDS`] unless the session has it.
pub async fn ensure_records(ctx: &SessionContext) -> Result<()> {
    ensure(ctx, RECORDS, &records_sql()).await
}

/// Registers [`TRANSACTIONS`] unless the session has it.
pub async fn ensure_transactions(ctx: &SessionContext) -> Result<()> {
    ensure(ctx, TRANSACTIONS, TRANSACTIONS_SQL).await
}

async fn ensure(ctx: &SessionContext, name: &'static str, sql: &str) -> Result<()> {
    if ctx.table_exist(name).map_err(df(name))? {
        return Ok(());
    }
    let frame = ctx.sql(sql).await.map_err(df(name))?;
    let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
    let partitions = frame.collect_partitioned().await.map_err(df(name))?;
    let partitions = partitions
        .into_iter()
        .map(|p| p.iter().map(compact).collect::<Result<Vec<_>>>())
        .collect::<Result<Vec<_>>>()?;
    let table = MemTable::try_new(schema, partitions).map_err(df(name))?;
    ctx.register_table(name, Arc::new(table))
        .map_err(df(name))?;
    Ok(())
}

/// A copy of `batch` whose string-view columns own just their values.
///
/// A hash join's output takes its build side's strings by reference: every output batch
/// of a view column points at all the data buffers of the build side. Kept like that, each
/// per-group slice an aggregate takes clones and sizes that whole buffer list, so the
/// profile queries slowed down with the square of the record count (10 M records: 120 s
/// for profiles against 5 s at 1 M) and the cache held the build side alive.
fn compact(batch: &RecordBatch) -> Result<RecordBatch> {
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| match c.as_any().downcast_ref::<StringViewArray>() {
            Some(v) => Arc::new(v.gc()) as ArrayRef,
            None => Arc::clone(c),
        })
        .collect();
    RecordBatch::try_new(batch.schema(), columns).map_err(|e| crate::error::Error::Schema {
        table: "cached view".into(),
        message: e.to_string(),
    })
}

/// Drops the cached views (and their memory) from the session.
pub fn release(ctx: &SessionContext) -> Result<()> {
    for name in [RECORDS, TRANSACTIONS] {
        ctx.deregister_table(name).map_err(df(name))?;
    }
    Ok(())
}

/// Drops the cached [`RECORDS`] view only (RFM needs transactions, not records): the
/// largest cache, one row per record, freed as soon as the last record query has run.
pub fn release_records(ctx: &SessionContext) -> Result<()> {
    ctx.deregister_table(RECORDS).map_err(df(RECORDS))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Array, Int32Array, UInt32Array};
    use arrow::compute::take;
    use arrow::datatypes::{DataType, Field, Schema};

    fn buffer_bytes(a: &StringViewArray) -> usize {
        a.data_buffers().iter().map(|b| b.len()).sum()
    }

    #[test]
    fn compact_keeps_values_and_drops_unreferenced_buffers() {
        // 10,000 long strings (views point into data buffers), of which a join keeps 3.
        let values: Vec<String> = (0..10_000)
            .map(|i| format!("customer-{i:05}-with-a-name-longer-than-twelve-bytes"))
            .collect();
        let all = StringViewArray::from_iter_values(values.iter());
        let picked = take(&all, &UInt32Array::from(vec![7, 4_242, 9_999]), None).unwrap();
        let picked = picked.as_any().downcast_ref::<StringViewArray>().unwrap();
        assert_eq!(
            buffer_bytes(picked),
            buffer_bytes(&all),
            "take shares the buffers"
        );
        let schema = Arc::new(Schema::new(vec![
            Field::new("name", DataType::Utf8View, false),
            Field::new("n", DataType::Int32, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(picked.clone()),
                Arc::new(Int32Array::from(vec![1, 2, 3])),
            ],
        )
        .unwrap();
        let small = compact(&batch).unwrap();
        let names = small
            .column(0)
            .as_any()
            .downcast_ref::<StringViewArray>()
            .unwrap();
        let expected: Vec<&str> = [7, 4_242, 9_999].map(|i| values[i].as_str()).to_vec();
        assert_eq!(names.iter().flatten().collect::<Vec<_>>(), expected);
        let owned: usize = expected.iter().map(|v| v.len()).sum();
        assert!(
            buffer_bytes(names) <= owned,
            "{} buffer bytes for {owned} bytes of values",
            buffer_bytes(names)
        );
        assert_eq!(small.column(1).as_ref(), batch.column(1).as_ref());
        assert_eq!(small.schema(), batch.schema());
    }
}
