"""Rows/s of storing list entries in PostgreSQL with COPY (issue 2 item 8: target ≥ 200k rows/s).

    .venv/bin/python bench/pg_copy_bench.py --rows 1000000 --runs 3                 # starts its own PostgreSQL
    .venv/bin/python bench/pg_copy_bench.py --rows 1000000 --runs 3 --baseline      # and the pre-0010 path alongside
    .venv/bin/python bench/pg_copy_bench.py --rows 2000000 --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/pg_copy_bench.py --rows 500000 --sqlite                  # the SQLite path, for comparison

Entries are realistic rows (the columns and widths of list_entry, Chinese names and reasons), loaded through
shoudai.registry.store.bulk_load exactly as a build stores them, each run into a fresh version and committed. The
time runs from the first row sent to the commit, so it includes everything the load does before the rows are usable:
on PostgreSQL the COPY into the version's new partition, its four index builds, ANALYZE, and the attach (which
validates the version foreign key). No VACUUM is needed after it (COPY FREEZE); the run checks that the pages are
all-visible and that the rows went the new way.

Without --url the benchmark starts its own PostgreSQL (the machine's, initdb'd afresh) with a production server's
durability, not scripts/pg.sh's test settings (fsync and full-page writes off): fsync=on, full_page_writes=on,
synchronous_commit=on, wal_level=replica (every row and index page WAL-logged, as a standby or point-in-time
recovery needs), and the stock shared_buffers (128MB), max_wal_size (1GB) and maintenance_work_mem (64MB)
(SERVER_SETTINGS); locale C.UTF-8, connected over TCP on 127.0.0.1. Nothing in the load relies on more. As on a
server in service, there are WAL segment files to recycle (min_wal_size=1GB, filled once before the runs). Before
each run, outside its window, a CHECKPOINT and a sync write out what the runs before left dirty (--back-to-back: not),
as a server storing its one version a year would have done long before.

--baseline also loads each run's rows the way the store did before migration 0010, in the same run and database:
CSV COPY into a plain (unpartitioned) table with list_entry's old primary key, unique key, version foreign key and
indexes, committed, and then the VACUUM (ANALYZE) that path needed before the pages' index-only scans stopped
visiting the heap (reported separately, as the old benchmark left it out).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def entries(n: int, seed: int = 1) -> pa.Table:
    """n list entries shaped like a real build's."""
    from shoudai.pipeline.build import ENTRY_COLUMNS

    rng = np.random.default_rng(seed)
    serial = pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 9, "0")
    counties = pa.array(["410702", "410703", "410711", "410721", "410725", "410782", "410783"])

    def pick(options, size):
        return pc.take(pa.array(options), pa.array(rng.integers(0, len(options), size)))

    cols = {
        "entity_key": pc.binary_join_element_wise("92410700", serial, "X", ""),
        "list_kind": pick(["individual", "individual", "sme"], n),
        "uscc": pc.binary_join_element_wise("92410700", serial, "X", ""),
        "reg_no": pa.nulls(n, pa.string()),
        "name": pc.binary_join_element_wise("新乡市红旗区测试商贸有限公司", serial, ""),
        "entity_kind": pick(["individual", "enterprise"], n),
        "registry_type": pick(["个体工商户", "有限责任公司(自然人独资)"], n),
        "county_code": pc.take(counties, pa.array(rng.integers(0, len(counties), n))),
        "industry_code": pick(["F5212", "C1713", "H6210"], n),
        "industry_section": pick(["F", "C", "H"], n),
        "address": pc.binary_join_element_wise("河南省新乡市红旗区人民路", serial, "号", ""),
        "legal_rep_masked": pick(["张*", "王*", "欧*"], n),
        "established_on": pick(["2015-03-02", "2020-11-30"], n),
        "tax_status": pick(["正常", None], n),
        "tax_grade": pick(["A", "B", "M", None], n),
        "tier": pick(["A", "B", "C"], n),
        "size_class": pick(["micro", "small", None], n),
        "change": pick(["new", "carried"], n),
        "first_listed_year": pa.array(rng.integers(2023, 2026, n).astype("int32")),
        "reasons": pick(["登记状态：存续；纳税：正常（信用等级A）；征信：无贷款及票据贴现记录；规模：小型",
                         "登记状态：在业；纳税：无税务登记信息（仅有登记数据）；征信：无贷款及票据贴现记录"], n),
    }
    return pa.table({c: cols[c] for c in ENTRY_COLUMNS})


def _version(session, year: int) -> int:
    from shoudai.registry.models import ImportBatch, ListVersion

    now = datetime.now(UTC)
    b = ImportBatch(kind="registry", file_name="bench", sha256=f"bench-{year}".ljust(64, "0"), file_format="csv",
                    encoding="utf-8", total_rows=0, accepted_rows=0, rejected_rows=0, duplicate_rows=0,
                    staged_path="-", actor="bench", created_at=now)
    session.add(b)
    session.flush()
    v = ListVersion(year=year, engine="duckdb", registry_batch_id=b.id, tax_batch_id=b.id, credit_batch_id=b.id,
                    sme_count=0, individual_count=0, new_count=0, carried_count=0, removed_count=0,
                    content_digest="0" * 64, built_by="bench", built_at=now)
    session.add(v)
    session.flush()
    return v.id


def _server_cpu(session) -> float | None:
    """CPU seconds used so far by this session's PostgreSQL backend (local servers only), else None.

    On a shared, busy machine wall time says more about the neighbours than about COPY; this shows the server's own
    cost, which is what a quiet machine's wall time would approach."""
    conn = session.connection()
    if conn.dialect.name != "postgresql":
        return None
    try:
        pid = conn.connection.driver_connection.info.backend_pid
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


# list_entry as it was before migration 0010 (0007's indexes), for --baseline.
OLD_TABLE = "list_entry_0009"
OLD_DDL = (
    f"DROP TABLE IF EXISTS {OLD_TABLE}",
    f"CREATE TABLE {OLD_TABLE} (LIKE list_entry INCLUDING DEFAULTS)",
    f"ALTER TABLE {OLD_TABLE} ADD PRIMARY KEY (id)",
    f"ALTER TABLE {OLD_TABLE} ADD UNIQUE (version_id, entity_key)",
    f"ALTER TABLE {OLD_TABLE} ADD FOREIGN KEY (version_id) REFERENCES list_version (id) ON DELETE CASCADE",
    (f"CREATE INDEX ON {OLD_TABLE} (version_id, county_code, entity_key) "
     "INCLUDE (list_kind, tier, industry_section, change, address, name)"),
    f"CREATE INDEX ON {OLD_TABLE} (uscc)",
)


def _load(engine, table: pa.Table, year: int, *, old: bool) -> tuple[int, float, float | None]:
    """Store `table` as a new version; (rows, seconds to commit, server CPU seconds or None)."""
    from shoudai.db import session_scope
    from shoudai.registry import store
    from shoudai.registry.models import ListEntry

    batches = table.to_batches(max_chunksize=131_072)
    with session_scope(engine) as session:
        vid = _version(session, year)
        cpu0 = _server_cpu(session)
        t = time.perf_counter()
        if old:
            dbapi = session.connection().connection.driver_connection
            n = store._pg_copy(dbapi, ListEntry.__table__, batches, {"version_id": vid}, into=OLD_TABLE, csv=True)
        else:
            n = store.bulk_load(session, ListEntry.__table__, batches, constants={"version_id": vid})
        session.flush()
        cpu = None if cpu0 is None else _server_cpu(session) - cpu0
    elapsed = time.perf_counter() - t
    if not old and engine.dialect.name == "postgresql":
        _check_new_path(engine, vid, n)
    return n, elapsed, cpu


def _check_new_path(engine, vid: int, n: int) -> None:
    """The rows are in the version's own leaf, all of its pages all-visible (no VACUUM owed), and analysed."""
    from sqlalchemy import text

    with engine.connect() as conn:
        leaf = f"list_entry_v{vid}_1"
        rows = conn.execute(text(f"SELECT count(*) FROM {leaf}")).scalar()
        pages, visible, tuples = conn.execute(text(
            "SELECT relpages, relallvisible, reltuples FROM pg_class WHERE oid = to_regclass(:t)"), {"t": leaf}).one()
        assert rows == n, f"{leaf} holds {rows} rows, not {n}: the load did not take the partition path"
        assert pages > 0 and visible == pages and tuples > 0, f"{leaf}: {visible}/{pages} pages all-visible"


def _settle(engine) -> None:
    """Before a run, outside its timed window: the earlier runs' pages written out (CHECKPOINT, then the machine's
    dirty pages synced), so that the run starts on a quiet server.

    A build stores one version and the server writes its pages out in its own time afterwards; run back to back, each
    run would also compete with the write-back of the ~1 GB (heap, indexes, WAL) the one before left dirty."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    except DBAPIError as exc:  # a --url server where this role may not checkpoint
        print(f"      (no CHECKPOINT before the run: {exc.orig})", flush=True)
    os.sync()


def _vacuum(engine, table: str) -> float:
    from sqlalchemy import text

    t = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(f"VACUUM (ANALYZE) {table}"))
    return time.perf_counter() - t


def run(url: str, rows: int, runs: int, baseline: bool = False,
        back_to_back: bool = False) -> tuple[list[float], list[float]]:
    from sqlalchemy import text

    from shoudai import migrate
    from shoudai.db import make_engine

    migrate.upgrade(url)
    engine = make_engine(url)
    if baseline:
        with engine.begin() as conn:
            for ddl in OLD_DDL:
                conn.execute(text(ddl))
    table = entries(rows)
    rates, old_rates = [], []
    year = 3000 + int(time.time()) % 1000 * 10
    for i in range(runs):
        for old in (False, True) if baseline else (False,):
            if not back_to_back and engine.dialect.name == "postgresql":
                _settle(engine)
            load = os.getloadavg()[0]
            year += 1
            n, elapsed, cpu = _load(engine, table, year, old=old)
            (old_rates if old else rates).append(n / elapsed)
            server = f"; server CPU {cpu:.2f}s" if cpu else ""
            label = "old path (pre-0010)" if old else "new path" if engine.dialect.name == "postgresql" else "SQLite"
            print(f"run {i + 1} {label}: {n:,} rows in {elapsed:.2f}s → {n / elapsed:,.0f} rows/s{server}; "
                  f"load average {load:.2f}", flush=True)
            if old:
                v = _vacuum(engine, OLD_TABLE)
                print(f"      + the VACUUM (ANALYZE) it then needed: {v:.2f}s → {n / (elapsed + v):,.0f} rows/s",
                      flush=True)
    engine.dispose()
    return rates, old_rates


# Stated even where they are PostgreSQL's defaults, so that the figures say what they were measured against.
SERVER_SETTINGS = {
    "fsync": "on",
    "full_page_writes": "on",
    "synchronous_commit": "on",
    "wal_level": "replica",
    "shared_buffers": "128MB",
    "max_wal_size": "1GB",
    "min_wal_size": "1GB",
    "maintenance_work_mem": "64MB",
}


def _wal_in_service(url: str) -> None:
    """Give the new cluster the WAL segment files a server in service keeps (min_wal_size) by writing ~1 GB of WAL
    once, untimed: a fresh cluster's first load would otherwise also create and zero-fill each 16 MB file (~0.9 s per
    1M rows) that every later load, there as in service, recycles."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CREATE TABLE wal_fill AS SELECT g, repeat('x', 400) AS pad FROM generate_series(1, 2000000) g"))
        conn.execute(text("DROP TABLE wal_fill"))
        conn.execute(text("CHECKPOINT"))
    engine.dispose()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--url", help="a PostgreSQL URL; default: start a throwaway one (bench.pgcluster, SERVER_SETTINGS)")
    p.add_argument("--sqlite", action="store_true", help="measure the SQLite path instead")
    p.add_argument("--baseline", action="store_true", help="also measure the pre-0010 path (PostgreSQL)")
    p.add_argument("--back-to-back", action="store_true",
                   help="start each run without writing out the last one's pages first (no CHECKPOINT and sync)")
    a = p.parse_args()
    if a.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            rates, old = run(f"sqlite:///{tmp}/bench.db", a.rows, a.runs)
    elif a.url:
        rates, old = run(a.url, a.rows, a.runs, a.baseline, a.back_to_back)
    else:
        from bench.pgcluster import Cluster

        cluster = Cluster(settings=SERVER_SETTINGS)
        try:
            cluster.start()
            _wal_in_service(cluster.url)
            rates, old = run(cluster.url, a.rows, a.runs, a.baseline, a.back_to_back)
        finally:
            cluster.stop()
    print(f"median {statistics.median(rates):,.0f} rows/s over {len(rates)} run(s) of {a.rows:,} rows")
    if old:
        print(f"old path (pre-0010), same runs: median {statistics.median(old):,.0f} rows/s (load + commit)")


if __name__ == "__main__":
    main()
