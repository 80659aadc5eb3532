"""Pairwise and B-cubed precision / recall / F1 of a clustering against ground truth.

The same definitions as `omni eval` (crates/omni-datagen/src/eval.rs): only records present
on both sides count; a pair is predicted when both records share a cluster, true when both
share a person. Both omnicanal's identity_map and Splink's clusters are scored by this one
function, so their figures are comparable. Standard library only.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path


def read_assignments(path: Path, id_column: str) -> dict[tuple[str, str], str]:
    """Reads a CSV `source,record_id,<id_column>` into {(source, record_id): id}."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        missing = {"source", "record_id", id_column} - set(reader.fieldnames or [])
        if missing:
            raise ValueError(
                f"{path}: missing column(s) {sorted(missing)}; expected source,record_id,{id_column}"
            )
        return {(r["source"], r["record_id"]): r[id_column] for r in reader}


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def _prf(p: float, r: float) -> dict[str, float]:
    f1 = 0.0 if p + r == 0 else 2 * p * r / (p + r)
    return {"precision": p, "recall": r, "f1": f1}


def evaluate(predicted: dict[tuple[str, str], str], truth: dict[tuple[str, str], str]) -> dict:
    joint = [(c, truth[k]) for k, c in predicted.items() if k in truth]
    cluster_size = Counter(c for c, _ in joint)
    person_size = Counter(p for _, p in joint)
    cell = Counter(joint)
    correct = sum(_pairs(n) for n in cell.values())
    predicted_pairs = sum(_pairs(n) for n in cluster_size.values())
    true_pairs = sum(_pairs(n) for n in person_size.values())

    def ratio(a: int, b: int) -> float:
        return 1.0 if b == 0 else a / b

    n = len(joint)
    bp = sum(k * k / cluster_size[c] for (c, _), k in cell.items())
    br = sum(k * k / person_size[p] for (_, p), k in cell.items())
    whole = sum(
        1 for (c, p), k in cell.items() if cluster_size[c] == k and person_size[p] == k
    )
    return {
        "records": n,
        "only_in_prediction": len(predicted) - n,
        "only_in_truth": sum(1 for k in truth if k not in predicted),
        "true_persons": len(person_size),
        "predicted_clusters": len(cluster_size),
        "true_pairs": true_pairs,
        "predicted_pairs": predicted_pairs,
        "correct_pairs": correct,
        "pairwise": _prf(ratio(correct, predicted_pairs), ratio(correct, true_pairs)),
        "bcubed": _prf(bp / n, br / n) if n else _prf(1.0, 1.0),
        "persons_resolved_whole": ratio(whole, len(person_size)),
    }
