"""The analyst queries both omnicanal (`omni sql`) and DuckDB run over the same snapshot.

One SQL text per query, valid in both DataFusion and DuckDB; every ORDER BY is total so the
two engines' results can be compared row by row.
"""

QUERIES: dict[str, str] = {
    "top_customers_by_ltv": """
        SELECT customer_id, lifetime_value, orders
        FROM profiles
        WHERE lifetime_value IS NOT NULL
        ORDER BY lifetime_value DESC, customer_id
        LIMIT 100""",
    "rfm_segment_sizes": """
        SELECT rfm_segment, count(*) AS customers, sum(monetary) AS monetary
        FROM rfm
        GROUP BY rfm_segment
        ORDER BY customers DESC, rfm_segment""",
    "channel_mix_per_segment": """
        SELECT r.rfm_segment, t.channel, count(*) AS transactions, sum(t.amount) AS amount
        FROM transactions t
        JOIN identity_map m ON m.source = t.source AND m.record_id = t.record_id
        JOIN rfm r ON r.customer_id = m.customer_id
        GROUP BY r.rfm_segment, t.channel
        ORDER BY r.rfm_segment, t.channel""",
    "whatsapp_consent_at_risk": """
        SELECT p.customer_id, p.phone, r.monetary
        FROM profiles p JOIN rfm r ON r.customer_id = p.customer_id
        WHERE r.rfm_segment = 'At Risk' AND p.consent_whatsapp
        ORDER BY r.monetary DESC, p.customer_id""",
    "revenue_by_month": """
        SELECT date_part('year', t.ts) * 100 + date_part('month', t.ts) AS month,
               count(DISTINCT m.customer_id) AS customers,
               count(*) AS transactions,
               sum(t.amount) AS revenue,
               sum(CASE WHEN p.channel_count >= 3 THEN t.amount ELSE 0 END) AS omnichannel_revenue
        FROM transactions t
        JOIN identity_map m ON m.source = t.source AND m.record_id = t.record_id
        JOIN profiles p ON p.customer_id = m.customer_id
        GROUP BY 1
        ORDER BY 1""",
    "customers_per_store": """
        SELECT t.store, count(DISTINCT m.customer_id) AS customers, count(*) AS tickets
        FROM transactions t
        JOIN identity_map m ON m.source = t.source AND m.record_id = t.record_id
        WHERE t.store IS NOT NULL
        GROUP BY t.store
        ORDER BY customers DESC, t.store""",
}

# The snapshot tables the queries read (DuckDB registers each as a view over its Parquet file).
TABLES = ["profiles", "rfm", "transactions", "identity_map"]
