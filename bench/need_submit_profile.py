"""Where one need submission's cost goes, in-process (no HTTP): SQL statements and ORM flushes per submission, CPU
and wall per submission, and optionally a cProfile listing. Complements need_submit_bench.py (the load test).

    .venv/bin/python bench/need_submit_profile.py                # 200 submissions, counts and CPU
    .venv/bin/python bench/need_submit_profile.py --profile      # also the 30 costliest functions (CPU time)
    PROFILE_SORT=cumtime PROFILE_N=80 .venv/bin/python bench/need_submit_profile.py --profile   # by cumulative time
    .venv/bin/python bench/need_submit_profile.py --pg-statements  # also PostgreSQL's time per statement

Same set-up as the load test (a throwaway PostgreSQL with fsync on, a list version, prepared one-time codes); the
submissions call the API's own handler body (public_needs._submit), so what is measured is the domain and database
work of the submission, without the web server. Counting hooks are removed before CPU is measured. CPU is
reported per chunk of submissions as the median and the least chunk: on a shared 2-core machine the least moves
far less with other load than the mean does.
"""

from __future__ import annotations

import argparse
import collections
import cProfile
import gc
import os
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The measured submissions run in chunks; the least chunk is the figure least inflated by other work on the machine.
CHUNKS = 10
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


class FakeRequest:
    """What _submit reads from a request: the app (engine, clock) and the client address."""

    def __init__(self, app, addr: str):
        self.app, self.headers = app, {}
        self.client = type("Client", (), {"host": addr})()


def pg_statements(url: str, *, reset: bool, n: int = 1) -> None:
    """Reset pg_stat_statements, or print PostgreSQL's execution time per submission for each statement."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True) as conn:
        if reset:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            conn.execute("SELECT pg_stat_statements_reset()")
            return
        rows = conn.execute("""
            SELECT calls, total_plan_time + total_exec_time, total_plan_time, wal_bytes,
                   left(regexp_replace(query, '\\s+', ' ', 'g'), 80)
            FROM pg_stat_statements WHERE query NOT LIKE '%pg_stat_statements%'
            ORDER BY 2 DESC""").fetchall()
    total = sum(r[1] for r in rows)
    print(f"PostgreSQL time in statements: {total / n:.3f} ms per submission (plan + execute, not protocol or commit)")
    print("  (a statement's time includes the foreign-key checks it fired, which are also listed on their own)")
    for calls, ms, plan_ms, wal, text in rows[:25]:
        print(f"  {calls / n:5.2f} calls {ms / n:6.3f} ms (plan {plan_ms / n:5.3f}) {float(wal) / n:5.0f} WAL bytes  {text}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=200, help="measured submissions (as many again are used for counting)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--history", type=int, default=50_000, help="earlier needs in the database (as the load test)")
    ap.add_argument("--pg-statements", action="store_true",
                    help="also PostgreSQL's own time per statement (pg_stat_statements) over the measured submissions")
    args = ap.parse_args()

    import psycopg
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from bench import needload, pgcluster
    from bench.need_submit_bench import set_up_database, synthetic_businesses
    from shoudai import migrate

    pg_stats = {"shared_preload_libraries": "pg_stat_statements", "pg_stat_statements.track": "all",
                "pg_stat_statements.track_planning": "on"}
    cluster = pgcluster.Cluster(settings=pg_stats if args.pg_statements else None)
    cluster.start()
    try:
        url = cluster.url
        os.environ["SHOUDAI_DATABASE_URL"] = url
        os.environ["SHOUDAI_DATA_DIR"] = tempfile.mkdtemp(prefix="shoudai-need-profile.")
        migrate.upgrade(url)
        entries = synthetic_businesses(20_000, 11, Path(tempfile.gettempdir()) / "shoudai-need-bench-cache")
        set_up_database(url, entries, args.history)
        subs = needload.prepare_bulk(url, [e[0] for e in entries[:2 * args.n + 20]], tag="profile")

        from shoudai.web.api import public_needs
        from shoudai.web.app import create_app

        app = create_app()
        calls = [(FakeRequest(app, s.addr), public_needs._parse(s.body, s.key)) for s in subs]

        def run(batch) -> None:
            for request, sub in batch:
                status, _ = public_needs._submit(request, sub)
                assert status == 201, status

        run(calls[:20])  # warm the caches and the connection pool
        gc.freeze()  # the set-up's objects (the city, the prepared calls) would otherwise slow every collection
        statements, flushes = collections.Counter(), [0]

        def counting(method):
            # Wrapped at the driver: hot statements (shoudai.kit.direct) skip SQLAlchemy's execute events.
            def run(cursor, query, *args, **kwargs):
                statements[" ".join(str(query).split())[:100]] += 1
                return method(cursor, query, *args, **kwargs)
            return run

        def count_flush(*_):
            flushes[0] += 1

        driver = (psycopg.Cursor.execute, psycopg.Cursor.executemany)
        psycopg.Cursor.execute, psycopg.Cursor.executemany = counting(driver[0]), counting(driver[1])
        event.listen(Session, "before_flush", count_flush)
        counted = calls[20:20 + args.n]
        run(counted)
        psycopg.Cursor.execute, psycopg.Cursor.executemany = driver
        event.remove(Session, "before_flush", count_flush)
        n = len(counted)
        print(f"per submission: {sum(statements.values()) / n:.1f} SQL statements, {flushes[0] / n:.1f} ORM flushes")
        for text, k in statements.most_common():
            print(f"  {k / n:4.2f}  {text}")

        measured = calls[20 + args.n:]
        if args.pg_statements:
            pg_statements(url, reset=True)
        profiler = cProfile.Profile(time.process_time) if args.profile else None
        chunk = max(len(measured) // CHUNKS, 1)
        cpus, walls = [], []
        if profiler:
            profiler.enable()
        for i in range(0, len(measured), chunk):
            cpu, wall = time.process_time(), time.perf_counter()
            run(measured[i:i + chunk])
            n_chunk = len(measured[i:i + chunk])
            cpus.append((time.process_time() - cpu) / n_chunk * 1000)
            walls.append((time.perf_counter() - wall) / n_chunk * 1000)
        if profiler:
            profiler.disable()
        note = " (under cProfile: inflated)" if profiler else ""
        print(f"{len(measured)} submissions in {len(cpus)} chunks, per submission{note}: CPU median "
              f"{statistics.median(cpus):.2f} ms, least {min(cpus):.2f} ms; wall median {statistics.median(walls):.2f} "
              f"ms; load average {os.getloadavg()[0]:.2f}")
        if args.pg_statements:
            pg_statements(url, reset=False, n=len(measured))
        if profiler:
            pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "tottime")).print_stats(int(os.environ.get("PROFILE_N", "30")))
        return 0
    finally:
        cluster.stop()


if __name__ == "__main__":
    sys.exit(main())
