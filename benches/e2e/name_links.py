#!/usr/bin/env python3
"""Would joining customers by name alone help? A what-if on a built snapshot, scored on truth.

    VENV/bin/python benches/e2e/name_links.py SNAPSHOT_DIR TRUTH_CSV

SNAPSHOT_DIR is a built snapshot (`source_records`, `transactions`, `identity_map`), TRUTH_CSV
the generator's `truth.csv`. Needs `duckdb` (the peers' virtualenv of `run.py` has it).

What the resolver leaves apart on generated data are mostly fragments whose only tie to their
person is a name (see `ceiling.py`). This script adds, on top of the snapshot's customers, the
simplest rules that join by name, and scores each with the same measures as `omni eval`:
pairwise precision / recall / F1 over records, and the share of persons with purchases whose
purchases all sit in one customer that holds no other person's purchases (the condition for
their frequency, monetary and recency to be exactly right). A rule joins two customers when
they are the only two customers carrying a name key:
- `two`: first name and both surnames, exactly;
- `full`: first name and the whole last name, exactly;
- `s1`: first name and first surname;
each also restricted to pairs where one of the two customers has no place (no city and no
postcode on any record): a fragment such as a call-centre contact or an app user.
The truth is used only to score.
"""
import collections
import sys

import duckdb

if len(sys.argv) != 3:
    sys.exit(__doc__)
snap, truth = sys.argv[1], sys.argv[2]
con = duckdb.connect()
rows = con.execute(f"""
select t.person_id, m.customer_id, s.first_name_norm, s.last_name_norm,
       (s.city is not null or s.postcode is not null) as located,
       exists (select 1 from read_parquet('{snap}/transactions.parquet') x
               where x.source = s.source and x.record_id = s.record_id
                 and x.kind = 'purchase') as buys
from read_parquet('{snap}/source_records.parquet') s
join read_csv('{truth}', all_varchar=true) t using (source, record_id)
join read_parquet('{snap}/identity_map.parquet') m using (source, record_id)
""").fetchall()
PERSON, CUSTOMER, FIRST, LAST, LOCATED, BUYS = range(6)
ids = {c: i for i, c in enumerate(sorted({r[CUSTOMER] for r in rows}))}
n = len(ids)
person = [r[PERSON] for r in rows]
cust = [ids[r[CUSTOMER]] for r in rows]
located = [False] * n
keys = collections.defaultdict(set)  # (rule, name key) -> customers carrying it
for r, c in zip(rows, cust):
    located[c] |= r[LOCATED]
    if r[FIRST] and r[LAST]:
        words = r[LAST].split()
        keys[("full", r[FIRST], r[LAST])].add(c)
        keys[("s1", r[FIRST], words[0])].add(c)
        if len(words) >= 2:
            keys[("two", r[FIRST], r[LAST])].add(c)


def evaluate(label, parent):
    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    final = [find(c) for c in cust]
    pair = lambda k: k * (k - 1) // 2  # noqa: E731
    tp = sum(pair(k) for k in collections.Counter(zip(person, final)).values())
    p = tp / sum(pair(k) for k in collections.Counter(final).values())
    r = tp / sum(pair(k) for k in collections.Counter(person).values())
    bought_in = collections.defaultdict(set)
    buyers = collections.defaultdict(set)
    for row, f in zip(rows, final):
        if row[BUYS]:
            bought_in[row[PERSON]].add(f)
            buyers[f].add(row[PERSON])
    exact = sum(len(cs) == 1 and len(buyers[next(iter(cs))]) == 1 for cs in bought_in.values())
    print(f"{label:58s} P {p:.4f}  R {r:.4f}  F1 {2 * p * r / (p + r):.4f}  "
          f"RFM exact {exact / len(bought_in):.2%}  customers {len(set(final))}")


evaluate("as resolved", list(range(n)))
for rule in ("two", "full", "s1"):
    for placeless_only in (False, True):
        parent = list(range(n))

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for key, cs in keys.items():
            if key[0] == rule and len(cs) == 2:
                a, b = sorted(cs)
                if not placeless_only or not (located[a] and located[b]):
                    parent[find(a)] = find(b)
        what = "one side has no place" if placeless_only else "any two"
        evaluate(f"+ the only two customers with a `{rule}` name ({what})", parent)
