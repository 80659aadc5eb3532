//! RFM: recency, frequency and monetary value over every channel's transactions, as of a
//! reference date, scored 1–5 by quintile with ties sharing a score, and named by the R × F
//! segment grid.
//!
//! - `recency_days`: days from the last purchase to `as_of` (transactions after `as_of` are
//!   ignored);
//! - `frequency`: number of purchases (returns do not count);
//! - `monetary`: purchases net of returns;
//! - scores: `1 + floor(5 · (rank − 1) / n)` where rank orders customers from worst to best
//!   (oldest, fewest, lowest first) and `n` is the number of customers scored. Ties are broken
//!   deterministically by value only: equal values share the lowest rank of their group
//!   (SQL `rank()`), so a group of equal values that straddles a quintile boundary goes whole
//!   to the lower score, and a score can be left empty when one group spans a quintile (many
//!   customers with one purchase). The result does not depend on row order or on customer ids.
//!
//! The cut points are saved as `rfm_cut_points` ([`cut_points`]): for each metric and score,
//! the lowest and highest value given that score and the number of customers, with `as_of`.
//! Scores that no customer got have no row.

use chrono::NaiveDate;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use arrow::record_batch::RecordBatch;

use crate::config::RfmSegmentRule;
use crate::error::{Result, df};
use crate::joined::TRANSACTIONS;

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn segment_case(rules: &[RfmSegmentRule]) -> String {
    let whens: String = rules
        .iter()
        .map(|r| {
            format!(
                " WHEN r_score BETWEEN {} AND {} AND f_score BETWEEN {} AND {} THEN {}",
                r.r[0],
                r.r[1],
                r.f[0],
                r.f[1],
                sql_string(&r.name)
            )
        })
        .collect();
    format!("CASE{whens} END")
}

fn score(order: &str) -> String {
    format!("CAST(1 + floor(5.0 * (rank() OVER (ORDER BY {order}) - 1) / count(*) OVER ()) AS INT)")
}

/// The RFM query; expects `transactions` and `identity_map`, read through
/// [`crate::joined::TRANSACTIONS`] (registered by [`rfm`]).
pub fn rfm_sql(as_of: NaiveDate, rules: &[RfmSegmentRule]) -> String {
    let epoch = NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let as_of_day = (as_of - epoch).num_days();
    let end_secs = (as_of_day + 1) * 86_400;
    let r = score("recency_days DESC NULLS FIRST");
    let f = score("frequency ASC");
    let m = score("monetary ASC");
    let case = segment_case(rules);
    format!(
        "WITH t AS (
  SELECT customer_id, kind, amount, CAST(date_part('epoch', ts) AS BIGINT) AS secs
  FROM {TRANSACTIONS}
),
a AS (
  SELECT customer_id,
    {as_of_day} - CAST(floor(max(secs) FILTER (WHERE kind = 'purchase') / 86400.0) AS BIGINT) AS recency_days,
    count(*) FILTER (WHERE kind = 'purchase') AS frequency,
    sum(amount) AS monetary
  FROM t
  WHERE secs IS NULL OR secs < {end_secs}
  GROUP BY customer_id
  HAVING count(*) FILTER (WHERE kind = 'purchase') > 0
),
s AS (
  SELECT customer_id, recency_days, frequency, monetary,
    {r} AS r_score,
    {f} AS f_score,
    {m} AS m_score
  FROM a
)
SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score,
  {case} AS rfm_segment,
  DATE '{as_of}' AS as_of
FROM s
ORDER BY customer_id",
        as_of = as_of.format("%Y-%m-%d")
    )
}

/// Builds the `rfm` table as a DataFrame (not yet executed).
pub async fn rfm(
    ctx: &SessionContext,
    as_of: NaiveDate,
    rules: &[RfmSegmentRule],
) -> Result<DataFrame> {
    crate::joined::ensure_transactions(ctx).await?;
    ctx.sql(&rfm_sql(as_of, rules)).await.map_err(df("rfm"))
}

/// The cut-points query; expects the new `rfm` table.
pub const CUT_POINTS_SQL: &str = "
SELECT metric, score, lower_bound, upper_bound, customers, as_of FROM (
  SELECT 'recency_days' AS metric, r_score AS score,
    CAST(min(recency_days) AS DECIMAL(18, 2)) AS lower_bound,
    CAST(max(recency_days) AS DECIMAL(18, 2)) AS upper_bound,
    count(*) AS customers, as_of
  FROM rfm GROUP BY r_score, as_of
  UNION ALL
  SELECT 'frequency', f_score, CAST(min(frequency) AS DECIMAL(18, 2)),
    CAST(max(frequency) AS DECIMAL(18, 2)), count(*), as_of
  FROM rfm GROUP BY f_score, as_of
  UNION ALL
  SELECT 'monetary', m_score, CAST(min(monetary) AS DECIMAL(18, 2)),
    CAST(max(monetary) AS DECIMAL(18, 2)), count(*), as_of
  FROM rfm GROUP BY m_score, as_of
) x
ORDER BY metric, score";

/// Builds `rfm_cut_points` from the new `rfm` table, in the schema of
/// [`omni_core::schema::rfm_cut_points`].
pub async fn cut_points(ctx: &SessionContext) -> Result<Vec<RecordBatch>> {
    let frame = ctx
        .sql(CUT_POINTS_SQL)
        .await
        .map_err(df("rfm_cut_points"))?;
    let batches = frame.collect().await.map_err(df("rfm_cut_points"))?;
    crate::conform::conform(
        &batches,
        &omni_core::schema::rfm_cut_points(),
        "rfm_cut_points",
    )
}
