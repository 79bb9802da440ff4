"""Migrations 0010 and 0011 on a database that already holds lists: nothing lost, ids kept and unique, both ways."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from shoudai.db import make_engine, session_scope
from shoudai.migrate import alembic_config
from shoudai.oversight.models import FirstLoan, ListConversion
from shoudai.pipeline.build import ENTRY_COLUMNS
from shoudai.registry import store
from shoudai.registry.models import ImportBatch, ListEntry, ListVersion


@pytest.fixture
def url_at_0009(backend, tmp_path):
    if backend == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'm.db'}", None
    else:
        admin = create_engine(os.environ["SHOUDAI_TEST_PG_URL"], isolation_level="AUTOCOMMIT")
        name = f"m_{uuid.uuid4().hex[:12]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = os.environ["SHOUDAI_TEST_PG_URL"].rsplit("/", 1)[0] + "/" + name

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    command.upgrade(alembic_config(url), "0009")
    yield url
    if drop:
        drop()


def _world(engine) -> dict[str, object]:
    """Two versions with entries, a first loan and a conversion pointing at one entry (schema 0009)."""
    now = datetime.now(UTC)
    with session_scope(engine) as s:
        b = ImportBatch(kind="registry", file_name="r", sha256="x" * 64, file_format="csv", total_rows=0,
                        accepted_rows=0, rejected_rows=0, duplicate_rows=0, staged_path="-", actor="t", created_at=now)
        s.add(b)
        s.flush()
        versions = []
        for year in (2023, 2024):
            v = ListVersion(year=year, engine="duckdb", registry_batch_id=b.id, tax_batch_id=b.id,
                            credit_batch_id=b.id, sme_count=0, individual_count=0, new_count=0, carried_count=0,
                            removed_count=0, content_digest="0" * 64, built_by="t", built_at=now)
            s.add(v)
            s.flush()
            versions.append(v.id)
            for i in range(3):
                s.add(ListEntry(version_id=v.id, entity_key=f"K{year}{i}", list_kind="sme", name=f"企业{i}",
                                entity_kind="enterprise", county_code="410702", tier="A", change="new",
                                first_listed_year=year, reasons="r"))
        s.flush()
        entry = s.scalar(select(ListEntry).where(ListEntry.entity_key == "K20241"))
        loan = FirstLoan(bank_code="ICBC", contract_no="C1", borrower_key="K", borrower_name="某", period="2024-03",
                         disbursed_on=date(2024, 3, 1), amount_fen=1, term_months=12, rate_e4=385,
                         guarantee_type="credit", list_entry_id=entry.id, verdict="first", relending_eligible=True,
                         source="file", created_by="t", created_at=now, updated_by="t", updated_at=now)
        s.add(loan)
        s.flush()
        s.add(ListConversion(list_entry_id=entry.id, loan_id=loan.id, county_code="410702", bank_code="ICBC",
                             converted_on=date(2024, 3, 1), period="2024-03", created_by="t", created_at=now))
        return {"versions": versions, "entry_id": entry.id, "loan_id": loan.id}


def _entries(engine) -> list[tuple]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(
            "SELECT id, version_id, entity_key, name FROM list_entry ORDER BY id"))]


def test_0010_keeps_every_entry_and_link_and_goes_back(url_at_0009, backend):
    engine = make_engine(url_at_0009)
    try:
        world = _world(engine)
        before = _entries(engine)
        assert len(before) == 6
        command.upgrade(alembic_config(url_at_0009), "0010")
        assert _entries(engine) == before
        with session_scope(engine) as s:
            assert s.get(FirstLoan, world["loan_id"]).list_entry_id == world["entry_id"]
            assert s.scalar(select(ListConversion.list_entry_id)) == world["entry_id"]
        assert not any(fk["referred_table"] == "list_entry"
                       for table in ("ov_first_loan", "ov_list_conversion")
                       for fk in inspect(engine).get_foreign_keys(table))
        if backend == "postgres":
            with engine.connect() as conn:
                leaves = conn.execute(text("SELECT tableoid::regclass::text, count(*) FROM list_entry GROUP BY 1 "
                                           "ORDER BY 1")).all()
            assert leaves == [(f"list_entry_v{v}_0", 3) for v in world["versions"]]
        # New rows take fresh ids from the same sequence, and a new version loads by the bulk path.
        with session_scope(engine) as s:
            now = datetime.now(UTC)
            v = ListVersion(year=2025, engine="duckdb", registry_batch_id=1, tax_batch_id=1, credit_batch_id=1,
                            sme_count=0, individual_count=0, new_count=0, carried_count=0, removed_count=0,
                            content_digest="0" * 64, built_by="t", built_at=now)
            s.add(v)
            s.flush()
            cols = {c: pa.array([None, None], pa.string()) for c in ENTRY_COLUMNS}
            cols.update(entity_key=pa.array(["A1", "A2"]), list_kind=pa.array(["sme"] * 2), name=pa.array(["甲", "乙"]),
                        entity_kind=pa.array(["enterprise"] * 2), county_code=pa.array(["410702"] * 2),
                        tier=pa.array(["A"] * 2), change=pa.array(["new"] * 2), reasons=pa.array(["r"] * 2),
                        first_listed_year=pa.array([2025, 2025], pa.int32()))
            store.bulk_load(s, ListEntry.__table__, pa.table(cols).to_batches(), constants={"version_id": v.id})
        after = _entries(engine)
        assert after[:6] == before and len(after) == 8 and min(r[0] for r in after[6:]) > max(r[0] for r in before)
        command.downgrade(alembic_config(url_at_0009), "0009")
        assert _entries(engine) == after
        fks = {(t, fk["referred_table"], fk["options"].get("ondelete"))
               for t in ("ov_first_loan", "ov_list_conversion") for fk in inspect(engine).get_foreign_keys(t)}
        assert {("ov_first_loan", "list_entry", "SET NULL"), ("ov_list_conversion", "list_entry", "CASCADE")} <= fks
        command.upgrade(alembic_config(url_at_0009), "head")
        assert _entries(engine) == after
    finally:
        engine.dispose()


def test_0011_caches_entry_ids_and_goes_back(url_at_0009, backend):
    """On PostgreSQL each session draws its ids 1,000 at a time: unique across sessions, in blocks; after a
    downgrade, one at a time again. On SQLite it changes nothing."""
    command.upgrade(alembic_config(url_at_0009), "head")
    engine = make_engine(url_at_0009)
    insert = text("INSERT INTO list_entry (version_id, entity_key, list_kind, name, entity_kind, county_code, tier, "
                  "change, first_listed_year, reasons) VALUES (:v, :k, 'sme', '企业', 'enterprise', '410702', 'A', "
                  "'new', 2024, 'r') RETURNING id")
    try:
        version = _world(engine)["versions"][1]

        def ids_from_two_sessions(tag: str) -> list[int]:
            """One session, a second one open beside it, the first again."""
            with engine.connect() as one, engine.connect() as two:
                got = [conn.execute(insert, {"v": version, "k": f"{tag}{i}"}).scalar()
                       for i, conn in enumerate((one, two, one))]
                one.commit()
                two.commit()
            return got

        if backend == "postgres":
            first, second, again = ids_from_two_sessions("A")
            assert again == first + 1 and second > again  # the second session drew from a block of its own
            command.downgrade(alembic_config(url_at_0009), "0010")
            first, second, again = ids_from_two_sessions("B")
            assert (second, again) == (first + 1, first + 2)
        else:
            before = _entries(engine)
            command.downgrade(alembic_config(url_at_0009), "0010")
            assert _entries(engine) == before
        ids = [r[0] for r in _entries(engine)]
        assert len(ids) == len(set(ids))
    finally:
        engine.dispose()
