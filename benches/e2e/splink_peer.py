"""Peer: Splink 5 (DuckDB backend) deduplicating a snapshot's source_records.parquet.

Run by run.py inside the throw-away virtualenv, as its own process so that its CPU time and
peak RSS are measured apart from everything else:

    python splink_peer.py SNAPSHOT_DIR CLUSTERS.csv TIMINGS.json [--threshold 0.99]

Writes the clusters as `source,record_id,customer_id` (scored by metrics.py, like
omnicanal's identity_map) and a JSON object of phase timings and counts.

The model mirrors omnicanal's identity settings (pipelines/generated.toml and the
`[identity.probabilistic]` defaults): the same compared fields, blocking rules that are the
union of omnicanal's deterministic identifiers (loyalty card, account id, device id, email,
phone) and its probabilistic blocking keys, u estimated by random sampling, m by EM, one
match threshold, connected components.
"""

from __future__ import annotations

import argparse
import json
import logging
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on
from splink.clustering import cluster_pairwise_predictions_at_threshold

# The records Splink sees: omnicanal's normalised columns (the same input its resolver reads),
# one row per source record, keyed `source|record_id`.
PREPARE = """
CREATE TABLE records AS
SELECT
    source || '|' || record_id                      AS unique_id,
    source,
    record_id,
    nullif(first_name_norm, '')                     AS first_name,
    nullif(last_name_norm, '')                      AS surname,
    nullif(split_part(last_name_norm, ' ', 1), '')  AS surname1,
    nullif(left(first_name_norm, 1), '')            AS first_initial,
    birth_date,
    nullif(lower(postcode), '')                     AS postcode,
    nullif(lower(city), '')                         AS city,
    nullif(lower(address), '')                      AS address,
    nullif(email_match, '')                         AS email,
    nullif(split_part(email_match, '@', 1), '')     AS email_local,
    nullif(phone, '')                               AS phone,
    nullif(loyalty_card, '')                        AS loyalty_card,
    nullif(account_id, '')                          AS account_id,
    nullif(device_id, '')                           AS device_id
FROM read_parquet(?)
"""


# omnicanal's deterministic tier: records sharing one of these identifiers are one customer.
# Splink's own deterministic linkage (`deterministic_link`) plays that part here; without it a
# record known by an account id or a loyalty card alone never reaches the match threshold.
# As in omnicanal (`max_records_per_value` in the pipeline file), a value shared by more than
# MAX_PER_VALUE records is generic (test@test.com, 000000000) and links nothing.
DETERMINISTIC = ["loyalty_card", "account_id", "device_id", "email", "phone"]
MAX_PER_VALUE = 40


def settings() -> SettingsCreator:
    return SettingsCreator(
        link_type="dedupe_only",
        comparisons=[
            cl.NameComparison("first_name").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("postcode"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.8]),
            cl.ExactMatch("city").configure(term_frequency_adjustments=True),
            cl.EmailComparison("email"),
            cl.LevenshteinAtThresholds("phone", [1, 2]),
            cl.ExactMatch("loyalty_card"),
            cl.ExactMatch("account_id"),
            cl.ExactMatch("device_id"),
        ],
        blocking_rules_to_generate_predictions=[
            # omnicanal's deterministic identifiers ...
            block_on("loyalty_card"),
            block_on("account_id"),
            block_on("device_id"),
            block_on("email"),
            block_on("phone"),
            # ... and its probabilistic blocking keys.
            block_on("first_name", "surname"),
            block_on("surname1", "postcode"),
            block_on("first_name", "postcode"),
            block_on("first_initial", "surname1", "city"),
            block_on("birth_date"),
            block_on("email_local"),
        ],
        retain_intermediate_calculation_columns=False,
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("snapshot")
    ap.add_argument("clusters_csv")
    ap.add_argument("timings_json")
    ap.add_argument("--threshold", type=float, default=0.99)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    logging.getLogger("splink").setLevel(logging.WARNING)

    phases: dict[str, float] = {}
    t_all = time.perf_counter()

    t = time.perf_counter()
    con = duckdb.connect()
    con.execute(PREPARE, [f"{args.snapshot}/source_records.parquet"])
    n_records = con.execute("SELECT count(*) FROM records").fetchall()[0][0]
    db_api = DuckDBAPI(connection=con)
    df = db_api.register("records")
    linker = Linker(df, settings())
    phases["load"] = time.perf_counter() - t

    t = time.perf_counter()
    linker.training.estimate_probability_two_random_records_match(
        [block_on("email"), block_on("phone"), block_on("loyalty_card"), block_on("account_id")],
        recall=0.8,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6, seed=args.seed)
    for rule in (
        block_on("first_name", "surname"),
        block_on("birth_date"),
        block_on("email"),
        block_on("phone"),
    ):
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    phases["train"] = time.perf_counter() - t

    t = time.perf_counter()
    pairs = linker.inference.predict(threshold_match_probability=args.threshold)
    n_pairs = con.execute(f"SELECT count(*) FROM {pairs.physical_name}").fetchall()[0][0]
    phases["predict"] = time.perf_counter() - t

    t = time.perf_counter()
    guarded = ",\n".join(
        f"CASE WHEN count(*) OVER (PARTITION BY {c}) <= {MAX_PER_VALUE} THEN {c} END AS {c}"
        for c in DETERMINISTIC
    )
    con.execute(f"CREATE TABLE det_records AS SELECT unique_id, {guarded} FROM records")
    det_linker = Linker(
        DuckDBAPI(connection=con).register("det_records"),
        SettingsCreator(
            link_type="dedupe_only",
            blocking_rules_to_generate_predictions=[block_on(c) for c in DETERMINISTIC],
        ),
    )
    det = det_linker.inference.deterministic_link()
    con.execute(
        f"""CREATE TABLE edges AS
            SELECT unique_id_l, unique_id_r FROM {det.physical_name}
            UNION
            SELECT unique_id_l, unique_id_r FROM {pairs.physical_name}"""
    )
    n_det = con.execute(f"SELECT count(*) FROM {det.physical_name}").fetchall()[0][0]
    phases["deterministic"] = time.perf_counter() - t

    t = time.perf_counter()
    clusters = cluster_pairwise_predictions_at_threshold(
        "records", "edges", db_api, node_id_column_name="unique_id"
    )
    out = args.clusters_csv.replace("'", "''")
    con.execute(
        f"""COPY (
            SELECT r.source, r.record_id, 'k_' || CAST(c.cluster_id AS VARCHAR) AS customer_id
            FROM {clusters.physical_name} c JOIN records r ON r.unique_id = c.unique_id
            ORDER BY 1, 2
        ) TO '{out}' (HEADER, DELIMITER ',')"""
    )
    n_clusters = con.execute(
        f"SELECT count(DISTINCT cluster_id) FROM {clusters.physical_name}"
    ).fetchall()[0][0]
    phases["cluster"] = time.perf_counter() - t

    with open(args.timings_json, "w", encoding="utf-8") as f:
        json.dump(
            {
                "phases": phases,
                "total_secs": time.perf_counter() - t_all,
                "records": n_records,
                "pairs_above_threshold": n_pairs,
                "deterministic_pairs": n_det,
                "clusters": n_clusters,
                "threshold": args.threshold,
                "splink_version": __import__("splink").__version__,
                "duckdb_version": duckdb.__version__,
            },
            f,
            indent=1,
        )


if __name__ == "__main__":
    main()
