"""store.bulk_load: Arrow rows into list_entry on SQLite (executemany) and PostgreSQL (COPY), exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
from sqlalchemy import inspect, select

from shoudai.pipeline.build import ENTRY_COLUMNS
from shoudai.registry import store
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
