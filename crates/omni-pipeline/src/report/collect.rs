//! The report's figures that come from SQL over the staged tables (`profiles`, `rfm`,
//! `identity_map`, `source_records`), run in the build's DataFusion session.

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, Int64Type};
use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;

use super::{ChannelCombo, Coverage, NamedCount, RfmGrid};
use crate::error::{Error, Result};

/// Separates channel names inside one SQL string; channel names come from pipeline files and
/// may hold any printable character, not this control character.
const SEP: &str = "\u{1f}";

async fn rows(ctx: &SessionContext, sql: &str) -> Result<Vec<RecordBatch>> {
    Ok(ctx.sql(sql).await?.collect().await?)
}

/// Column `i` of every batch as i64 (nulls as 0).
fn ints(batches: &[RecordBatch], i: usize) -> Result<Vec<i64>> {
    let mut out = Vec::new();
    for b in batches {
        let c = arrow::compute::cast(b.column(i), &DataType::Int64)
            .map_err(|e| Error::Internal(format!("report query: {e}")))?;
        let c = c.as_primitive::<Int64Type>();
        out.extend((0..c.len()).map(|j| if c.is_null(j) { 0 } else { c.value(j) }));
    }
    Ok(out)
}

/// Column `i` of every batch as strings (nulls as "").
fn strings(batches: &[RecordBatch], i: usize) -> Result<Vec<String>> {
    let mut out = Vec::new();
    for b in batches {
        let c = arrow::compute::cast(b.column(i), &DataType::Utf8)
            .map_err(|e| Error::Internal(format!("report query: {e}")))?;
        let c = c.as_string::<i32>();
        out.extend((0..c.len()).map(|j| {
            if c.is_null(j) {
                String::new()
            } else {
                c.value(j).to_string()
            }
        }));
    }
    Ok(out)
}

fn u(v: i64) -> u64 {
    v.max(0) as u64
}

/// Consent channels of `profiles` (`consent_<channel>` columns).
pub const CONSENT_CHANNELS: [&str; 4] = ["email", "sms", "whatsapp", "push"];

/// Customers with an email, phone, name, address, and with each consent granted.
pub async fn coverage(ctx: &SessionContext) -> Result<Coverage> {
    let has = |cond: &str| format!("CAST(sum(CASE WHEN {cond} THEN 1 ELSE 0 END) AS BIGINT)");
    let mut cols = vec![
        "count(*)".to_string(),
        has("email IS NOT NULL"),
        has("phone IS NOT NULL"),
        has("first_name IS NOT NULL OR last_name IS NOT NULL OR full_name IS NOT NULL"),
        has("address IS NOT NULL"),
    ];
    cols.extend(
        CONSENT_CHANNELS
            .iter()
            .map(|c| has(&format!("consent_{c} IS TRUE"))),
    );
    let b = rows(ctx, &format!("SELECT {} FROM profiles", cols.join(", "))).await?;
    let v: Vec<u64> = (0..cols.len())
        .map(|i| ints(&b, i).map(|x| x.first().copied().map(u).unwrap_or(0)))
        .collect::<Result<_>>()?;
    Ok(Coverage {
        customers: v[0],
        email: v[1],
        phone: v[2],
        name: v[3],
        address: v[4],
        consent: CONSENT_CHANNELS
            .iter()
            .enumerate()
            .map(|(i, c)| (c.to_string(), v[5 + i]))
            .collect(),
    })
}

/// The R × F grid and the customers per RFM segment.
pub async fn rfm_grid(ctx: &SessionContext) -> Result<RfmGrid> {
    let b = rows(
        ctx,
        "SELECT r_score, f_score, count(*) FROM rfm GROUP BY r_score, f_score",
    )
    .await?;
    let (r, f, c) = (ints(&b, 0)?, ints(&b, 1)?, ints(&b, 2)?);
    let mut g = RfmGrid::default();
    for i in 0..c.len() {
        match (r[i], f[i]) {
            (1..=5, 1..=5) => g.cells[r[i] as usize - 1][f[i] as usize - 1] += u(c[i]),
            _ => g.unscored += u(c[i]),
        }
    }
    let b = rows(
        ctx,
        "SELECT coalesce(rfm_segment, '(none)') AS s, count(*) AS n FROM rfm GROUP BY 1 ORDER BY n DESC, s",
    )
    .await?;
    g.segments = strings(&b, 0)?
        .into_iter()
        .zip(ints(&b, 1)?)
        .map(|(name, count)| NamedCount {
            name,
            count: u(count),
        })
        .collect();
    Ok(g)
}

/// Customers per combination of channels (`identity_map` ⋈ `source_records`), most common
/// first, ties by name.
pub async fn channel_overlap(ctx: &SessionContext) -> Result<Vec<ChannelCombo>> {
    let sql = format!(
        "SELECT combo, count(*) AS customers FROM (\
           SELECT m.customer_id, array_to_string(array_sort(array_agg(DISTINCT s.channel)), '{SEP}') AS combo \
           FROM identity_map m JOIN source_records s ON s.source = m.source AND s.record_id = m.record_id \
           GROUP BY m.customer_id) \
         GROUP BY combo ORDER BY customers DESC, combo"
    );
    let b = rows(ctx, &sql).await?;
    Ok(strings(&b, 0)?
        .into_iter()
        .zip(ints(&b, 1)?)
        .map(|(combo, n)| ChannelCombo {
            channels: combo.split(SEP).map(str::to_string).collect(),
            customers: u(n),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ctx() -> SessionContext {
        let ctx = SessionContext::new();
        for sql in [
            "CREATE TABLE profiles AS SELECT * FROM (VALUES \
               ('c1', 'a@x.es', NULL, 'Ana', NULL, NULL, 'Calle 1', true, NULL, false, true), \
               ('c2', NULL, '+34600', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL), \
               ('c3', 'b@x.es', '+34601', NULL, NULL, 'Bea Ruiz', NULL, true, false, NULL, NULL)) \
             AS t(customer_id, email, phone, first_name, last_name, full_name, address, consent_email, consent_sms, consent_whatsapp, consent_push)",
            "CREATE TABLE rfm AS SELECT * FROM (VALUES \
               ('c1', 5, 5, 'Champions'), ('c2', 5, 5, 'Champions'), ('c3', 1, 2, 'Lost'), ('c4', NULL, NULL, NULL)) \
             AS t(customer_id, r_score, f_score, rfm_segment)",
            "CREATE TABLE identity_map AS SELECT * FROM (VALUES \
               ('web', 'w1', 'c1'), ('pos', 'p1', 'c1'), ('web', 'w2', 'c2'), ('pos', 'p2', 'c3'), ('app', 'a1', 'c3')) \
             AS t(source, record_id, customer_id)",
            "CREATE TABLE source_records AS SELECT * FROM (VALUES \
               ('web', 'w1', 'web'), ('pos', 'p1', 'store'), ('web', 'w2', 'web'), ('pos', 'p2', 'store'), ('app', 'a1', 'store')) \
             AS t(source, record_id, channel)",
        ] {
            ctx.sql(sql).await.unwrap().collect().await.unwrap();
        }
        ctx
    }

    #[tokio::test]
    async fn computes_coverage_grid_and_overlap() {
        let ctx = ctx().await;
        let c = coverage(&ctx).await.unwrap();
        assert_eq!(
            (c.customers, c.email, c.phone, c.name, c.address),
            (3, 2, 2, 2, 1)
        );
        assert_eq!(c.consent["email"], 2);
        assert_eq!(c.consent["sms"], 0);
        assert_eq!(c.consent["push"], 1);

        let g = rfm_grid(&ctx).await.unwrap();
        assert_eq!(g.cells[4][4], 2);
        assert_eq!(g.cells[0][1], 1);
        assert_eq!(g.cells.iter().flatten().sum::<u64>(), 3);
        assert_eq!(g.unscored, 1);
        assert_eq!(
            g.segments[0],
            NamedCount {
                name: "Champions".into(),
                count: 2
            }
        );

        let o = channel_overlap(&ctx).await.unwrap();
        // c1: store + web; c2: web; c3: store (two store sources count once).
        assert_eq!(
            o,
            vec![
                ChannelCombo {
                    channels: vec!["store".into()],
                    customers: 1
                },
                ChannelCombo {
                    channels: vec!["store".into(), "web".into()],
                    customers: 1
                },
                ChannelCombo {
                    channels: vec!["web".into()],
                    customers: 1
                },
            ]
        );
    }
}
