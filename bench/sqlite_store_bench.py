"""Storing a version's entries in SQLite (the embedded default): our load against SQLite's own floor.

    .venv/bin/python bench/sqlite_store_bench.py --entities 2000000 --runs 3

Builds (untimed, cached under --work) the lists of a generated city, then times, in fresh processes and alternating,
each a fresh migrated database with one version row, the entries committed:
  - ours:   store.load_parquet as a build calls it (registry/sqlite_load.py: scratch files written through ADBC,
            each copied in by INSERT … SELECT while the next is written);
  - floor:  SQLite's own work only: INSERT … SELECT from an attached plain table written beforehand, untimed, so
            no Python touches a row: what any way of storing the rows in SQLite must at least pay.
Reports medians and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: the bench package's neighbours are imported as bench.*
    sys.path.insert(0, str(ROOT))
MODES = ("ours", "floor")


def _entries(entities: int, seed: int, work: Path) -> Path:
    """entries.parquet of year 2025 of a generated city (built once, then reused)."""
    out = work / f"entries-{entities}-{seed}.parquet"
    if out.is_file():
        return out
    from bench.lists_bench import _city

    city = _city(entities, seed, work)
    tmp = Path(tempfile.mkdtemp(prefix="sqlite-store-", dir=work))
    env = {**os.environ, "SHOUDAI_DATA_DIR": str(tmp / "data"), "SHOUDAI_DATABASE_URL": f"sqlite:///{tmp / 's.db'}"}
    subprocess.run([str(Path(sys.executable).with_name("shoudai")), "lists", "build",
                    "--registry", str(city / "registry.csv"), "--tax", str(city / "tax.csv"),
                    "--credit", str(city / "credit.csv"), "--year", "2025"],
                   check=True, env=env, cwd=ROOT, capture_output=True)
    shutil.move(str(tmp / "data" / "lists" / "2025" / "entries.parquet"), out)
    shutil.rmtree(tmp)
    return out


def _fresh_database(tmp: Path) -> int:
    """A migrated SQLite database in `tmp` (set as the app's) holding one empty version; returns its id."""
    os.environ["SHOUDAI_DATABASE_URL"] = url = f"sqlite:///{tmp / 's.db'}"
    os.environ["SHOUDAI_DATA_DIR"] = str(tmp / "data")
    from bench.pg_copy_bench import _version
    from shoudai import migrate
    from shoudai.db import session_scope

    migrate.upgrade(url)
    with session_scope() as s:
        return _version(s, 2025)


def _write_scratch(src: Path, scratch: Path) -> None:
    """The entries into table `rows` of a plain SQLite file (no journal, no indexes, untyped columns)."""
    import pyarrow.parquet as pq

    f = pq.ParquetFile(src)
    names = f.schema_arrow.names
    con = sqlite3.connect(scratch, isolation_level=None)
    con.execute("PRAGMA journal_mode = OFF")
    con.execute(f"CREATE TABLE rows ({', '.join(names)})")
    con.execute("BEGIN")
    for batch in f.iter_batches(batch_size=100_000):
        con.executemany(f"INSERT INTO rows VALUES ({', '.join('?' * len(names))})",
                        zip(*(c.to_pylist() for c in batch.columns), strict=True))
    con.execute("COMMIT")
    con.close()


def one(mode: str, entries: Path) -> dict:
    """One timed load in this (fresh) process."""
    import pyarrow.parquet as pq

    from shoudai.db import session_scope
    from shoudai.registry import store
    from shoudai.registry.models import ListEntry

    tmp = Path(tempfile.mkdtemp(prefix="sqlite-store-", dir=entries.parent))
    try:
        version_id = _fresh_database(tmp)
        src = tmp / "entries.parquet"
        shutil.copy(entries, src)
        if mode == "floor":
            _write_scratch(src, tmp / "scratch.db")
        names = pq.ParquetFile(src).schema_arrow.names
        started = time.perf_counter()
        with session_scope() as s:
            if mode == "ours":
                n = store.load_parquet(s, ListEntry.__table__, src, {"version_id": version_id})
            else:
                dbapi = s.connection().connection.driver_connection
                dbapi.execute(f"ATTACH DATABASE '{tmp / 'scratch.db'}' AS scratch")
                n = dbapi.execute(f"INSERT INTO list_entry (version_id, {', '.join(names)}) "
                                  f"SELECT ?, {', '.join(names)} FROM scratch.rows ORDER BY rowid",
                                  (version_id,)).rowcount
            loaded = time.perf_counter()
        committed = time.perf_counter()
        return {"mode": mode, "rows": n, "load": loaded - started, "commit": committed - loaded,
                "total": committed - started}
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--entities", type=int, default=2_000_000)
    p.add_argument("--seed", type=int, default=3)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--work", type=Path, default=ROOT / "var" / "bench")
    p.add_argument("--one", nargs=2, help=argparse.SUPPRESS)
    a = p.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], Path(a.one[1]))))
        return
    a.work.mkdir(parents=True, exist_ok=True)
    entries = _entries(a.entities, a.seed, a.work.resolve())
    results: dict[str, list[dict]] = {m: [] for m in MODES}
    for i in range(a.runs):
        for mode in MODES:
            out = subprocess.run([sys.executable, __file__, "--one", mode, str(entries)], check=True,
                                 capture_output=True, text=True, cwd=ROOT)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            results[mode].append(r)
            print(f"run {i + 1} {mode:<6} {r['rows']:,} rows: load {r['load']:.2f}s + commit {r['commit']:.2f}s "
                  f"= {r['total']:.2f}s", flush=True)
    med = {m: statistics.median(r["total"] for r in rs) for m, rs in results.items()}
    rows = results["ours"][0]["rows"]
    print(f"\n{rows:,} entries, median of {a.runs}:")
    for m in MODES:
        print(f"  {m:<6} {med[m]:7.2f} s  {rows / med[m]:>9,.0f} rows/s")
    print(f"  ours takes {med['ours'] / med['floor']:.2f}× SQLite's own floor")


if __name__ == "__main__":
    main()
