"""Benchmark `generate_city`: median wall time of ≥3 runs at one size, then one run at 10M entities, with peak RSS.

Run: .venv/bin/python bench/synth_bench.py [--size 1000000] [--runs 3] [--big 10000000] [--out /tmp/synth_bench]
Each run is a fresh process; peak RSS is the peak of the sum over that process and its worker processes (sampled every
0.1 s), and CPU is user+sys of all of them. The machine is shared, so the load average is printed too.
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

import psutil

CHILD = """
import json, sys, time
from shoudai.synth import generate_city
n, seed, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
t0 = time.perf_counter()
r = generate_city(n, seed, out)
rows = {k: v["rows"] for k, v in r.manifest["files"].items()}
print(json.dumps({"wall_s": time.perf_counter() - t0, "rows": rows}))
"""


def run_once(n: int, seed: int, out: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(n), str(seed), str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    me, peak, cpu = psutil.Process(proc.pid), 0, {}
    while proc.poll() is None:
        try:
            tree = [me, *me.children(recursive=True)]
            rss = 0
            for p in tree:
                with p.oneshot():
                    rss += p.memory_info().rss
                    t = p.cpu_times()
                    cpu[p.pid] = t.user + t.system
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.1)
    stdout, stderr = proc.communicate()
    if proc.returncode != 0:
        raise SystemExit(f"generation of {n:,} entities failed:\n{stderr}")
    result = json.loads(stdout.strip().splitlines()[-1])
    result["peak_rss_mb"] = peak / 2**20
    result["cpu_s"] = sum(cpu.values())  # as last sampled: a lower bound by at most 0.1 s per process
    result["bytes"] = sum(p.stat().st_size for p in out.iterdir())
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--big", type=int, default=10_000_000, help="0 to skip the single large run")
    ap.add_argument("--seed", type=int, default=20251)
    ap.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "synth_bench")
    args = ap.parse_args()
    runs = [run_once(args.size, args.seed, args.out) for _ in range(max(3, args.runs))]
    walls = [r["wall_s"] for r in runs]
    print(
        f"{args.size:,} entities: median {statistics.median(walls):.2f} s over {len(runs)} runs "
        f"({', '.join(f'{w:.2f}' for w in walls)}); CPU {statistics.median(r['cpu_s'] for r in runs):.1f} s; "
        f"peak RSS {max(r['peak_rss_mb'] for r in runs):.0f} MB; rows {runs[0]['rows']}; "
        f"{runs[0]['bytes'] / 1e6:.0f} MB written"
    )
    if args.big:
        big = run_once(args.big, args.seed, args.out)
        print(
            f"{args.big:,} entities: {big['wall_s']:.1f} s once; CPU {big['cpu_s']:.1f} s; "
            f"peak RSS {big['peak_rss_mb']:.0f} MB; rows {big['rows']}; {big['bytes'] / 1e9:.2f} GB written"
        )
    shutil.rmtree(args.out, ignore_errors=True)
    load = os.getloadavg()
    print(
        f"load average after: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores (shared machine)"
    )


if __name__ == "__main__":
    main()
