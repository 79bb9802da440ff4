"""store.bulk_load: Arrow rows into list_entry on SQLite (a scratch file, then INSERT … SELECT) and PostgreSQL (COPY)."""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import func, inspect, select

from shoudai.db import session_scope
from shoudai.pipeline.build import ENTRY_COLUMNS
from shoudai.registry import sqlite_load, store
from shoudai.registry.models import ImportBatch, ListEntry, ListVersion


def _version(session) -> ListVersion:
    b = ImportBatch(kind="registry", file_name="r.csv", sha256="0" * 64, file_format="csv", encoding="utf-8",
                    total_rows=0, accepted_rows=0, rejected_rows=0, duplicate_rows=0, staged_path="x", actor="t",
                    created_at=datetime.now(UTC))
    session.add(b)
    session.flush()
    v = ListVersion(year=2024, engine="duckdb", registry_batch_id=b.id, tax_batch_id=b.id, credit_batch_id=b.id,
                    sme_count=0, individual_count=0, new_count=0, carried_count=0, removed_count=0,
                    content_digest="0" * 64, built_by="t", built_at=datetime.now(UTC))
    session.add(v)
    session.flush()
    return v


def _entries(n: int) -> pa.Table:
    cols = {c: [None] * n for c in ENTRY_COLUMNS}
    cols["entity_key"] = [f"91410702MA{i:08d}" for i in range(n)]
    cols["uscc"] = cols["entity_key"]
    cols["list_kind"] = ["sme"] * n
    # Awkward text must survive CSV/COPY: commas, quotes, newlines, an empty string (≠ NULL) and CJK.
    cols["name"] = [f'新乡市"甲,乙"\n公司{i}' for i in range(n)]
    cols["address"] = ["" if i % 2 else None for i in range(n)]
    cols["entity_kind"] = ["enterprise"] * n
    cols["county_code"] = ["410702"] * n
    cols["tier"] = ["A"] * n
    cols["change"] = ["new"] * n
    cols["first_listed_year"] = [2024] * n
    cols["reasons"] = ["登记状态：存续；征信：无贷款及票据贴现记录"] * n
    types = {"first_listed_year": pa.int32()}
    return pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in cols.items()})


def test_bulk_load_round_trips(session):
    v = _version(session)
    table = _entries(1500)
    n = store.bulk_load(session, ListEntry.__table__, table.to_batches(max_chunksize=400),
                        constants={"version_id": v.id})
    assert n == 1500
    rows = session.execute(select(ListEntry).where(ListEntry.version_id == v.id).order_by(ListEntry.entity_key))
    got = [r[0] for r in rows]
    assert len(got) == 1500
    assert got[7].name == '新乡市"甲,乙"\n公司7'
    assert got[0].address is None and got[1].address == ""
    assert got[3].first_listed_year == 2024 and got[3].legal_rep_masked is None
    index_names = {ix["name"] for ix in inspect(session.connection()).get_indexes("list_entry")}
    assert "ix_list_entry_county" in index_names


def test_bulk_load_of_nothing(session):
    v = _version(session)
    assert store.bulk_load(session, ListEntry.__table__, iter(()), constants={"version_id": v.id}) == 0


@pytest.fixture
def sqlite_engine(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("the scratch files are SQLite's way in")
    return engine


@pytest.mark.parametrize(("n", "batch", "min_rows", "files"), [
    (900, 300, None, 1),  # fewer rows than a file holds
    (1000, 100, 200, 4),  # 250 rows a file in whole batches of 100: 300, 300, 300, and the last takes the rest
])
def test_sqlite_load_keeps_order_and_leaves_no_scratch_file(sqlite_engine, monkeypatch, n, batch, min_rows, files):
    if min_rows:
        monkeypatch.setattr(sqlite_load, "MIN_SCRATCH_ROWS", min_rows)
    db_dir = Path(sqlite_engine.url.database).parent
    rows = _entries(n).take(pa.array(range(n - 1, -1, -1)))  # not in key order: the ids must follow this order
    with session_scope(sqlite_engine) as session:
        v = _version(session)
        dbapi = session.connection().connection.driver_connection
        assert store.bulk_load(session, ListEntry.__table__, rows.to_batches(max_chunksize=batch),
                               constants={"version_id": v.id}, rows=n) == n
        # Until the commit the scratch databases stay attached (SQLite will not detach one mid-transaction) …
        assert len(dbapi.execute("PRAGMA database_list").fetchall()) == 1 + files
        assert not list(db_dir.glob(".bulk-*"))  # … but their files are already gone from the directory.
    assert [name for _, name, _ in dbapi.execute("PRAGMA database_list")] == ["main"]
    with session_scope(sqlite_engine) as session:
        keys = session.scalars(select(ListEntry.entity_key).where(ListEntry.version_id == v.id)
                               .order_by(ListEntry.id)).all()
    assert keys == rows.column("entity_key").to_pylist()


@pytest.mark.parametrize("at", [1, 1000], ids=["first file, writer still busy", "last file"])
def test_sqlite_load_that_fails_stores_nothing_and_stops_its_writer(sqlite_engine, monkeypatch, at):
    monkeypatch.setattr(sqlite_load, "MIN_SCRATCH_ROWS", 200)
    rows = _entries(1000)
    twice = pa.concat_tables([rows.slice(0, at), rows.slice(0, 1), rows.slice(at)])  # row `at` repeats the first key

    with pytest.raises(sqlite3.IntegrityError), session_scope(sqlite_engine) as session:
        v = _version(session)
        dbapi = session.connection().connection.driver_connection
        store.bulk_load(session, ListEntry.__table__, twice.to_batches(max_chunksize=100),
                        constants={"version_id": v.id}, rows=1001)
    assert not [t for t in threading.enumerate() if t.name == "sqlite-scratch"]
    assert [name for _, name, _ in dbapi.execute("PRAGMA database_list")] == ["main"]  # detached after the rollback
    with session_scope(sqlite_engine) as session:
        assert session.scalar(select(func.count()).select_from(ListEntry)) == 0


def test_sqlite_load_removes_scratch_left_by_a_dead_process(sqlite_engine):
    db_dir = Path(sqlite_engine.url.database).parent
    dead, live = db_dir / ".bulk-dead", db_dir / ".bulk-live"
    for d in (dead, live):
        d.mkdir()
        (d / "part0.sqlite").write_bytes(b"x")
    day_ago = time.time() - sqlite_load.ABANDONED_AFTER_S - 60
    os.utime(dead, (day_ago, day_ago))
    with session_scope(sqlite_engine) as session:
        v = _version(session)
        store.bulk_load(session, ListEntry.__table__, _entries(10).to_batches(), constants={"version_id": v.id})
    assert not dead.exists() and (live / "part0.sqlite").exists()  # a recent one may be another load's
