"""Rows/s of storing list entries in PostgreSQL with COPY (issue 2 item 8: target ≥ 200k rows/s).

    .venv/bin/python bench/pg_copy_bench.py --rows 2000000 --runs 3                 # starts its own PostgreSQL
    .venv/bin/python bench/pg_copy_bench.py --rows 2000000 --url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    .venv/bin/python bench/pg_copy_bench.py --rows 500000 --sqlite                  # the SQLite path, for comparison

Entries are realistic rows (the columns and widths of list_entry, Chinese names and reasons), loaded through
shoudai.registry.store.bulk_load exactly as a build stores them, each run into a fresh version and committed.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

ROOT = Path(__file__).resolve().parents[1]


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


def run(url: str, rows: int, runs: int) -> list[float]:
    from shoudai import migrate
    from shoudai.db import make_engine, session_scope
    from shoudai.registry import store
    from shoudai.registry.models import ListEntry

    migrate.upgrade(url)
    engine = make_engine(url)
    table = entries(rows)
    rates = []
    for i in range(runs):
        with session_scope(engine) as session:
            vid = _version(session, 3000 + i + int(time.time()) % 1000 * 10)
            cpu0 = _server_cpu(session)
            t = time.perf_counter()
            n = store.bulk_load(session, ListEntry.__table__, table.to_batches(max_chunksize=131_072),
                                constants={"version_id": vid})
            session.flush()
            elapsed_load = time.perf_counter() - t
            cpu = None if cpu0 is None else _server_cpu(session) - cpu0
        elapsed = time.perf_counter() - t  # with the commit
        rates.append(n / elapsed)
        server = f"; server CPU {cpu:.2f}s → {n / cpu:,.0f} rows per server CPU-second" if cpu else ""
        print(f"run {i + 1}: {n:,} rows in {elapsed:.2f}s (load {elapsed_load:.2f}s + commit) → "
              f"{n / elapsed:,.0f} rows/s{server}", flush=True)
    engine.dispose()
    return rates


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--rows", type=int, default=2_000_000)
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--url", help="a PostgreSQL URL; default: start a throwaway one with scripts/pg.sh")
    p.add_argument("--sqlite", action="store_true", help="measure the SQLite path instead")
    a = p.parse_args()
    if a.sqlite:
        with tempfile.TemporaryDirectory() as tmp:
            rates = run(f"sqlite:///{tmp}/bench.db", a.rows, a.runs)
    elif a.url:
        rates = run(a.url, a.rows, a.runs)
    else:
        pgdir = tempfile.mkdtemp(prefix="pg-copy-bench-")
        url = subprocess.run([str(ROOT / "scripts" / "pg.sh"), "start", pgdir], check=True, capture_output=True,
                             text=True).stdout.strip()
        try:
            rates = run(url, a.rows, a.runs)
        finally:
            subprocess.run([str(ROOT / "scripts" / "pg.sh"), "stop", pgdir], check=False, capture_output=True)
    print(f"median {statistics.median(rates):,.0f} rows/s over {len(rates)} run(s) of {a.rows:,} rows")


if __name__ == "__main__":
    main()
