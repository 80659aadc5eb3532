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
IDENTIFIERS = range(3, 9)  # email_match … national_id in the query above
NAMED, HAS_PURCHASE = 9, 10


def components(recs):
    """Each record's component: records of one person joined on any shared identifier value."""
    parent = list(range(len(recs)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for col in IDENTIFIERS:
        first = {}
        for i, r in enumerate(recs):
            v = r[col]
            if v is None:
                continue
            if v in first:
                parent[find(i)] = find(first[v])
            else:
                first[v] = i
    comp = [find(i) for i in range(len(recs))]
    named = collections.defaultdict(bool)
    for c, r in zip(comp, recs):
        named[c] |= r[NAMED]
    return comp, named


# RFM: a person's purchases are all in one customer when their purchase records are in one
# component; optimistically, every component with a name can be joined by name matching.
b1 = b2 = tot = 0
# Pairwise recall: true pairs inside one component, and with all named components joined.
tp = inside = inside_named = 0
for recs in by_person.values():
    comp, named = components(recs)
    n = len(recs)
    tp += n * (n - 1) // 2
    sizes = collections.Counter(comp)
    inside += sum(c * (c - 1) // 2 for c in sizes.values())
    big = sum(c for k, c in sizes.items() if named[k])
    inside_named += big * (big - 1) // 2 + sum(c * (c - 1) // 2 for k, c in sizes.items()
                                               if not named[k])
    txc = {c for c, r in zip(comp, recs) if r[HAS_PURCHASE]}
    if not txc:
        continue
    tot += 1
    b1 += len(txc) == 1
    b2 += len({c for c in txc if not named[c]}) + any(named[c] for c in txc) <= 1
print(f"persons with purchases {tot}; all purchase records in one identifier component {b1} "
      f"({b1 / tot:.2%}); optimistic with names {b2} ({b2 / tot:.2%})")
for name, x in (("identifiers only", inside), ("identifiers + every named fragment", inside_named)):
    r = x / tp
    print(f"pairwise recall ceiling, {name}: {r:.4f} (F1 at precision 1: {2 * r / (1 + r):.4f})")
