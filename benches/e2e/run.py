#!/usr/bin/env python3
"""omnicanal end-to-end benchmark, side by side with Splink 5 and DuckDB on the same data.

    python3 benches/e2e/run.py [--sizes 100k,1m] [--with-10m] [--omni PATH] [--resolve-eval PATH]

For each size (source records): `omni datagen`, `omni build` (stage timings from
`--json`), `omni eval`, six analyst queries with `omni sql --format csv`; then the peers on the
same data: Splink 5 + DuckDB deduplicating the snapshot's source_records.parquet, DuckDB
running the same queries over the snapshot's Parquet files. Every tool runs as a child process
whose wall time, CPU time (user + sys) and peak RSS come from os.wait4. Results go to
benches/results/e2e-<size>.json and the "End-to-end harness" section of BENCHMARKS.md.

Python 3.10+, standard library only; Splink and DuckDB are installed into a throw-away
virtualenv outside the repository (default ~/.cache/omnicanal-bench/venv). Generated data
and warehouses go under --work (default ~/.cache/omnicanal-bench/data), never into the repo.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in the repository
HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(HERE))

from metrics import evaluate, read_assignments  # noqa: E402
from queries import QUERIES  # noqa: E402

CACHE = Path.home() / ".cache" / "omnicanal-bench"
PEER_PACKAGES = ["splink>=5,<6", "duckdb"]
BEGIN, END = "<!-- e2e:begin -->", "<!-- e2e:end -->"


class HarnessError(Exception):
    """A problem the user can fix; printed without a traceback."""


def log(msg: str) -> None:
    print(f"[e2e] {msg}", file=sys.stderr, flush=True)


# ── child processes, measured ─────────────────────────────────────────────────────────────


def measured(cmd: list[str], stdout: Path | None = None, cwd: Path | None = None) -> dict:
    """Runs `cmd` and returns its wall time, CPU time and peak RSS (of that child alone)."""
    err_path = (stdout.with_suffix(stdout.suffix + ".err") if stdout else None)
    out_f = open(stdout, "wb") if stdout else subprocess.DEVNULL
    err_f = open(err_path, "wb") if err_path else subprocess.PIPE
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(cmd, stdout=out_f, stderr=err_f, cwd=cwd)
    except FileNotFoundError as e:
        raise HarnessError(f"cannot run `{cmd[0]}`: {e}") from e
    _, status, ru = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    for f in (out_f, err_f):
        if hasattr(f, "close") and f not in (subprocess.DEVNULL, subprocess.PIPE):
            f.close()
    if proc.returncode != 0:
        tail = err_path.read_text(errors="replace")[-2000:] if err_path else ""
        raise HarnessError(
            f"`{' '.join(map(str, cmd))}` exited with {proc.returncode}\n{tail}".rstrip()
        )
    return {
        "wall_secs": round(wall, 4),
        "cpu_secs": round(ru.ru_utime + ru.ru_stime, 4),
        "user_secs": round(ru.ru_utime, 4),
        "sys_secs": round(ru.ru_stime, 4),
        "max_rss_bytes": ru.ru_maxrss * 1024,  # Linux reports KiB
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


# ── setup ─────────────────────────────────────────────────────────────────────────────────


def parse_size(text: str) -> tuple[str, int]:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmM]?)\s*", text)
    if not m:
        raise HarnessError(f"size `{text}`: expected a record count like 20k, 100k, 1m or 250000")
    n = float(m.group(1)) * {"": 1, "k": 1_000, "m": 1_000_000}[m.group(2).lower()]
    if n < 1000:
        raise HarnessError(f"size `{text}`: use at least 1k records")
    label = text.strip().lower()
    return label, int(n)


def pick_omni(given: str | None) -> tuple[Path, str]:
    if given:
        p = Path(given).expanduser().resolve()
        if not (p.is_file() and os.access(p, os.X_OK)):
            raise HarnessError(f"--omni {given}: not an executable file")
    else:
        for prof in ("quick", "release", "debug"):
            p = REPO / "target" / prof / "omni"
            if p.is_file():
                break
        else:
            raise HarnessError(
                "no omni binary under target/{quick,release,debug}; build one "
                "(`cargo build --profile quick -p omni-cli`) or pass --omni PATH"
            )
    profile = next((s for s in ("quick", "release", "debug") if s in p.parts), "unknown")
    if profile == "debug":
        log("!" * 78)
        log(f"WARNING: {p} is a DEBUG build: its timings are NOT comparable with the")
        log("peers. Build `cargo build --profile quick -p omni-cli` for real figures.")
        log("!" * 78)
    return p, profile


def check_outside_repo(path: Path, what: str) -> None:
    path = path.resolve()
    if path == REPO or REPO in path.parents:
        raise HarnessError(
            f"{what} {path} is inside the repository; generated data must live outside it "
            f"(default {CACHE / 'data'})"
        )


def ensure_venv(venv: Path, install: bool) -> Path:
    """The virtualenv's python, with splink 5 and duckdb importable (installing them if asked)."""
    check_outside_repo(venv, "--venv")
    py = venv / "bin" / "python"
    probe = [str(py), "-c", "import splink, duckdb; print(splink.__version__, duckdb.__version__)"]
    if py.exists():
        r = subprocess.run(probe, capture_output=True, text=True)
        if r.returncode == 0 and r.stdout.split()[0].startswith("5."):
            return py
    if not install:
        raise HarnessError(
            f"{venv} has no splink 5 + duckdb; rerun without --no-install or use --no-peers"
        )
    log(f"creating the peers' virtualenv in {venv} (splink 5, duckdb from PyPI)")
    if not py.exists():
        r = subprocess.run([sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True)
        if r.returncode != 0:
            raise HarnessError(
                f"python -m venv {venv} failed (is the venv module installed? "
                f"apt-get install python3-venv):\n{r.stderr}"
            )
    r = subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", *PEER_PACKAGES],
        capture_output=True,
        text=True,
    )
    if r.returncode != 0:
        raise HarnessError(f"pip install {' '.join(PEER_PACKAGES)} failed:\n{r.stderr[-2000:]}")
    r = subprocess.run(probe, capture_output=True, text=True)
    if r.returncode != 0:
        raise HarnessError(f"splink/duckdb still not importable in {venv}:\n{r.stderr[-2000:]}")
    return py


def machine() -> dict:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        m = re.search(r"MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text())
        mem = int(m.group(1)) * 1024 if m else None
    except OSError:
        pass

    def git(*a: str) -> str:
        r = subprocess.run(["git", *a], cwd=REPO, capture_output=True, text=True)
        return r.stdout.strip()

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_bytes": mem,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "commit": git("rev-parse", "HEAD"),
        # The harness's own outputs (results, BENCHMARKS.md) do not make the code dirty.
        "commit_dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", ".",
                                 ":!BENCHMARKS.md", ":!benches/results")),
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    }


def records_per_person(omni: Path, work: Path, seed: int) -> float:
    """Measured with a small run: how many source records one generated person makes."""
    d = work / "calibrate"
    shutil.rmtree(d, ignore_errors=True)
    measured([str(omni), "-q", "datagen", "--persons", "2000", "--seed", str(seed), "--out", str(d)])
    with open(d / "truth.csv", encoding="utf-8") as f:
        rows = sum(1 for _ in f) - 1
    shutil.rmtree(d, ignore_errors=True)
    return rows / 2000


def write_pipeline(data_dir: Path) -> Path:
    """pipelines/generated.toml, pointed at this data directory and its own warehouse."""
    text = (REPO / "pipelines" / "generated.toml").read_text(encoding="utf-8")
    text = text.replace("../data/generated/", "data/")
    text = text.replace("../exports/", "exports/")
    text, n = re.subn(r'(?m)^warehouse = .*$', 'warehouse = "warehouse"', text)
    if n != 1 or "../" in text:
        raise HarnessError(
            "pipelines/generated.toml changed shape (warehouse or ../ paths); "
            "update write_pipeline() in benches/e2e/run.py"
        )
    path = data_dir / "pipeline.toml"
    path.write_text(text, encoding="utf-8")
    return path


# ── comparing query results ───────────────────────────────────────────────────────────────


def _cell(v: str) -> str:
    try:
        return f"{float(v):.6g}"
    except ValueError:
        return v


def same_result(a: Path, b: Path) -> bool:
    la = a.read_text(encoding="utf-8").splitlines()
    lb = b.read_text(encoding="utf-8").splitlines()
    if len(la) != len(lb):
        return False
    return all(
        [_cell(x) for x in ra.split(",")] == [_cell(x) for x in rb.split(",")]
        for ra, rb in zip(la[1:], lb[1:])
    )


# ── one size ──────────────────────────────────────────────────────────────────────────────


def run_size(label: str, target: int, args, omni: Path, profile: str, vpy: Path | None,
             rpp: float) -> dict:
    persons = max(100, round(target / rpp))
    root = (args.work / label).resolve()
    log(f"── {label}: ~{target:,} records → {persons:,} persons (seed {args.seed}) in {root}")
    shutil.rmtree(root, ignore_errors=True)
    (root / "out").mkdir(parents=True)
    data = root / "data"
    out = root / "out"
    res: dict = {"size": label, "target_records": target, "persons": persons, "seed": args.seed,
                 "omni_binary": str(omni), "omni_profile": profile,
                 "comparable": profile != "debug"}

    res["datagen"] = measured([str(omni), "-q", "datagen", "--persons", str(persons), "--seed",
                               str(args.seed), "--out", str(data)])
    truth = data / "truth.csv"
    pipeline = write_pipeline(root)

    log("omni build")
    build = measured([str(omni), "-q", "build", "--json", str(pipeline)], out / "build.json",
                     cwd=root)
    report = json.loads((out / "build.json").read_text())
    snapshot = Path(report["snapshot"])
    snapshot = snapshot if snapshot.is_absolute() else (root / snapshot)
    wh = root / "warehouse"
    res["records"] = report["identity"]["records"]
    res["customers"] = report["identity"]["customers"]
    res["omni"] = {
        "build": build,
        "stages": report.get("stages", []),
        "tables": report.get("tables", {}),
    }
    log(f"  {res['records']:,} records → {res['customers']:,} customers in "
        f"{build['wall_secs']:.1f} s, peak RSS {build['max_rss_bytes'] / 2**20:.0f} MiB")

    ev = measured([str(omni), "-q", "eval", "--warehouse", str(wh), "--truth", str(truth),
                   "--format", "json", "--top", "3"], out / "eval.json")
    omni_eval = json.loads((out / "eval.json").read_text())
    measured([str(omni), "-q", "sql", "--warehouse", str(wh), "--format", "csv", "-o",
              str(out / "identity_map.csv"),
              "SELECT source, record_id, customer_id FROM identity_map"])
    truth_map = read_assignments(truth, "person_id")
    ours = evaluate(read_assignments(out / "identity_map.csv", "customer_id"), truth_map)
    agree = abs(ours["pairwise"]["f1"] - omni_eval["pairwise"]["f1"]) < 1e-9
    if not agree:
        log(f"WARNING: metrics.py F1 {ours['pairwise']['f1']} != omni eval "
            f"{omni_eval['pairwise']['f1']}")
    res["omni"]["eval"] = {"run": ev, "metrics": ours, "omni_eval_pairwise_f1":
                           omni_eval["pairwise"]["f1"], "metrics_agree_with_omni_eval": agree}

    if args.resolve_eval:
        log("resolve-eval (the identity engine alone)")
        rv = measured([str(args.resolve_eval), str(pipeline), str(snapshot), str(truth)],
                      out / "resolve-eval.json")
        res["resolve_eval"] = {"run": rv, "output": json.loads((out / "resolve-eval.json").read_text())}

    log("analyst queries (omni sql)")
    res["queries"] = {}
    for name, sql in QUERIES.items():
        runs = [measured([str(omni), "-q", "sql", "--warehouse", str(wh), "--format", "csv",
                          "-o", str(out / f"q_{name}.omni.csv"), sql])
                for _ in range(args.repeat)]
        res["queries"][name] = {"omni": summarize(runs)}

    if vpy:
        log("peer: Splink 5 + DuckDB (deduplication)")
        sp = measured([str(vpy), "-B", str(HERE / "splink_peer.py"), str(snapshot),
                       str(out / "splink_clusters.csv"), str(out / "splink.json"),
                       "--threshold", str(args.splink_threshold), "--seed", str(args.seed)],
                      out / "splink.log")
        inner = json.loads((out / "splink.json").read_text())
        sm = evaluate(read_assignments(out / "splink_clusters.csv", "customer_id"), truth_map)
        res["splink"] = {"run": sp, "inner": inner, "metrics": sm}
        resolve = next((s for s in res["omni"]["stages"] if s["stage"] == "resolve"), None)
        res["ratios"] = {
            "build_wall_vs_splink": ratio(build["wall_secs"], sp["wall_secs"]),
            "build_cpu_vs_splink": ratio(build["cpu_secs"], sp["cpu_secs"]),
            "build_rss_vs_splink": ratio(build["max_rss_bytes"], sp["max_rss_bytes"]),
            "resolve_stage_wall_vs_splink": ratio(resolve["wall_secs"], sp["wall_secs"])
            if resolve else None,
            "pairwise_f1_omni": round(ours["pairwise"]["f1"], 4),
            "pairwise_f1_splink": round(sm["pairwise"]["f1"], 4),
        }
        if "resolve_eval" in res:
            res["ratios"]["resolve_eval_wall_vs_splink"] = ratio(
                res["resolve_eval"]["run"]["wall_secs"], sp["wall_secs"])
        log(f"  Splink: {sp['wall_secs']:.1f} s, F1 {sm['pairwise']['f1']:.3f} "
            f"(omnicanal {ours['pairwise']['f1']:.3f})")

        log("peer: DuckDB (analyst queries)")
        for name in QUERIES:
            runs, inner_secs = [], []
            for _ in range(args.repeat):
                runs.append(measured([str(vpy), "-B", str(HERE / "duckdb_peer.py"), str(snapshot), name,
                                      str(out / f"q_{name}.duckdb.csv"),
                                      str(out / f"q_{name}.duckdb.json")]))
                inner_secs.append(json.loads((out / f"q_{name}.duckdb.json").read_text())["query_secs"])
            q = res["queries"][name]
            q["duckdb"] = summarize(runs)
            q["duckdb"]["query_secs_in_process"] = round(statistics.median(inner_secs), 4)
            q["same_result"] = same_result(out / f"q_{name}.omni.csv", out / f"q_{name}.duckdb.csv")
            q["ratio_wall"] = ratio(q["omni"]["wall_secs"], q["duckdb"]["wall_secs"])
            q["ratio_wall_vs_in_process"] = ratio(q["omni"]["wall_secs"],
                                                  q["duckdb"]["query_secs_in_process"])
            if not q["same_result"]:
                log(f"WARNING: query {name}: omnicanal and DuckDB results differ "
                    f"(see {out}/q_{name}.*.csv)")
        tot = lambda k: sum(q[k]["wall_secs"] for q in res["queries"].values())  # noqa: E731
        res["ratios"]["queries_wall_vs_duckdb"] = ratio(tot("omni"), tot("duckdb"))
        res["ratios"]["queries_wall_vs_duckdb_in_process"] = ratio(
            tot("omni"), sum(q["duckdb"]["query_secs_in_process"] for q in res["queries"].values()))
    return res


def summarize(runs: list[dict]) -> dict:
    """The median of repeated runs, per measure."""
    return {k: round(statistics.median(r[k] for r in runs), 4) for k in runs[0]} | {
        "repeats": len(runs)}


# ── BENCHMARKS.md ─────────────────────────────────────────────────────────────────────────


def mib(b: float) -> str:
    return f"{b / 2**20:,.0f} MiB"


def render(results: list[dict]) -> str:
    if not results:
        return "No results yet: run `python3 benches/e2e/run.py`.\n"
    m = results[0]["machine"]
    lines = [
        f"Machine: {m['cores']} cores, {m['memory_bytes'] / 2**30:.1f} GiB RAM, {m['os']}; the "
        "host's CPU model changes between sessions (named per size: compare sizes run on one "
        "model). Raw figures: `benches/results/e2e-<size>.json`. Per size:",
        "",
    ]
    for r in results:
        rm = r["machine"]
        lines.append(
            f"- {r['size']}: commit `{rm['commit'][:10]}`"
            f"{' (with local changes)' if rm['commit_dirty'] else ''}, {rm['date'][:10]}, "
            f"{rm['cpu']}, omni `{r['omni_profile']}` profile"
            + (" — **debug build: its timings are not comparable**" if not r["comparable"] else ""))
    lines += [
        "",
        "| records | persons | stage | wall | CPU | peak RSS |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        head = f"| {r['records']:,} | {r['persons']:,} "
        rows = [("datagen", r["datagen"])] + [(s["stage"], s) for s in r["omni"]["stages"]] + [
            ("**omni build (process)**", r["omni"]["build"])]
        if "resolve_eval" in r:
            rows.append(("resolve-eval (resolver alone)", r["resolve_eval"]["run"]))
        if "splink" in r:
            rows.append(("**Splink 5 + DuckDB (dedupe)**", r["splink"]["run"]))
        for i, (name, s) in enumerate(rows):
            lines.append((head if i == 0 else "| | ") + f"| {name} | {s['wall_secs']:.2f} s | "
                         f"{s['cpu_secs']:.2f} s | {mib(s['max_rss_bytes'])} |")
    lines += ["", "Accuracy (pairwise and B-cubed F1 against the generator's truth, one metric "
              "function for both; omnicanal's figure matches `omni eval`):", "",
              "| records | omnicanal pairwise P / R / F1 | B-cubed F1 | Splink pairwise P / R / F1 | B-cubed F1 | build ÷ Splink (wall) | resolve stage ÷ Splink (wall) |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        o = r["omni"]["eval"]["metrics"]
        s = r.get("splink", {}).get("metrics")
        prf = lambda x: "{precision:.3f} / {recall:.3f} / {f1:.3f}".format(**x["pairwise"])  # noqa: E731
        lines.append(
            f"| {r['records']:,} | {prf(o)} | {o['bcubed']['f1']:.3f} | "
            + (f"{prf(s)} | {s['bcubed']['f1']:.3f} | {r['ratios']['build_wall_vs_splink']} | "
               f"{r['ratios']['resolve_stage_wall_vs_splink']}" if s else "– | – | – | –") + " |")
    lines += ["", "Analyst queries (median of repeats; each run is one process: `omni sql` vs "
              "`python duckdb_peer.py`, whose in-process DuckDB time is also shown):", "",
              "| records | query | omni sql | DuckDB process | DuckDB in-process | ratio (omni ÷ DuckDB process) | same result |",
              "|---|---|---|---|---|---|---|"]
    for r in results:
        for i, (name, q) in enumerate(r["queries"].items()):
            d = q.get("duckdb")
            lines.append(
                (f"| {r['records']:,} " if i == 0 else "| ") + f"| {name} | {q['omni']['wall_secs']:.3f} s | "
                + (f"{d['wall_secs']:.3f} s | {d['query_secs_in_process']:.3f} s | {q['ratio_wall']} | "
                   f"{'yes' if q['same_result'] else '**no**'} |" if d else "– | – | – | – |"))
    return "\n".join(lines) + "\n"


def update_benchmarks(results_dir: Path, bench_md: Path) -> None:
    results = []
    for p in results_dir.glob("e2e-*.json"):
        results.append(json.loads(p.read_text()))
    results.sort(key=lambda r: r["records"])
    block = f"{BEGIN}\n{render(results)}{END}"
    text = bench_md.read_text(encoding="utf-8") if bench_md.exists() else "# Benchmarks\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n## End-to-end harness (`benches/e2e/run.py`)\n\n" + block + "\n"
    bench_md.write_text(text, encoding="utf-8")
    log(f"updated {bench_md}")


# ── main ──────────────────────────────────────────────────────────────────────────────────


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100k,1m",
                    help="record counts, comma-separated (default 100k,1m)")
    ap.add_argument("--with-10m", action="store_true", help="also run 10m records")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--omni", help="the omni binary (default target/quick, release, then debug)")
    ap.add_argument("--resolve-eval", type=Path,
                    help="also time this resolve-eval binary (the resolver alone) per size")
    ap.add_argument("--work", type=Path, default=CACHE / "data",
                    help="where data and warehouses go, outside the repo (default %(default)s)")
    ap.add_argument("--venv", type=Path, default=CACHE / "venv",
                    help="the peers' virtualenv (default %(default)s)")
    ap.add_argument("--no-install", action="store_true",
                    help="fail instead of creating the virtualenv / installing the peers")
    ap.add_argument("--no-peers", action="store_true", help="omnicanal only, no Splink/DuckDB")
    ap.add_argument("--splink-threshold", type=float, default=0.99,
                    help="Splink's match probability threshold (omnicanal's default is 0.999)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per query (median kept)")
    ap.add_argument("--results", type=Path, default=HERE.parent / "results",
                    help="where e2e-<size>.json go (default benches/results)")
    ap.add_argument("--benchmarks-md", type=Path, default=REPO / "BENCHMARKS.md",
                    help="the file whose end-to-end section is rewritten")
    ap.add_argument("--no-update", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = ap.parse_args()
    try:
        sizes = [parse_size(s) for s in args.sizes.split(",") if s.strip()]
        if args.with_10m and "10m" not in [s[0] for s in sizes]:
            sizes.append(parse_size("10m"))
        if not sizes:
            raise HarnessError("--sizes is empty; e.g. --sizes 100k,1m")
        if args.repeat < 1:
            raise HarnessError("--repeat must be at least 1")
        if args.resolve_eval and not os.access(args.resolve_eval, os.X_OK):
            raise HarnessError(f"--resolve-eval {args.resolve_eval}: not an executable file "
                               "(build it: cargo build --profile quick -p omni-harness)")
        check_outside_repo(args.work, "--work")
        args.work.mkdir(parents=True, exist_ok=True)
        omni, profile = pick_omni(args.omni)
        vpy = None if args.no_peers else ensure_venv(args.venv, not args.no_install)
        info = machine()
        rpp = records_per_person(omni, args.work, args.seed)
        log(f"{rpp:.2f} source records per person (measured on 2,000 persons)")
        args.results.mkdir(parents=True, exist_ok=True)
        for label, target in sizes:
            res = run_size(label, target, args, omni, profile, vpy, rpp)
            res["machine"] = info
            res["records_per_person"] = rpp
            path = args.results / f"e2e-{label}.json"
            path.write_text(json.dumps(res, indent=1) + "\n", encoding="utf-8")
            log(f"wrote {path}")
        if not args.no_update:
            update_benchmarks(args.results, args.benchmarks_md)
    except HarnessError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
