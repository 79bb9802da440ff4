"""The deadline sweep over 1M open need_bank rows on PostgreSQL (target: ≤ 2 s). Run on demand, not in CI.

    .venv/bin/python bench/sweep_bench.py                     # starts a throwaway PostgreSQL via scripts/pg.sh
    .venv/bin/python bench/sweep_bench.py --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Loads `--needs` needs with two banks each (COPY), spreads the running deadlines around `now`, then times
`shoudai.lending.sweep.sweep()` (the set-based statements plus commit) `--runs` times, restoring the flags between
runs, and prints the median. `--overdue` is the share of open clocked tracks already past their deadline.
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy import text
from sqlalchemy.orm import Session

from shoudai import migrate
from shoudai.db import make_engine
from shoudai.lending import sweep

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
BANKS = ["ICBC", "ABC", "BOC", "CCB", "PSBC", "ZYB", "XXRCB", "HXRCB"]
STAGES = [("pushed", 0.60), ("intent", 0.15), ("claimed", 0.05), ("conditions_met", 0.10), ("accepted", 0.10)]


def _plain(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def load(url: str, needs: int, overdue: float, seed: int = 1) -> int:
    """COPY `needs` needs and 2×`needs` open tracks; returns the number of tracks past their deadline."""
    rng = random.Random(seed)
    late = 0
    t0 = time.perf_counter()
    with psycopg.connect(_plain(url)) as conn, conn.cursor() as cur:
        cur.execute("INSERT INTO lending_channel (id, code, name, kind, active, created_at, created_by) "
                    "VALUES (1, 'bench', 'bench', 'poster_campaign', true, now(), 'bench')")
        need_cols = ("id, ref, idempotency_key, kind, channel_id, uscc, name, county_code, amount_wan, term_months, "
                     "purpose, guarantee, recommend_for_me, requested_banks, contact_name_enc, contact_phone_enc, "
                     "phone_bidx, consent_banks, consent_purpose, consent_data, consent_given_at, identity_level, "
                     "status, created_at, created_by, updated_at")
        with cur.copy(f"COPY need ({need_cols}) FROM STDIN") as cp:
            for i in range(1, needs + 1):
                at = NOW - timedelta(days=rng.randint(0, 20))
                cp.write_row((i, f"XQ{i:010d}", f"bench-{i}", "first_loan", 1, f"9241078200{i:08d}", f"商户{i}",
                              "410782", "50.00", 12, "周转", "credit", False, "[]", "x", "x", f"{i:064x}", "[]",
                              "p", "d", at, 1, "open", at, "bench", at))
        nb_cols = ("id, need_id, bank_code, routed_by, stage, pushed_at, answer_due_at, accept_due_at, decide_due_at, "
                   "conditions_met_at, accepted_at, updated_at")
        with cur.copy(f"COPY need_bank ({nb_cols}) FROM STDIN") as cp:
            nid = 0
            for i in range(1, needs + 1):
                for bank in rng.sample(BANKS, 2):
                    nid += 1
                    stage = rng.choices([s for s, _ in STAGES], [w for _, w in STAGES])[0]
                    is_late = rng.random() < overdue
                    # Deadlines fall within the next 10 days, or (late) within the last 3.
                    due = NOW + (timedelta(minutes=-rng.randint(5, 3 * 1440)) if is_late
                                 else timedelta(minutes=rng.randint(5, 10 * 1440)))
                    pushed = due - timedelta(days=3)
                    answer_due = due if stage == "pushed" else pushed + timedelta(days=2)
                    accept_due = due if stage == "conditions_met" else (pushed + timedelta(days=3)
                                                                        if stage == "accepted" else None)
                    decide_due = due if stage == "accepted" else None
                    late += is_late and stage in ("pushed", "conditions_met", "accepted")
                    cp.write_row((nid, i, bank, "chosen", stage, pushed, answer_due, accept_due, decide_due,
                                  pushed if accept_due else None, pushed if decide_due else None, pushed))
        cur.execute("SELECT setval(pg_get_serial_sequence('need', 'id'), %s)", (needs,))
        cur.execute("SELECT setval(pg_get_serial_sequence('need_bank', 'id'), %s)", (2 * needs,))
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE need_bank")
        conn.execute("VACUUM ANALYZE need")
    print(f"loaded {needs:,} needs, {2 * needs:,} open tracks ({late:,} past deadline) in "
          f"{time.perf_counter() - t0:.1f} s", flush=True)
    return late


def reset(url: str) -> None:
    """Undo a sweep (not timed): clear the flags it set and the breaches it wrote."""
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("TRUNCATE breach")
        conn.execute("UPDATE need_bank SET answer_breached = false, accept_breached = false, decide_breached = false "
                     "WHERE answer_breached OR accept_breached OR decide_breached")
        conn.execute("VACUUM ANALYZE need_bank")


def time_sweep(url: str) -> tuple[float, dict[str, int]]:
    engine = make_engine(url)
    try:
        with Session(engine) as s:
            s.execute(text("SELECT 1"))  # connect outside the timing
            t0 = time.perf_counter()
            found = sweep.sweep(s, now=NOW)
            s.commit()
            return time.perf_counter() - t0, found
    finally:
        engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", help="an empty PostgreSQL database URL (default: start a throwaway server)")
    ap.add_argument("--needs", type=int, default=500_000, help="needs to load (two open tracks each)")
    ap.add_argument("--overdue", type=float, default=0.01, help="share of tracks already past their deadline")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    pgdir = None
    url = args.url
    if url is None:
        pgdir = tempfile.mkdtemp(prefix="shoudai-bench-pg.")
        admin = subprocess.run([str(ROOT / "scripts/pg.sh"), "start", pgdir], check=True, capture_output=True,
                               text=True).stdout.strip()
        name = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(_plain(admin), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = admin.rsplit("/", 1)[0] + "/" + name
    try:
        migrate.upgrade(url)
        late = load(url, args.needs, args.overdue)
        times = []
        for run in range(args.runs):
            seconds, found = time_sweep(url)
            assert sum(found.values()) == late, (found, late)
            times.append(seconds)
            print(f"run {run + 1}: {seconds:.3f} s, breaches {found}", flush=True)
            reset(url)
        median = statistics.median(times)
        print(f"median of {args.runs}: {median:.3f} s over {2 * args.needs:,} open tracks "
              f"({late:,} breaches per sweep) — target ≤ 2 s: {'PASS' if median <= 2 else 'FAIL'}")
        return 0 if median <= 2 else 1
    finally:
        if pgdir:
            subprocess.run([str(ROOT / "scripts/pg.sh"), "stop", pgdir], check=False, capture_output=True)


if __name__ == "__main__":
    sys.exit(main())
