#!/usr/bin/env python3
"""What resolution can reach on generated data: ceilings from identifiers alone.

    VENV/bin/python benches/e2e/ceiling.py SNAPSHOT_DIR TRUTH_CSV

SNAPSHOT_DIR is a built snapshot (its `source_records.parquet` and `transactions.parquet`),
TRUTH_CSV the generator's `truth.csv` (source, record_id, person_id). Needs `duckdb` (the peers'
virtualenv of `run.py` has it). For every true person, its records are joined by union-find on
shared identifier values (email match key, phone, loyalty card, account, device, national id)
among that person's records only, as perfect guards would. Printed:
- the share of persons with purchases whose purchase records all fall in one such component
  (RFM can be exact for them from identifiers alone), and the same when every fragment that
  carries a first name is also joined (an optimistic bound for name-based matching);
- the pairwise recall those two joinings give, and the F1 at precision 1.
"""
import collections
import sys

import duckdb

if len(sys.argv) != 3:
    sys.exit(__doc__)
snap_dir, truth = sys.argv[1], sys.argv[2]
snap = f"{snap_dir}/source_records.parquet"
tx = f"{snap_dir}/transactions.parquet"
con = duckdb.connect()
rows = con.execute(f"""
select t.person_id, s.source, s.record_id, s.email_match, s.phone, s.loyalty_card, s.account_id,
       s.device_id, s.national_id, s.first_name_norm is not null as named,
       exists (select 1 from read_parquet('{tx}') x where x.source = s.source
               and x.record_id = s.record_id and x.kind = 'purchase') as has_tx
from read_parquet('{snap}') s
join read_csv('{truth}', all_varchar=true) t on t.source = s.source and t.record_id = s.record_id
""").fetchall()
by_person = collections.defaultdict(list)
for r in rows:
    by_person[r[0]].append(r)
b1 = b2 = tot = 0
for p, recs in by_person.items():
    if not any(r[10] for r in recs):
        continue
    tot += 1
    parent = list(range(len(recs)))
    def f(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]; x = parent[x]
        return x
    for col in range(3, 9):
        first = {}
        for i, r in enumerate(recs):
            v = r[col]
            if v is None: continue
            if v in first: parent[f(i)] = f(first[v])
            else: first[v] = i
    txc = {f(i) for i, r in enumerate(recs) if r[10]}
    if len(txc) == 1: b1 += 1
    # optimistic: components containing a named record can all be joined by names
    comp_named = collections.defaultdict(bool)
    for i, r in enumerate(recs):
        comp_named[f(i)] |= r[9]
    unnamed_tx = {c for c in txc if not comp_named[c]}
    named_tx = {c for c in txc if comp_named[c]}
    if len(unnamed_tx) + (1 if named_tx else 0) <= 1: b2 += 1
print(f"persons with purchases {tot}; all purchase records in one identifier component {b1} ({b1/tot:.2%}); "
      f"optimistic with names {b2} ({b2/tot:.2%})")
# pairwise recall ceiling: true pairs inside one identifier component (perfect guards), and
# optimistic: all named components of a person joined as well.
tp = inside = inside_named = 0
for p, recs in by_person.items():
    n = len(recs)
    tp += n * (n - 1) // 2
    parent = list(range(n))
    def f(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]; x = parent[x]
        return x
    for col in range(3, 9):
        first = {}
        for i, r in enumerate(recs):
            v = r[col]
            if v is None: continue
            if v in first: parent[f(i)] = f(first[v])
            else: first[v] = i
    sizes = collections.Counter(f(i) for i in range(n))
    inside += sum(c * (c - 1) // 2 for c in sizes.values())
    named = collections.defaultdict(bool)
    for i, r in enumerate(recs):
        named[f(i)] |= r[9]
    big = sum(c for k, c in sizes.items() if named[k])
    rest = [c for k, c in sizes.items() if not named[k]]
    inside_named += big * (big - 1) // 2 + sum(c * (c - 1) // 2 for c in rest)
for name, x in (("identifiers only", inside), ("identifiers + every named fragment", inside_named)):
    r = x / tp
    print(f"pairwise recall ceiling, {name}: {r:.4f} (F1 at precision 1: {2*r/(1+r):.4f})")
