"""Peer: DuckDB running one analyst query (queries.py) over a snapshot's Parquet files.

Run by run.py inside the throw-away virtualenv, one process per query like `omni sql`:

    python duckdb_peer.py SNAPSHOT_DIR QUERY_NAME OUT.csv TIMINGS.json

Writes the result as CSV (compared with omnicanal's) and {"query_secs": ...}: the time from
connecting to the CSV being written, i.e. without the Python interpreter's start.
"""

from __future__ import annotations

import json
import sys
import time

import duckdb

from queries import QUERIES, TABLES


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit("usage: duckdb_peer.py SNAPSHOT_DIR QUERY_NAME OUT.csv TIMINGS.json")
    snapshot, name, out, timings = sys.argv[1:]
    if name not in QUERIES:
        sys.exit(f"unknown query `{name}`; known: {', '.join(QUERIES)}")
    t = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")  # omnicanal's timestamps are UTC
    for table in TABLES:
        path = f"{snapshot}/{table}.parquet".replace("'", "''")
        con.execute(f"CREATE VIEW {table} AS SELECT * FROM read_parquet('{path}')")
    target = out.replace("'", "''")
    con.execute(f"COPY ({QUERIES[name]}) TO '{target}' (HEADER, DELIMITER ',')")
    elapsed = time.perf_counter() - t
    with open(timings, "w", encoding="utf-8") as f:
        json.dump({"query_secs": elapsed, "duckdb_version": duckdb.__version__}, f)


if __name__ == "__main__":
    main()
