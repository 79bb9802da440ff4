"""The two lists end to end (issue 2 item 8): agency CSV files → import → build → stored version → CSV exports.

    .venv/bin/python bench/lists_bench.py --entities 10000000 --runs 3
    .venv/bin/python bench/lists_bench.py --entities 1000000 --runs 3 --excel --pandas-entities 1000000
    .venv/bin/python bench/lists_bench.py --entities 200000 --engine spark --runs 1

Each run is a fresh process with a fresh SQLite database and data dir, so its peak RSS is its own. In the same
invocation it times the DuckDB floor (bench/baselines.py: read the three files and anti-join) and reports our median
as a multiple of it; --excel times the per-county workbooks on their own; --pandas-entities times the same rules
written plainly in pandas (bench/pandas_rules.py) against our full path on that city. Medians of --runs runs.
The generated city is cached under --work (generation is not timed).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _city(entities: int, seed: int, work: Path) -> Path:
    from shoudai.synth import generate_city

    out = work / f"city-{entities}-{seed}"
    if not (out / "manifest.json").is_file():
        t = time.perf_counter()
        generate_city(entities, seed, out, xlsx=False)
        print(f"generated {entities:,} entities in {time.perf_counter() - t:.1f}s → {out}", flush=True)
    return out


def _peak_rss_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(own, kids) / 1024


def one_run(city: Path, engine: str, excel: bool, year: int) -> dict:
    """The full path once, in this (fresh) process; returns seconds per stage and the peak RSS."""
    tmp = Path(tempfile.mkdtemp(prefix="lists-bench-", dir=os.environ.get("BENCH_TMP")))
    os.environ["SHOUDAI_DATA_DIR"] = str(tmp / "data")
    os.environ["SHOUDAI_DATABASE_URL"] = f"sqlite:///{tmp / 'shoudai.db'}"
    from shoudai import migrate
    from shoudai.db import session_scope
    from shoudai.registry import export, lists
    from shoudai.registry.importer import import_file

    migrate.upgrade(os.environ["SHOUDAI_DATABASE_URL"])
    times: dict[str, float] = {}
    start = time.perf_counter()
    with session_scope() as session:
        batches = []
        for kind in ("registry", "tax", "credit"):
            t = time.perf_counter()
            batches.append(import_file(session, city / f"{kind}.csv", kind, actor="bench").batch)
            times[f"import_{kind}"] = time.perf_counter() - t
    t = time.perf_counter()
    with session_scope() as session:
        stages: dict[str, float] = {}
        version = lists.build_version(session, year, *batches, engine=engine, actor="bench", timings=stages)
        entries = version.sme_count + version.individual_count
        t_commit = time.perf_counter()
    times["commit"] = time.perf_counter() - t_commit
    times.update({f"build_{k}": v for k, v in stages.items()})
    times["build_total"] = time.perf_counter() - t
    t = time.perf_counter()
    with session_scope() as session:
        export.export_csv(session, year, tmp / "out")
    times["export_csv"] = time.perf_counter() - t
    times["total"] = time.perf_counter() - start
    rss = _peak_rss_mb()
    if excel:
        t = time.perf_counter()
        with session_scope() as session:
            export.export_workbooks(session, year, tmp / "out" / "excel", workers=2)
        times["excel"] = time.perf_counter() - t
    subprocess.run(["rm", "-rf", str(tmp)], check=False)
    return {"times": times, "peak_rss_mb": rss, "entries": entries}


def _child(city: Path, engine: str, excel: bool, year: int) -> dict:
    cmd = [sys.executable, __file__, "--one", str(city), "--engine", engine, "--year", str(year)]
    if excel:
        cmd.append("--excel")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _timed_child(code: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, capture_output=True)
    return time.perf_counter() - t


def _median_report(runs: list[dict]) -> dict[str, float]:
    keys = [k for k in runs[0]["times"] if all(k in r["times"] for r in runs)]
    return {k: statistics.median(r["times"][k] for r in runs) for k in keys}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entities", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--engine", default="duckdb")
    p.add_argument("--year", type=int, default=2025)
    p.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    p.add_argument("--excel", action="store_true", help="also time the per-county workbooks (on their own)")
    p.add_argument("--no-floor", action="store_true")
    p.add_argument("--pandas-entities", type=int, default=0, help="also time plain pandas rules on a city this size")
    p.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.one:
        print(json.dumps(one_run(a.one, a.engine, a.excel, a.year)))
        return

    city = _city(a.entities, a.seed, a.work)
    runs, floors = [], []
    for i in range(a.runs):
        r = _child(city, a.engine, a.excel and i == 0, a.year)
        runs.append(r)
        print(f"run {i + 1}: total {r['times']['total']:.1f}s, peak RSS {r['peak_rss_mb']:.0f} MB, "
              f"{r['entries']:,} entries; " + ", ".join(f"{k} {v:.1f}" for k, v in r["times"].items()), flush=True)
        if not a.no_floor:
            floors.append(_timed_child(f"from bench.baselines import duckdb_floor; duckdb_floor(__import__('pathlib')"
                                       f".Path({str(city)!r}))"))
            print(f"       floor {floors[-1]:.1f}s", flush=True)
    med = _median_report(runs)
    print(f"\n{a.entities:,} entities, engine {a.engine}, median of {a.runs} run(s):")
    for k, v in med.items():
        print(f"  {k:<18} {v:8.2f} s")
    print(f"  peak RSS (median)  {statistics.median(r['peak_rss_mb'] for r in runs):8.0f} MB")
    if floors:
        floor = statistics.median(floors)
        print(f"  DuckDB floor       {floor:8.2f} s   → ours is {med['total'] / floor:.2f}× the floor")
    if a.excel and "excel" in runs[0]["times"]:
        print(f"  Excel workbooks    {runs[0]['times']['excel']:8.2f} s   (one run, 2 workers, not in total)")
    if a.pandas_entities:
        pcity = _city(a.pandas_entities, a.seed, a.work)
        if pcity == city and a.engine == "duckdb":
            ours = med["total"]  # the same city: reuse the runs above
        else:
            ours = statistics.median(_child(pcity, "duckdb", False, a.year)["times"]["total"] for _ in range(a.runs))
        pandas = statistics.median(
            _timed_child(f"from bench.pandas_rules import pandas_rules; pandas_rules(__import__('pathlib')"
                         f".Path({str(pcity)!r}))") for _ in range(a.runs))
        print(f"  pandas rules on {a.pandas_entities:,}: {pandas:.1f}s vs ours (full path) {ours:.1f}s "
              f"→ speed-up {pandas / ours:.1f}×")


if __name__ == "__main__":
    main()
