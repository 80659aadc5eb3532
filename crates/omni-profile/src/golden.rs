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
use crate::joined::{RECORDS, TRANSACTIONS};

/// Consent purposes, as `source_records` columns `consent_<purpose>`.
pub const CONSENT_PURPOSES: &[&str] = &["email", "sms", "whatsapp", "push"];

const RECENT: &str = "r.event_ts DESC NULLS LAST, r.source, r.record_id";

fn sql_string(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// The aggregate choosing attribute `col` by its survivorship rule; `None` for
/// `most_frequent`, chosen in CTEs of its own ([`most_frequent_ctes`]).
fn survivor(col: &str, rule: &Survivorship) -> Option<String> {
    let order = match rule {
        Survivorship::MostRecent => RECENT.to_string(),
        Survivorship::MostFrequent => return None,
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
    Some(format!(
        "first_value(r.{col} ORDER BY {order}) FILTER (WHERE r.{col} IS NOT NULL) AS {col}"
    ))
}

/// Sorted distinct values. `array_distinct(array_agg(x))` rather than `array_agg(DISTINCT x)`:
/// same result, but DataFusion 55 runs the latter through a per-group accumulator of scalar
/// values, about 9× slower (50 s against 5.6 s for one column over 822k records, debug).
fn distinct_list(col: &str, alias: &str) -> String {
    format!(
        "array_sort(array_distinct(array_agg(r.{col}) FILTER (WHERE r.{col} IS NOT NULL))) AS {alias}"
    )
}

/// A purpose's latest statement time per customer (an aggregate of `cs_latest`).
fn consent_latest(purpose: &str) -> String {
    format!(
        ",\n    max(CASE WHEN consent_{purpose} IS NOT NULL THEN event_ts END) \
         AS consent_{purpose}__latest"
    )
}

/// A purpose's consent columns, aggregated over the statements made at the latest time
/// (AND-ed: a conflict is no consent).
fn consent_cols(purpose: &str) -> String {
    let c = format!("consent_{purpose}");
    let at_latest = format!("{c} IS NOT NULL AND event_ts IS NOT DISTINCT FROM {c}__latest");
    format!(
        ",\n  bool_and({c}) FILTER (WHERE {at_latest}) AS {c},
  array_to_string(array_sort(array_distinct(array_agg(source) FILTER (WHERE {at_latest}))), ',')
    AS {c}_source,
  max({c}__latest) AS {c}_at"
    )
}

/// The CTEs choosing attribute `col` by frequency: values counted per customer, each value
/// with the sort key of its most recent record; the most frequent value wins, ties go to the
/// value whose most recent record is the most recent. Same choice as ordering every record by
/// (value count, recency), without a window over all records.
fn most_frequent_ctes(col: &str) -> String {
    format!(
        ",
{col}__n AS (
  SELECT customer_id, {col}, count(*) AS n, max(event_ts) AS k_ts,
    first_value(source ORDER BY event_ts DESC NULLS LAST, source, record_id) AS k_source,
    first_value(record_id ORDER BY event_ts DESC NULLS LAST, source, record_id) AS k_record_id
  FROM {records} WHERE {col} IS NOT NULL GROUP BY customer_id, {col}
),
{col}__pick AS (
  SELECT customer_id,
    first_value({col} ORDER BY n DESC, k_ts DESC NULLS LAST, k_source, k_record_id) AS {col}
  FROM {col}__n GROUP BY customer_id
)",
        records = RECORDS
    )
}

/// The profiles query as of a date; expects `source_records`, `identity_map` and
/// `transactions`, read through the views of [`crate::joined`] (registered by [`profiles`]).
pub fn profiles_sql(as_of: NaiveDate, cfg: &ProfileConfig) -> String {
    let frequent: Vec<&str> = GOLDEN_ATTRIBUTES
        .iter()
        .copied()
        .filter(|c| matches!(cfg.rule(c), Survivorship::MostFrequent))
        .collect();
    let latest_cols = GOLDEN_ATTRIBUTES
        .iter()
        .filter_map(|c| survivor(c, cfg.rule(c)))
        .collect::<Vec<_>>()
        .join(",\n  ");
    let golden_select = GOLDEN_ATTRIBUTES
        .iter()
        .map(|c| {
            if frequent.contains(c) {
                format!("{c}__pick.{c}")
            } else {
                format!("p.{c}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ");
    let frequent_ctes: String = frequent.iter().map(|c| most_frequent_ctes(c)).collect();
    let frequent_joins: String = frequent
        .iter()
        .map(|c| format!("\nLEFT JOIN {c}__pick ON {c}__pick.customer_id = p.customer_id"))
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
    let consent_any = CONSENT_PURPOSES
        .iter()
        .map(|p| format!("consent_{p} IS NOT NULL"))
        .collect::<Vec<_>>()
        .join(" OR ");
    let consent_select: String = CONSENT_PURPOSES
        .iter()
        .map(|p| format!(",\n  c.consent_{p}, c.consent_{p}_source, c.consent_{p}_at"))
        .collect();
    let as_of_sql = as_of.format("%Y-%m-%d");
    format!(
        "WITH p AS (
  SELECT r.customer_id,
  {latest_cols},
  {lists},
  count(*) AS record_count,
  min(r.event_ts) AS first_seen,
  max(r.event_ts) AS last_seen
  FROM {RECORDS} r GROUP BY r.customer_id
){frequent_ctes},
cs_latest AS (
  SELECT customer_id{consent_latest}
  FROM {RECORDS}
  WHERE {consent_any}
  GROUP BY customer_id
),
cs AS (
  SELECT r.customer_id, r.source, r.event_ts, {consent_names}, {latest_names}
  FROM {RECORDS} r
  JOIN cs_latest l ON l.customer_id = r.customer_id
  WHERE {consent_any}
),
c AS (
  SELECT customer_id{consent_cols}
  FROM cs GROUP BY customer_id
),
t AS (
  SELECT customer_id,
    count(*) FILTER (WHERE kind = 'purchase') AS orders,
    count(*) FILTER (WHERE kind = 'return') AS returns,
    sum(amount) AS lifetime_value,
    min(ts) FILTER (WHERE kind = 'purchase') AS first_purchase,
    max(ts) FILTER (WHERE kind = 'purchase') AS last_purchase
  FROM {TRANSACTIONS} GROUP BY customer_id
),
pref_channel AS (
  SELECT customer_id, first_value(channel ORDER BY n DESC, channel) AS preferred_channel
  FROM (
    SELECT customer_id, channel, count(*) AS n
    FROM {TRANSACTIONS} WHERE kind = 'purchase' GROUP BY customer_id, channel
  ) x GROUP BY customer_id
),
pref_store AS (
  SELECT customer_id, first_value(store ORDER BY n DESC, store) AS preferred_store
  FROM (
    SELECT customer_id, store, count(*) AS n
    FROM {TRANSACTIONS} WHERE kind = 'purchase' AND store IS NOT NULL GROUP BY customer_id, store
  ) x GROUP BY customer_id
)
SELECT p.customer_id, {golden_select},
  p.emails, p.phones, p.loyalty_cards, p.account_ids, p.sources, p.channels,
  p.record_count, p.first_seen, p.last_seen,
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
FROM p{frequent_joins}
LEFT JOIN c ON c.customer_id = p.customer_id
LEFT JOIN t ON p.customer_id = t.customer_id
LEFT JOIN pref_channel pc ON pc.customer_id = p.customer_id
LEFT JOIN pref_store ps ON ps.customer_id = p.customer_id
ORDER BY p.customer_id",
        consent_names = CONSENT_PURPOSES
            .iter()
            .map(|p| format!("r.consent_{p}"))
            .collect::<Vec<_>>()
            .join(", "),
        latest_names = CONSENT_PURPOSES
            .iter()
            .map(|p| format!("l.consent_{p}__latest"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

/// Builds the profiles as of a date, as a DataFrame (not yet executed).
pub async fn profiles(
    ctx: &SessionContext,
    as_of: NaiveDate,
    cfg: &ProfileConfig,
) -> Result<DataFrame> {
    crate::joined::ensure_records(ctx).await?;
    crate::joined::ensure_transactions(ctx).await?;
    // One customer's records are spread over every partition and there are about four records
    // per customer, so a partial aggregation per partition barely reduces the rows it then
    // has to merge. Skip it as soon as it reduces less than 10:1 (DataFusion's default: 5:4).
    // The setting holds for this query only: its state is a copy of the session's, sharing the
    // tables.
    let mut state = ctx.state();
    state
        .config_mut()
        .options_mut()
        .execution
        .skip_partial_aggregation_probe_ratio_threshold = 0.1;
    SessionContext::new_with_state(state)
        .sql(&profiles_sql(as_of, cfg))
        .await
        .map_err(df("profiles"))
}
