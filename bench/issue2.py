"""Issue 2's figures in one run: the 10M-entity list build against a bare DuckDB floor, and plain pandas at 1M.

    .venv/bin/python -m bench.issue2 --entities 10000000 --runs 3 --pandas-entities 1000000

Each pipeline run is `shoudai lists build … --out DIR --no-excel` in a fresh process with a fresh data dir and SQLite
database (import, build, store, CSV exports), timed wall-clock with its peak RSS from /usr/bin/time. The per-county
Excel workbooks are timed on their own (`shoudai lists export`). Medians of --runs runs; results also go to JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.baselines import duckdb_floor
from shoudai.synth import generate_city

ROOT = Path(__file__).resolve().parent.parent
SHOUDAI = [str(ROOT / ".venv/bin/shoudai")]


def city(n: int, seed: int, out: Path) -> Path:
    """The generated city for (n, seed), generated once and reused (same seed, same bytes)."""
    d = out / f"city-{n}-{seed}"
    if not (d / "manifest.json").exists():
        t = time.perf_counter()
        generate_city(n, seed, d, xlsx=False)
        print(f"generated {n:,} entities in {time.perf_counter() - t:.1f}s → {d}", flush=True)
    return d


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in MiB, and stdout of one command."""
    with tempfile.NamedTemporaryFile("r") as rss:
        t = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", rss.name, *cmd], env=env, capture_output=True,
                              text=True)
        wall = time.perf_counter() - t
        if proc.returncode != 0:
            sys.exit(f"failed: {' '.join(cmd)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return wall, int(rss.read().strip().splitlines()[-1]) // 1024, proc.stdout


def pipeline(city_dir: Path, work: Path, *, excel: bool = False) -> dict[str, float]:
    """One fresh run of the build (and optionally the workbooks) on SQLite; returns its figures."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    env = {**os.environ, "SHOUDAI_DATA_DIR": str(work / "data"), "SHOUDAI_DATABASE_URL": f"sqlite:///{work}/db.sqlite",
           "COLUMNS": "160"}
    build = [*SHOUDAI, "lists", "build", "--registry", str(city_dir / "registry.csv"), "--tax", str(city_dir / "tax.csv"),
             "--credit", str(city_dir / "credit.csv"), "--year", "2025", "--out", str(work / "out"), "--no-excel"]
    wall, rss, _ = timed(build, env)
    out = {"build_s": wall, "build_rss_mib": rss}
    if excel:
        wall, rss, _ = timed([*SHOUDAI, "lists", "export", "--year", "2025", "--out", str(work / "out")], env)
        out |= {"excel_s": wall, "excel_rss_mib": rss}
    return out


def median_of(runs: int, fn) -> tuple[float, list[float]]:
    values = [fn() for _ in range(runs)]
    return statistics.median(values), values


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entities", type=int, default=10_000_000)
    ap.add_argument("--pandas-entities", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=ROOT / "bench/out")
    ap.add_argument("--skip-pandas", action="store_true")
    args = ap.parse_args()
    report: dict = {"entities": args.entities, "runs": args.runs, "cpus": os.cpu_count()}

    big = city(args.entities, args.seed, args.out)
    report["floor_s"], report["floor_runs"] = median_of(args.runs, lambda: _timed_call(duckdb_floor, big))
    builds = [pipeline(big, args.out / "work", excel=(i == 0)) for i in range(args.runs)]
    report["build_s"] = statistics.median(b["build_s"] for b in builds)
    report["build_runs"] = [round(b["build_s"], 2) for b in builds]
    report["build_peak_rss_mib"] = max(b["build_rss_mib"] for b in builds)
    report["excel_s"], report["excel_rss_mib"] = builds[0]["excel_s"], builds[0]["excel_rss_mib"]
    report["ratio_to_floor"] = report["build_s"] / report["floor_s"]
    print(json.dumps(report, indent=2), flush=True)

    if not args.skip_pandas:
        from bench.pandas_rules import pandas_rules

        small = city(args.pandas_entities, args.seed, args.out)
        report["pandas_entities"] = args.pandas_entities
        report["pandas_s"], report["pandas_runs"] = median_of(args.runs, lambda: _timed_call(pandas_rules, small))
        ours = [pipeline(small, args.out / "work-small")["build_s"] for _ in range(args.runs)]
        report["ours_small_s"], report["ours_small_runs"] = statistics.median(ours), ours
        report["speedup_vs_pandas"] = report["pandas_s"] / report["ours_small_s"]
    shutil.rmtree(args.out / "work", ignore_errors=True)
    shutil.rmtree(args.out / "work-small", ignore_errors=True)
    (args.out / "issue2.json").write_text(json.dumps(report, indent=2))
    print(json.dumps(report, indent=2))


def _timed_call(fn, *a) -> float:
    t = time.perf_counter()
    result = fn(*a)
    took = time.perf_counter() - t
    print(f"  {fn.__name__}: {took:.2f}s → {result}", flush=True)
    return took


if __name__ == "__main__":
    main()
