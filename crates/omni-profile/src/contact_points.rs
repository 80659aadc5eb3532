//! `contact_points`: every distinct email and phone of every customer, with the sources that
//! gave it, when it was first and last seen, in how many records, and which one is primary.
//!
//! The primary contact point of a kind is the value the attribute's survivorship rule chose
//! for the golden record (`profiles.email`, `profiles.phone`), so the two tables never
//! disagree; every other value of that kind has `is_primary = false`. Values are the
//! normalised ones (`source_records.email`, `source_records.phone`); records without the
//! identifier are not counted.

use datafusion::prelude::SessionContext;

use arrow::record_batch::RecordBatch;
use omni_core::schema;

use crate::error::{Result, df};
use crate::joined::RECORDS;

/// The query; expects `source_records`, `identity_map` (read through
/// [`crate::joined::RECORDS`], registered by [`contact_points`]) and the new `profiles`.
pub fn contact_points_sql() -> String {
    format!(
        "
WITH r AS (
  SELECT customer_id, source, event_ts, email, phone
  FROM {RECORDS}
  WHERE email IS NOT NULL OR phone IS NOT NULL
),
cp AS (
  SELECT customer_id, 'email' AS kind, email AS value,
    array_to_string(array_sort(array_distinct(array_agg(source))), ',') AS sources,
    min(event_ts) AS first_seen, max(event_ts) AS last_seen, count(*) AS record_count
  FROM r WHERE email IS NOT NULL GROUP BY customer_id, email
  UNION ALL
  SELECT customer_id, 'phone' AS kind, phone AS value,
    array_to_string(array_sort(array_distinct(array_agg(source))), ',') AS sources,
    min(event_ts) AS first_seen, max(event_ts) AS last_seen, count(*) AS record_count
  FROM r WHERE phone IS NOT NULL GROUP BY customer_id, phone
)
SELECT cp.customer_id, cp.kind, cp.value, cp.sources, cp.first_seen, cp.last_seen,
  cp.record_count,
  coalesce(cp.value = CASE cp.kind WHEN 'email' THEN p.email ELSE p.phone END, false)
    AS is_primary
FROM cp LEFT JOIN profiles p ON p.customer_id = cp.customer_id
ORDER BY cp.customer_id, cp.kind, cp.value"
    )
}

/// Builds `contact_points`, in the schema of [`omni_core::schema::contact_points`].
pub async fn contact_points(ctx: &SessionContext) -> Result<Vec<RecordBatch>> {
    crate::joined::ensure_records(ctx).await?;
    let frame = ctx
        .sql(&contact_points_sql())
        .await
        .map_err(df("contact_points"))?;
    let batches = frame.collect().await.map_err(df("contact_points"))?;
    crate::conform::conform(&batches, &schema::contact_points(), "contact_points")
}
