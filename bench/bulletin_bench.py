"""Monthly bulletin speed (issue 5 item 9): 1M reported loans, 30 banks, 15 units on PostgreSQL.

    .venv/bin/python bench/bulletin_bench.py [--loans 1000000] [--runs 3] [--month 2025-06] [--pg-url URL]

Without --pg-url it starts a throwaway PostgreSQL with scripts/pg.sh (and stops it at the end). It loads the loans
with COPY (plus a 300,000-entry list version and 100,000 211 tracks), runs ANALYZE, then times, median of --runs:
the bulletin's figures (compute_bulletin: every SQL query and the Python roll-up) both from the monthly summary
table (the default path, rebuilt once after the bulk load, timed) and straight from the 1M loans (from_loans=True),
the PDF, and the workbook + CSVs. Targets: figures ≤ 2 s, PDF ≤ 5 s.
"""

from __future__ import annotations

import argparse
import io
import random
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from shoudai import migrate
from shoudai.oversight.bulletin import compute_bulletin
from shoudai.oversight.bulletin_export import subtitle, tables
from shoudai.oversight.exporting import write_csv, write_pdf, write_xlsx
from shoudai.oversight.summary import rebuild_summary
from shoudai.oversight.targets import compute_targets, ensure_default_programme
from shoudai.reference.loaders import banks, reporting_units

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2025, 7, 3, tzinfo=UTC)
START = date(2022, 12, 1)
DAYS = (date(2025, 12, 31) - START).days + 1


def _psycopg_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _copy(conn, table: str, columns: list[str], rows) -> None:
    """COPY rows (tuples; None → NULL) in 50k-row text chunks."""
    import psycopg

    with psycopg.connect(_psycopg_url(conn)) as pg, pg.cursor() as cur:
        with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
            buf = io.StringIO()
            for n, r in enumerate(rows, start=1):
                buf.write("\t".join("\\N" if v is None else str(v) for v in r) + "\n")
                if n % 50_000 == 0:
                    cp.write(buf.getvalue())
                    buf = io.StringIO()
            cp.write(buf.getvalue())
        pg.commit()


def load(url: str, n_loans: int, seed: int = 7) -> None:
    rnd = random.Random(seed)
    units = [u.code for u in reporting_units()]
    bank_codes = [b.code for b in banks()] + [f"VB{i:02d}" for i in range(30 - len(banks()))]
    assert len(bank_codes) == 30 and len(units) == 15
    engine = create_engine(url)
    with engine.begin() as c:
        for kind in ("registry", "tax", "credit"):
            c.execute(text("INSERT INTO import_batch (kind, file_name, sha256, file_format, total_rows, accepted_rows,"
                           " rejected_rows, duplicate_rows, staged_path, actor, created_at) VALUES (:k, :k, :k, 'csv',"
                           " 0, 0, 0, 0, '-', 'bench', now())"), {"k": kind})
        c.execute(text("INSERT INTO list_version (year, engine, registry_batch_id, tax_batch_id, credit_batch_id,"
                       " sme_count, individual_count, new_count, carried_count, removed_count, content_digest,"
                       " built_by, built_at) VALUES (2025, 'duckdb', 1, 2, 3, 0, 0, 0, 0, 0, '0', 'bench', now())"))
    n_entries = 300_000
    t = time.perf_counter()
    _copy(url, "list_entry", ["version_id", "entity_key", "list_kind", "uscc", "name", "entity_kind", "county_code",
                              "tier", "change", "first_listed_year", "reasons"],
          ((1, f"E{i:017d}", "sme", f"E{i:017d}", f"企业{i}", "enterprise", units[i % 15], "A", "new", 2025, "-")
           for i in range(n_entries)))
    ts = NOW.isoformat()

    def loans():
        for i in range(n_loans):
            day = START + timedelta(days=rnd.randrange(DAYS - 190))  # up to mid-2025, like a live system
            listed = rnd.random() < 0.4
            gov = rnd.random() < 0.1
            yield (bank_codes[rnd.randrange(30)], f"C{i:09d}", f"B{i:017d}", None, f"借款人{i}",
                   units[rnd.randrange(15)], day.isoformat(), day.strftime("%Y-%m"), rnd.randrange(10_000, 5_000_000) * 100,
                   12, 38_500, "政府性融资担保" if gov else "信用", "某担保公司" if gov else None,
                   8_000 if gov else None, None, "sme" if listed else None,
                   "first" if rnd.random() < 0.95 else "not_first", "t" if listed else "f", "", "file", 1,
                   "bench", ts, "bench", ts)

    _copy(url, "ov_first_loan", ["bank_code", "contract_no", "borrower_key", "borrower_uscc", "borrower_name",
                                 "county_code", "disbursed_on", "period", "amount_fen", "term_months", "rate_e4",
                                 "guarantee_type", "guarantor", "guarantee_fee_e4", "list_entry_id", "list_kind",
                                 "verdict", "relending_eligible", "findings", "source", "revision", "created_by",
                                 "created_at", "updated_by", "updated_at"], loans())
    # list_entry_id is set after the COPY so the random entry ids above stay valid whatever order the load took
    with engine.begin() as c:
        c.execute(text("UPDATE ov_first_loan SET list_entry_id = 1 + (id % :n) WHERE list_kind IS NOT NULL"),
                  {"n": n_entries})
        c.execute(text("INSERT INTO lending_channel (code, name, kind, active, created_at, created_by)"
                       " VALUES ('bench', 'bench', 'poster', true, now(), 'bench')"))
    _load_tracks(url, rnd, units, bank_codes, 100_000)
    with engine.begin() as c:
        c.execute(text("ANALYZE"))
    engine.dispose()
    print(f"loaded {n_loans:,} loans, {n_entries:,} list entries, 100,000 tracks in {time.perf_counter() - t:.1f}s")


def _load_tracks(url, rnd, units, bank_codes, n) -> None:
    ts = NOW.isoformat()

    def needs():
        for i in range(n):
            yield (i + 1, f"N{i}", f"k{i}", "first_loan", 1, f"U{i:017d}", "x", units[i % 15], 10, 12, "x", "x",
                   "f", "[]", "x", "x", f"p{i}", "[]", "x", "x", ts, 0, "open", ts, "bench", ts)

    _copy(url, "need", ["id", "ref", "idempotency_key", "kind", "channel_id", "uscc", "name", "county_code",
                        "amount_wan", "term_months", "purpose", "guarantee", "recommend_for_me", "requested_banks",
                        "contact_name_enc", "contact_phone_enc", "phone_bidx", "consent_banks", "consent_purpose",
                        "consent_data", "consent_given_at", "identity_level", "status", "created_at", "created_by",
                        "updated_at"], needs())

    def tracks():
        for i in range(n):
            pushed = datetime(2023, 1, 1, tzinfo=UTC) + timedelta(minutes=rnd.randrange(0, 60 * 24 * 900))
            due = pushed + timedelta(days=2)
            answered = pushed + timedelta(hours=rnd.uniform(1, 70))
            yield (i + 1, bank_codes[i % 30], "chosen", "answered", pushed.isoformat(), due.isoformat(),
                   answered.isoformat(), "t" if answered > due else "f", "f", "f", "f", "f", "f", ts)

    _copy(url, "need_bank", ["need_id", "bank_code", "routed_by", "stage", "pushed_at", "answer_due_at", "answered_at",
                             "answer_breached", "accept_breached", "decide_breached", "answer_due_provisional",
                             "accept_due_provisional", "decide_due_provisional", "updated_at"], tracks())


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--loans", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--month", default="2025-06")
    ap.add_argument("--pg-url", default="")
    args = ap.parse_args()
    pgdir = None
    url = args.pg_url
    if not url:
        pgdir = tempfile.mkdtemp(prefix="shoudai-bench-pg.")
        url = subprocess.run([str(ROOT / "scripts/pg.sh"), "start", pgdir], capture_output=True, text=True,
                             check=True).stdout.strip()
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as c:
            c.execute(text("DROP DATABASE IF EXISTS bulletin_bench WITH (FORCE)"))
            c.execute(text("CREATE DATABASE bulletin_bench"))
        admin.dispose()
        db = url.rsplit("/", 1)[0] + "/bulletin_bench"
        migrate.upgrade(db)
        load(db, args.loans)
        engine = create_engine(db)
        with Session(engine) as s:
            p = ensure_default_programme(s, actor="bench", now=NOW)
            compute_targets(s, p.id, int(args.month[:4]), actor="bench", now=NOW)
            t0 = time.perf_counter()
            rebuild_summary(s)
            s.commit()
            print(f"summary rebuilt from all loans in {time.perf_counter() - t0:.2f}s")
            s.execute(text("ANALYZE ov_month_summary"))
            s.commit()
        figures, direct, pdfs, files = [], [], [], []
        out = Path(tempfile.mkdtemp(prefix="bulletin-bench."))
        for _ in range(args.runs):
            with Session(engine) as s:
                t0 = time.perf_counter()
                b = compute_bulletin(s, args.month, now=NOW)
                figures.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                b2 = compute_bulletin(s, args.month, now=NOW, from_loans=True)
                direct.append(time.perf_counter() - t0)
                assert [(ln.code, ln.cum_amount_fen, ln.rank) for ln in b.banks] == \
                    [(ln.code, ln.cum_amount_fen, ln.rank) for ln in b2.banks]
            t = tables(b)
            t0 = time.perf_counter()
            write_pdf(out / "b.pdf", b.title, subtitle(b), t, b.notes)
            pdfs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            write_xlsx(out / "b.xlsx", b.title, subtitle(b), t, b.notes)
            write_csv(out / "by_county.csv", t[0])
            write_csv(out / "by_bank.csv", t[1])
            files.append(time.perf_counter() - t0)
        engine.dispose()
        print(f"{b.title}: {len(b.units)} units, {len(b.banks)} banks; cumulative {b.bank_total.cum_households:,} "
              f"households; 211 data: {b.sla_available}")
        for name, xs, limit in (("figures (summary)", figures, 2.0), ("figures (1M loans)", direct, 2.0),
                                ("pdf", pdfs, 5.0), ("xlsx+csv", files, None)):
            med = statistics.median(xs)
            verdict = "" if limit is None else ("  OK" if med <= limit else f"  OVER {limit}s")
            print(f"{name:19s} median {med:.3f}s  runs {', '.join(f'{x:.3f}' for x in xs)}{verdict}")
    finally:
        if pgdir:
            subprocess.run([str(ROOT / "scripts/pg.sh"), "stop", pgdir], check=False, capture_output=True)


if __name__ == "__main__":
    main()
