//! `customer_events`: every interaction of every channel in one table — orders, store
//! tickets, app orders, returns, call-centre contacts, sign-ups and messaging opt-ins/outs —
//! so that a WhatsApp agent sees the store ticket and the web order of the same person in one
//! query.
//!
//! `event_type` is `purchase` or `return` for transactions; `opt_in` / `opt_out` for records
//! stating consent (any purpose; `opt_in` when any stated purpose is yes); `contact` otherwise.

use datafusion::dataframe::DataFrame;
use datafusion::prelude::SessionContext;

use crate::error::{Result, df};
use crate::joined::RECORDS;

/// The timeline query; expects `source_records`, `identity_map` and `transactions`, the
/// records read through [`crate::joined::RECORDS`] (registered by [`events`]).
pub fn events_sql() -> String {
    format!(
        "
SELECT s.customer_id,
  coalesce(t.ts, s.event_ts) AS ts,
  s.channel,
  CASE
    WHEN t.kind IS NOT NULL THEN t.kind
    WHEN s.consent_email OR s.consent_sms OR s.consent_whatsapp OR s.consent_push THEN 'opt_in'
    WHEN coalesce(s.consent_email, s.consent_sms, s.consent_whatsapp, s.consent_push) IS NOT NULL
      THEN 'opt_out'
    ELSE 'contact'
  END AS event_type,
  t.amount,
  t.currency,
  t.store,
  t.transaction_id,
  t.original_id,
  s.source,
  s.record_id
FROM {RECORDS} s
LEFT JOIN transactions t ON t.source = s.source AND t.record_id = s.record_id
ORDER BY s.customer_id, ts NULLS LAST, s.source, s.record_id"
    )
}

/// Builds `customer_events` as a DataFrame (not yet executed).
pub async fn events(ctx: &SessionContext) -> Result<DataFrame> {
    crate::joined::ensure_records(ctx).await?;
    ctx.sql(&events_sql()).await.map_err(df("customer_events"))
}
