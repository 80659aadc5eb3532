//! Golden profiles: one row per customer, the most recent non-empty value of each attribute
//! (ties broken by source and record id, so reruns agree), every distinct contact point, the
//! latest consent statement per purpose, and purchase traits.

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Result, df};

fn latest(col: &str) -> String {
    format!(
        "first_value(r.{col} ORDER BY r.event_ts DESC NULLS LAST, r.source, r.record_id) \
         FILTER (WHERE r.{col} IS NOT NULL) AS {col}"
    )
}

fn distinct_list(col: &str, alias: &str) -> String {
    format!("array_sort(array_agg(DISTINCT r.{col}) FILTER (WHERE r.{col} IS NOT NULL)) AS {alias}")
}

/// The profiles query; expects `source_records`, `identity_map` and `transactions`.
pub fn profiles_sql() -> String {
    let latest_cols = [
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "birth_date",
        "address",
        "postcode",
        "city",
        "country",
        "consent_email",
        "consent_sms",
        "consent_whatsapp",
        "consent_push",
    ]
    .map(latest)
    .join(",\n  ");
    let lists = [
        ("email", "emails"),
        ("phone", "phones"),
        ("loyalty_card", "loyalty_cards"),
        ("account_id", "account_ids"),
        ("source", "sources"),
        ("channel", "channels"),
    ]
    .map(|(c, a)| distinct_list(c, a))
    .join(",\n  ");
    format!(
        "WITH r AS (
  SELECT m.customer_id, s.*
  FROM source_records s
  JOIN identity_map m ON s.source = m.source AND s.record_id = m.record_id
),
p AS (
  SELECT r.customer_id,
  {latest_cols},
  {lists},
  count(*) AS record_count,
  min(r.event_ts) AS first_seen,
  max(r.event_ts) AS last_seen
  FROM r GROUP BY r.customer_id
),
t AS (
  SELECT m.customer_id,
    count(*) FILTER (WHERE t.kind = 'purchase') AS orders,
    count(*) FILTER (WHERE t.kind = 'return') AS returns,
    sum(t.amount) AS lifetime_value,
    min(t.ts) FILTER (WHERE t.kind = 'purchase') AS first_purchase,
    max(t.ts) FILTER (WHERE t.kind = 'purchase') AS last_purchase
  FROM transactions t
  JOIN identity_map m ON t.source = m.source AND t.record_id = m.record_id
  GROUP BY m.customer_id
)
SELECT p.*,
  coalesce(t.orders, 0) AS orders,
  coalesce(t.returns, 0) AS returns,
  coalesce(t.lifetime_value, CAST(0 AS DECIMAL(18, 2))) AS lifetime_value,
  CASE WHEN coalesce(t.orders, 0) > 0
       THEN CAST(t.lifetime_value / t.orders AS DECIMAL(18, 2)) END AS average_order_value,
  t.first_purchase,
  t.last_purchase
FROM p LEFT JOIN t ON p.customer_id = t.customer_id
ORDER BY p.customer_id"
    )
}

/// Builds the profiles as a DataFrame (not yet executed).
pub async fn profiles(ctx: &SessionContext) -> Result<DataFrame> {
    ctx.sql(&profiles_sql()).await.map_err(df("profiles"))
}
