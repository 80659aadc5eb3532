//! Golden profiles: one row per customer, each attribute chosen by its survivorship rule
//! (default: the most recent non-empty value; ties broken by source and record id, so reruns
//! agree), every distinct contact point, consent per purpose, and traits.
//!
//! Consent: the latest explicit statement wins, with its source and time
//! (`consent_email_source`, `consent_email_at`); statements made at the same latest time that
//! disagree resolve to no consent (`false`).

use chrono::NaiveDate;
use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::config::{GOLDEN_ATTRIBUTES, ProfileConfig, Survivorship};
use crate::error::{Result, df};

/// Consent purposes, as `source_records` columns `consent_<purpose>`.
pub const CONSENT_PURPOSES: &[&str] = &["email", "sms", "whatsapp", "push"];

const RECENT: &str = "r.event_ts DESC NULLS LAST, r.source, r.record_id";

fn sql_string(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// The aggregate choosing attribute `col` by its survivorship rule.
fn survivor(col: &str, rule: &Survivorship) -> String {
    let order = match rule {
        Survivorship::MostRecent => RECENT.to_string(),
        Survivorship::MostFrequent => format!("r.{col}__freq DESC, {RECENT}"),
        Survivorship::Longest => format!("length(CAST(r.{col} AS VARCHAR)) DESC, {RECENT}"),
        Survivorship::SourcePriority(list) => {
            let whens: String = list
                .iter()
                .enumerate()
                .map(|(i, s)| format!(" WHEN {} THEN {i}", sql_string(s)))
                .collect();
            format!("CASE r.source{whens} ELSE {} END, {RECENT}", list.len())
        }
    };
    format!("first_value(r.{col} ORDER BY {order}) FILTER (WHERE r.{col} IS NOT NULL) AS {col}")
}

/// Sorted distinct values. `array_distinct(array_agg(x))` rather than `array_agg(DISTINCT x)`:
/// same result, but DataFusion 55 runs the latter through a per-group accumulator of scalar
/// values, about 9× slower (50 s against 5.6 s for one column over 822k records, debug).
fn distinct_list(col: &str, alias: &str) -> String {
    format!(
        "array_sort(array_distinct(array_agg(r.{col}) FILTER (WHERE r.{col} IS NOT NULL))) AS {alias}"
    )
}

/// The latest time a customer stated consent for a purpose, as a window column of `r`.
fn consent_latest(purpose: &str) -> String {
    format!(
        ",\n    max(CASE WHEN s.consent_{purpose} IS NOT NULL THEN s.event_ts END) \
         OVER (PARTITION BY m.customer_id) AS consent_{purpose}__latest"
    )
}

/// A purpose's consent columns, aggregated over the statements made at the latest time
/// (AND-ed: a conflict is no consent). One pass with the other aggregates, instead of one
/// join and window per purpose.
fn consent_cols(purpose: &str) -> String {
    let c = format!("consent_{purpose}");
    let at_latest = format!("r.{c} IS NOT NULL AND r.event_ts IS NOT DISTINCT FROM r.{c}__latest");
    format!(
        ",\n  bool_and(r.{c}) FILTER (WHERE {at_latest}) AS {c},
  array_to_string(array_sort(array_distinct(array_agg(r.source) FILTER (WHERE {at_latest}))), ',')
    AS {c}_source,
  max(r.{c}__latest) AS {c}_at"
    )
}

/// The profiles query as of a date; expects `source_records`, `identity_map` and
/// `transactions`.
pub fn profiles_sql(as_of: NaiveDate, cfg: &ProfileConfig) -> String {
    let latest_cols = GOLDEN_ATTRIBUTES
        .iter()
        .map(|c| survivor(c, cfg.rule(c)))
        .collect::<Vec<_>>()
        .join(",\n  ");
    // Value counts for the attributes chosen by frequency.
    let freq_cols: String = GOLDEN_ATTRIBUTES
        .iter()
        .filter(|c| matches!(cfg.rule(c), Survivorship::MostFrequent))
        .map(|c| format!(",\n    count(*) OVER (PARTITION BY m.customer_id, s.{c}) AS {c}__freq"))
        .collect();
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
    let consent_latest: String = CONSENT_PURPOSES.iter().map(|p| consent_latest(p)).collect();
    let consent_cols: String = CONSENT_PURPOSES.iter().map(|p| consent_cols(p)).collect();
    // Consent comes last in `profiles`, after the traits (exports keep that column order).
    let consent_names: Vec<String> = CONSENT_PURPOSES
        .iter()
        .flat_map(|p| {
            let c = format!("consent_{p}");
            [format!("{c}_source"), format!("{c}_at"), c]
        })
        .collect();
    let consent_exclude = consent_names.join(", ");
    let consent_select: String = CONSENT_PURPOSES
        .iter()
        .map(|p| format!(",\n  p.consent_{p}, p.consent_{p}_source, p.consent_{p}_at"))
        .collect();
    let as_of_sql = as_of.format("%Y-%m-%d");
    format!(
        "WITH r AS (
  SELECT m.customer_id, s.*{freq_cols}{consent_latest}
  FROM source_records s
  JOIN identity_map m ON s.source = m.source AND s.record_id = m.record_id
),
p AS (
  SELECT r.customer_id,
  {latest_cols},
  {lists},
  count(*) AS record_count,
  min(r.event_ts) AS first_seen,
  max(r.event_ts) AS last_seen{consent_cols}
  FROM r GROUP BY r.customer_id
),
tx AS (
  SELECT m.customer_id, t.*
  FROM transactions t
  JOIN identity_map m ON t.source = m.source AND t.record_id = m.record_id
),
t AS (
  SELECT customer_id,
    count(*) FILTER (WHERE kind = 'purchase') AS orders,
    count(*) FILTER (WHERE kind = 'return') AS returns,
    sum(amount) AS lifetime_value,
    min(ts) FILTER (WHERE kind = 'purchase') AS first_purchase,
    max(ts) FILTER (WHERE kind = 'purchase') AS last_purchase
  FROM tx GROUP BY customer_id
),
pref_channel AS (
  SELECT customer_id, channel AS preferred_channel FROM (
    SELECT customer_id, channel,
      row_number() OVER (PARTITION BY customer_id ORDER BY count(*) DESC, channel) AS rn
    FROM tx WHERE kind = 'purchase' GROUP BY customer_id, channel
  ) x WHERE rn = 1
),
pref_store AS (
  SELECT customer_id, store AS preferred_store FROM (
    SELECT customer_id, store,
      row_number() OVER (PARTITION BY customer_id ORDER BY count(*) DESC, store) AS rn
    FROM tx WHERE kind = 'purchase' AND store IS NOT NULL GROUP BY customer_id, store
  ) x WHERE rn = 1
)
SELECT p.* EXCLUDE ({consent_exclude}),
  array_length(p.channels) AS channel_count,
  coalesce(t.orders, 0) AS orders,
  coalesce(t.returns, 0) AS returns,
  coalesce(t.lifetime_value, CAST(0 AS DECIMAL(18, 2))) AS lifetime_value,
  CASE WHEN coalesce(t.orders, 0) > 0
       THEN CAST(t.lifetime_value / t.orders AS DECIMAL(18, 2)) END AS average_order_value,
  t.first_purchase,
  t.last_purchase,
  pc.preferred_channel,
  ps.preferred_store,
  CAST(floor((date_part('epoch', TIMESTAMP '{as_of_sql} 00:00:00') - date_part('epoch', p.last_seen)) / 86400) AS BIGINT)
    AS days_since_last_contact{consent_select}
FROM p
LEFT JOIN t ON p.customer_id = t.customer_id
LEFT JOIN pref_channel pc ON pc.customer_id = p.customer_id
LEFT JOIN pref_store ps ON ps.customer_id = p.customer_id
ORDER BY p.customer_id"
    )
}

/// Builds the profiles as of a date, as a DataFrame (not yet executed).
pub async fn profiles(
    ctx: &SessionContext,
    as_of: NaiveDate,
    cfg: &ProfileConfig,
) -> Result<DataFrame> {
    ctx.sql(&profiles_sql(as_of, cfg))
        .await
        .map_err(df("profiles"))
}
