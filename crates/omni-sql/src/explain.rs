//! Why records are (or are not) one customer, read back from `identity_edges`.

use std::collections::{HashMap, HashSet, VecDeque};

use arrow::record_batch::RecordBatch;
use datafusion::prelude::SessionContext;
use serde::Serialize;

use crate::error::{Error, Result};

/// A record key: (source, record_id).
pub type Key = (String, String);

/// One link considered between two records.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    pub left: Key,
    pub right: Key,
    pub rule: String,
    pub value: Option<String>,
    pub decision: String,
    pub reason: Option<String>,
}

/// A customer's cluster: its records and every link touching them.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterExplanation {
    pub customer_id: String,
    pub records: Vec<(Key, String)>,
    pub kept: Vec<Link>,
    pub refused: Vec<Link>,
}

/// Two records: their customers, the chain of kept links joining them, or what was refused.
#[derive(Debug, Clone, Serialize)]
pub struct PairExplanation {
    pub a: Key,
    pub b: Key,
    pub customer_a: String,
    pub customer_b: String,
    /// The kept links from `a` to `b` (shortest chain), when they are one customer.
    pub path: Vec<Link>,
    /// Links between the two that were refused (blocked or generic values).
    pub refused: Vec<Link>,
}

fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn texts(b: &RecordBatch, i: usize) -> Result<arrow::array::StringArray> {
    omni_core::text::as_utf8(b.column(i)).map_err(|e| Error::Internal(e.to_string()))
}

async fn links(ctx: &SessionContext, filter: &str) -> Result<Vec<Link>> {
    let (_, batches) = crate::query(
        ctx,
        &format!(
            "SELECT left_source, left_record_id, right_source, right_record_id, rule, value, \
             decision, reason FROM identity_edges WHERE {filter} \
             ORDER BY decision, rule, left_source, left_record_id, right_source, right_record_id"
        ),
    )
    .await?;
    let mut out = Vec::new();
    for b in &batches {
        let c: Vec<_> = (0..8).map(|i| texts(b, i)).collect::<Result<_>>()?;
        for i in 0..b.num_rows() {
            let opt = |a: &arrow::array::StringArray| {
                use arrow::array::Array;
                a.is_valid(i).then(|| a.value(i).to_string())
            };
            out.push(Link {
                left: (c[0].value(i).into(), c[1].value(i).into()),
                right: (c[2].value(i).into(), c[3].value(i).into()),
                rule: c[4].value(i).into(),
                value: opt(&c[5]),
                decision: c[6].value(i).into(),
                reason: opt(&c[7]),
            });
        }
    }
    Ok(out)
}

async fn customer_of(ctx: &SessionContext, key: &Key) -> Result<String> {
    let (_, b) = crate::query(
        ctx,
        &format!(
            "SELECT customer_id FROM identity_map WHERE source = {} AND record_id = {}",
            sql_string(&key.0),
            sql_string(&key.1)
        ),
    )
    .await?;
    match b.iter().find(|b| b.num_rows() > 0) {
        Some(b) => Ok(texts(b, 0)?.value(0).to_string()),
        None => Err(Error::Query {
            message: format!("no record {}:{} in identity_map", key.0, key.1),
        }),
    }
}

/// Explains how a customer's cluster was built.
pub async fn explain_customer(
    ctx: &SessionContext,
    customer_id: &str,
) -> Result<ClusterExplanation> {
    let (_, batches) = crate::query(
        ctx,
        &format!(
            "SELECT m.source, m.record_id, s.channel FROM identity_map m \
             JOIN source_records s ON s.source = m.source AND s.record_id = m.record_id \
             WHERE m.customer_id = {} ORDER BY m.source, m.record_id",
            sql_string(customer_id)
        ),
    )
    .await?;
    let mut records = Vec::new();
    for b in &batches {
        let (s, r, ch) = (texts(b, 0)?, texts(b, 1)?, texts(b, 2)?);
        for i in 0..b.num_rows() {
            records.push((
                (s.value(i).to_string(), r.value(i).to_string()),
                ch.value(i).to_string(),
            ));
        }
    }
    if records.is_empty() {
        return Err(Error::Query {
            message: format!(
                "no customer {customer_id} in this snapshot (ids look like c_0123456789abcdef)"
            ),
        });
    }
    // Links with either end in the cluster: two semi-joins (DataFusion does not plan
    // subqueries under OR), merged without duplicates.
    let members = format!(
        "(SELECT concat(source, chr(31), record_id) FROM identity_map WHERE customer_id = {})",
        sql_string(customer_id)
    );
    let mut all = links(
        ctx,
        &format!("concat(left_source, chr(31), left_record_id) IN {members}"),
    )
    .await?;
    let seen: HashSet<(Key, Key, String)> = all
        .iter()
        .map(|l| (l.left.clone(), l.right.clone(), l.rule.clone()))
        .collect();
    for l in links(
        ctx,
        &format!("concat(right_source, chr(31), right_record_id) IN {members}"),
    )
    .await?
    {
        if !seen.contains(&(l.left.clone(), l.right.clone(), l.rule.clone())) {
            all.push(l);
        }
    }
    let (kept, refused) = all.into_iter().partition(|l| l.decision == "link");
    Ok(ClusterExplanation {
        customer_id: customer_id.to_string(),
        records,
        kept,
        refused,
    })
}

/// Explains why two records are, or are not, one customer.
pub async fn explain_pair(ctx: &SessionContext, a: &Key, b: &Key) -> Result<PairExplanation> {
    let (ca, cb) = (customer_of(ctx, a).await?, customer_of(ctx, b).await?);
    let mut path = Vec::new();
    if ca == cb {
        let cluster = explain_customer(ctx, &ca).await?;
        // Breadth-first search over kept links: the shortest chain of reasons.
        let mut adj: HashMap<&Key, Vec<&Link>> = HashMap::new();
        for l in &cluster.kept {
            adj.entry(&l.left).or_default().push(l);
            adj.entry(&l.right).or_default().push(l);
        }
        let mut prev: HashMap<&Key, &Link> = HashMap::new();
        let mut seen: HashSet<&Key> = HashSet::from([a]);
        let mut queue = VecDeque::from([a]);
        while let Some(k) = queue.pop_front() {
            if k == b {
                break;
            }
            for l in adj.get(k).into_iter().flatten() {
                let next = if &l.left == k { &l.right } else { &l.left };
                if seen.insert(next) {
                    prev.insert(next, l);
                    queue.push_back(next);
                }
            }
        }
        let mut at = b;
        while let Some(l) = prev.get(at) {
            path.push((*l).clone());
            at = if &l.left == at { &l.right } else { &l.left };
        }
        path.reverse();
    }
    let refused = links(
        ctx,
        &format!(
            "decision <> 'link' AND ((left_source = {as_} AND left_record_id = {ar} AND right_source = {bs} AND right_record_id = {br}) \
             OR (left_source = {bs} AND left_record_id = {br} AND right_source = {as_} AND right_record_id = {ar}))",
            as_ = sql_string(&a.0),
            ar = sql_string(&a.1),
            bs = sql_string(&b.0),
            br = sql_string(&b.1)
        ),
    )
    .await?;
    Ok(PairExplanation {
        a: a.clone(),
        b: b.clone(),
        customer_a: ca,
        customer_b: cb,
        path,
        refused,
    })
}
