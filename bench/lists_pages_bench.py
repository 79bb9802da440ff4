"""Issue 3 item 9: the list pages over 3M list entries in PostgreSQL (county officer, bank, loan officer).

    .venv/bin/python bench/lists_pages_bench.py --entries 3000000 --requests 60 [--pgdir /tmp/shoudai-bench-pg]

Starts a throwaway PostgreSQL (scripts/pg.sh), loads one list version of N entries spread over the 15 reporting units
with generate_series (server side, so loading is not what is measured), then signs in as the demo county officer
(410702) and times whole requests through the app in-process (routing, scope check, queries, template): an upper
bound on server time. Reports p50/p95 per page, the bank's pool page; also times a bank's bulk claim of 10,000 entries,
then assigns them all to the demo loan officer, records --contacts contacts over them and times the bank's claims page
and the officer's work queue.

--pgdir DIR keeps the cluster in DIR: the first run loads it, later runs start it again, apply any new migration
(e.g. an index) to the loaded entries and skip the load; the claims of an earlier run are deleted first. Remove DIR
with `scripts/pg.sh stop DIR` when done.
"""

from __future__ import annotations

import argparse
import glob
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

LOAD = """
INSERT INTO import_batch (id, kind, file_name, sha256, file_format, encoding, total_rows, accepted_rows, rejected_rows,
                          duplicate_rows, staged_path, actor, created_at)
SELECT i, k, k || '.csv', md5(k), 'csv', 'utf-8', 0, 0, 0, 0, '/dev/null', 'bench', now()
FROM (VALUES (1, 'registry'), (2, 'tax'), (3, 'credit')) AS b(i, k);
INSERT INTO list_version (id, year, engine, registry_batch_id, tax_batch_id, credit_batch_id, sme_count,
                          individual_count, new_count, carried_count, removed_count, content_digest, built_by, built_at)
VALUES (1, 2026, 'duckdb', 1, 2, 3, 0, 0, 0, 0, 0, 'bench', 'bench', now());
INSERT INTO list_entry (version_id, entity_key, list_kind, uscc, name, entity_kind, county_code, industry_code,
                        industry_section, address, legal_rep_masked, tier, size_class, change, first_listed_year, reasons)
SELECT 1, 'K' || lpad(g::text, 17, '0'),
       CASE WHEN g % 10 < 7 THEN 'individual' ELSE 'sme' END,
       'K' || lpad(g::text, 17, '0'),
       '新乡市测试商户' || g || CASE WHEN g % 10 < 7 THEN '便利店' ELSE '有限公司' END,
       CASE WHEN g % 10 < 7 THEN 'individual' ELSE 'enterprise' END,
       (ARRAY['410702','410703','410704','410711','410721','410724','410725','410726','410727','410771','410772',
              '410773','410781','410782','410783'])[1 + g % 15],
       (ARRAY['F5211','H6210','C1713','O8011','E4811'])[1 + g % 5],
       (ARRAY['F','H','C','O','E'])[1 + g % 5],
       (ARRAY['东街','西街','南关','北站','新华路','平原路'])[1 + g % 6] || (g % 300) || '号',
       '张*', (ARRAY['A','B','C'])[1 + g % 3],
       CASE WHEN g % 10 < 7 THEN NULL ELSE 'small' END,
       CASE WHEN g % 4 = 0 THEN 'new' ELSE 'carried' END, 2025,
       '登记状态：存续；纳税：正常；征信：无贷款及票据贴现记录'
FROM generate_series(1, %(n)s) AS g;
ANALYZE;
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p * (len(values) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", type=int, default=3_000_000)
    ap.add_argument("--requests", type=int, default=60)
    ap.add_argument("--contacts", type=int, default=50_000, help="contacts recorded over the bank's claims")
    ap.add_argument("--pgdir", help="keep the PostgreSQL cluster with its loaded entries in this directory and reuse it")
    args = ap.parse_args()
    if args.pgdir and Path(args.pgdir, "data").is_dir():
        url = restart_kept(args.pgdir)
    else:
        pgdir = args.pgdir or tempfile.mkdtemp(prefix="shoudai-bench-pg-")
        url = subprocess.run([str(ROOT / "scripts/pg.sh"), "start", pgdir], capture_output=True, text=True,
                             check=True).stdout.strip()
    try:
        run(url, args)
    finally:
        if args.pgdir:
            _pg_ctl(args.pgdir, "-m", "fast", "-w", "stop")
        else:
            subprocess.run([str(ROOT / "scripts/pg.sh"), "stop", pgdir], check=False, capture_output=True)


def _pg_ctl(pgdir: str, *args: str) -> None:
    bin_dir = max(glob.glob("/usr/lib/postgresql/*/bin"))
    as_pg = ["runuser", "-u", "postgres", "--"] if os.getuid() == 0 else []  # as scripts/pg.sh does
    subprocess.run([*as_pg, f"{bin_dir}/pg_ctl", "-D", f"{pgdir}/data", *args], check=True,
                   stdout=subprocess.DEVNULL)


def restart_kept(pgdir: str) -> str:
    """Start a cluster an earlier run kept (same settings as scripts/pg.sh) on a free port; returns its URL."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    _pg_ctl(pgdir, "-l", f"{pgdir}/data/server.log", "-w", "-o",
            f"-p {port} -k {pgdir} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "
            "-c max_connections=200", "start")
    return f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"


def run(url: str, args) -> None:
    os.environ["SHOUDAI_DATABASE_URL"] = url
    os.environ["SHOUDAI_DATA_DIR"] = tempfile.mkdtemp(prefix="shoudai-bench-data-")
    from fastapi.testclient import TestClient
    from sqlalchemy import text

    from api.conftest import Clock, login, page_token
    from shoudai import migrate
    from shoudai.accounts.demo import seed_demo_accounts
    from shoudai.db import session_scope
    from shoudai.web.app import create_app

    t = time.perf_counter()
    migrate.upgrade(url)  # on a kept cluster: builds a new migration's indexes over the loaded entries
    print(f"migrated in {time.perf_counter() - t:.1f}s", flush=True)
    t = time.perf_counter()
    app = create_app(migrate_db=False)
    with app.state.engine.begin() as conn:
        loaded = conn.execute(text("SELECT count(*) FROM list_entry WHERE version_id = 1")).scalar()
        conn.execute(text("DELETE FROM outreach_contact"))  # an earlier run's contacts and bulk claim
        conn.execute(text("DELETE FROM outreach_claim"))
    if loaded:
        print(f"reusing {loaded:,} loaded list entries", flush=True)
    else:
        raw = app.state.engine.raw_connection()
        try:
            with raw.cursor() as cur:  # no parameters: psycopg leaves the SQL's % operators alone
                cur.execute(LOAD.replace("%(n)s", str(args.entries)))
            raw.commit()
        finally:
            raw.close()
        print(f"loaded {args.entries:,} list entries in {time.perf_counter() - t:.1f}s", flush=True)
    from datetime import UTC, datetime

    with session_scope(app.state.engine) as s:
        seed_demo_accounts(s, now=datetime.now(UTC))
    clock = Clock(datetime.now(UTC))
    county = TestClient(app)
    assert login(county, "county410702", clock).status_code == 303
    with app.state.engine.connect() as conn:
        keys = [k for (k,) in conn.execute(text(
            "SELECT entity_key FROM list_entry WHERE county_code = '410702' ORDER BY random() LIMIT :n"),
            {"n": args.requests})]
    pages = {
        "list page, no filter": lambda i: "/lists/entries?year=2026",
        "list page, tier+kind": lambda i: "/lists/entries?year=2026&tier=A&list_kind=sme",
        "list page, address text": lambda i: "/lists/entries?year=2026&address=新华路",
        "list page, industry": lambda i: "/lists/entries?year=2026&section=F",
        "list page, change": lambda i: "/lists/entries?year=2026&change=new",
        "list page, page 40": lambda i: "/lists/entries?year=2026&page=40",
        "entity page": lambda i: f"/lists/entity?key={keys[i % len(keys)]}",
    }
    print(f"{'page':26s} {'p50 ms':>8s} {'p95 ms':>8s}   ({args.requests} requests, county officer 410702)")
    time_pages(county, pages, args.requests)

    bank = TestClient(app)
    assert login(bank, "bankhq", Clock(datetime.now(UTC))).status_code == 303  # a fresh TOTP step
    token = page_token(bank, "/lists/pool")
    t = time.perf_counter()
    r = bank.post("/lists/claim-bulk", data={"csrf_token": token, "year": "2026", "county": "410702", "limit": "10000"},
                  follow_redirects=False)
    took = time.perf_counter() - t
    with app.state.engine.connect() as conn:
        claimed = conn.execute(text("SELECT count(*) FROM outreach_claim")).scalar()
    print(f"bulk claim: {claimed:,} entries claimed in {took:.2f}s (HTTP {r.status_code})")
    # The pool after the claim: 410702's first 10,000 keys are held, so its page must skip past them.
    print(f"{'page':26s} {'p50 ms':>8s} {'p95 ms':>8s}   ({args.requests} requests, bank HQ, whole city)")
    time_pages(bank, {
        "pool, no filter": lambda i: "/lists/pool?year=2026",
        "pool, county 410702": lambda i: "/lists/pool?year=2026&county=410702",
        "pool, county+tier+kind": lambda i: "/lists/pool?year=2026&county=410702&tier=A&list_kind=sme",
    }, args.requests)
    contacts = record_work(app, args.contacts)
    officer = TestClient(app)
    assert login(officer, "officer", Clock(datetime.now(UTC))).status_code == 303
    print(f"{'page':26s} {'p50 ms':>8s} {'p95 ms':>8s}   ({args.requests} requests, "
          f"{claimed:,} claims, {contacts:,} contacts)")
    time_pages(bank, {"bank's claims": lambda i: "/lists/claims",
                      "bank's claims, page 20": lambda i: "/lists/claims?page=20"}, args.requests)
    time_pages(officer, {"officer's queue": lambda i: "/lists/queue",
                         "officer's queue, page 20": lambda i: "/lists/queue?page=20"}, args.requests)


def record_work(app, contacts: int) -> int:
    """Assign the bank's claims to the demo loan officer and record `contacts` contacts over them (server side)."""
    from sqlalchemy import text

    with app.state.engine.begin() as conn:
        conn.execute(text("""UPDATE outreach_claim SET assigned_to = (SELECT id FROM app_user WHERE username = 'officer'),
                                    assigned_at = claimed_at, branch_code = 'ICBC-HQ-01'"""))
        conn.execute(text("""
            INSERT INTO outreach_contact (entity_key, claim_id, bank_code, officer_id, officer, outcome, note,
                                          next_follow_up, at)
            SELECT c.entity_key, c.id, c.bank_code, c.assigned_to, 'officer',
                   (ARRAY['有需求', '暂无需求', '暂不符合条件', '无法联系'])[1 + g % 4], '',
                   current_date + (g % 30), now() - make_interval(mins => g)
            FROM generate_series(1, :n) AS g
            JOIN (SELECT id, entity_key, bank_code, assigned_to, row_number() OVER (ORDER BY id) AS k
                  FROM outreach_claim) AS c ON c.k = 1 + g % (SELECT count(*) FROM outreach_claim)"""), {"n": contacts})
        conn.execute(text("ANALYZE outreach_contact"))
        return conn.execute(text("SELECT count(*) FROM outreach_contact")).scalar()


def time_pages(client, pages: dict, requests: int) -> None:
    """GET each page `requests` times after one warm-up; print p50/p95 in ms."""
    for name, path in pages.items():
        client.get(path(0))  # warm
        took = []
        for i in range(requests):
            t = time.perf_counter()
            r = client.get(path(i))
            took.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200, (name, r.status_code)
        print(f"{name:26s} {statistics.median(took):8.1f} {pct(took, 0.95):8.1f}", flush=True)


if __name__ == "__main__":
    main()
