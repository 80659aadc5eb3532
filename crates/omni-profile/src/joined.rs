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
    let cached = frame.cache().await.map_err(df(name))?;
    ctx.register_table(name, cached.into_view())
        .map_err(df(name))?;
    Ok(())
}

/// Drops the cached views (and their memory) from the session.
pub fn release(ctx: &SessionContext) -> Result<()> {
    for name in [RECORDS, TRANSACTIONS] {
        ctx.deregister_table(name).map_err(df(name))?;
    }
    Ok(())
}
