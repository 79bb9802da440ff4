"""Storing a version's entries (store.bulk_load): all there and readable through the app's queries, all-or-nothing,
older versions readable meanwhile, uniqueness kept, and the oversight rows that point at entries kept consistent."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

import psycopg
import pyarrow as pa
import pytest
from sqlalchemy import func, select, text

from shoudai.accounts import roles
from shoudai.accounts.scope import Scope
from shoudai.db import session_scope
from shoudai.outreach import queries
from shoudai.oversight.models import FirstLoan, ListConversion
from shoudai.pipeline.build import ENTRY_COLUMNS
from shoudai.registry import store
from shoudai.registry.models import ImportBatch, ListEntry, ListVersion

COUNTIES = ("410702", "410703", "410711")
CITY = Scope(role=roles.CITY_ADMIN)


def _version(session, year: int) -> int:
    now = datetime.now(UTC)
    b = ImportBatch(kind="registry", file_name="r.csv", sha256=f"{year}".ljust(64, "0"), file_format="csv",
                    encoding="utf-8", total_rows=0, accepted_rows=0, rejected_rows=0, duplicate_rows=0,
                    staged_path="x", actor="t", created_at=now)
    session.add(b)
    session.flush()
    v = ListVersion(year=year, engine="duckdb", registry_batch_id=b.id, tax_batch_id=b.id, credit_batch_id=b.id,
                    sme_count=0, individual_count=0, new_count=0, carried_count=0, removed_count=0,
                    content_digest="0" * 64, built_by="t", built_at=now)
    session.add(v)
    session.flush()
    return v.id


def _entries(n: int, year: int, *, start: int = 0) -> pa.Table:
    """n entries sorted by key, spread over three counties, with text that CSV or COPY could get wrong."""
    keys = [f"91410702MA{i:08d}" for i in range(start, start + n)]
    cols: dict[str, list] = {c: [None] * n for c in ENTRY_COLUMNS}
    cols["entity_key"] = keys
    cols["uscc"] = keys
    cols["list_kind"] = ["sme" if i % 3 else "individual" for i in range(n)]
    cols["name"] = [f'新乡市"甲,乙"\n\\N公司{i}' for i in range(n)]
    cols["address"] = ["" if i % 2 else None for i in range(n)]
    cols["entity_kind"] = ["enterprise"] * n
    cols["county_code"] = [COUNTIES[i % 3] for i in range(n)]
    cols["tier"] = ["ABC"[i % 3] for i in range(n)]
    cols["change"] = ["new"] * n
    cols["first_listed_year"] = [year - (i % 2) for i in range(n)]
    cols["reasons"] = ["登记状态：存续；征信：无贷款及票据贴现记录"] * n
    types = {"first_listed_year": pa.int32()}
    return pa.table({c: pa.array(v, types.get(c, pa.string())) for c, v in cols.items()})


def _store(engine, year: int, table: pa.Table) -> int:
    with session_scope(engine) as session:
        vid = _version(session, year)
        n = store.bulk_load(session, ListEntry.__table__, table.to_batches(max_chunksize=700),
                            constants={"version_id": vid})
        assert n == table.num_rows
    return vid


def _leaves(engine, vid: int) -> dict[str, int]:
    """On PostgreSQL: each leaf table of the version's partition and its row count."""
    with engine.connect() as conn:
        names = conn.execute(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                                  "WHERE i.inhparent = to_regclass(:p)"), {"p": f"list_entry_v{vid}"}).scalars()
        return {name: conn.execute(text(f"SELECT count(*) FROM {name}")).scalar() for name in names}


def test_a_stored_version_is_all_there_and_readable_through_the_pages(engine):
    table = _entries(2500, 2024)
    vid = _store(engine, 2024, table)
    with session_scope(engine) as session:
        stored = session.execute(select(*[ListEntry.__table__.c[c] for c in ENTRY_COLUMNS])
                                 .where(ListEntry.version_id == vid).order_by(ListEntry.entity_key)).all()
        assert [tuple(r) for r in stored] == list(zip(*[table.column(c).to_pylist() for c in ENTRY_COLUMNS],
                                                      strict=True))
        ids = session.scalars(select(ListEntry.id).where(ListEntry.version_id == vid)).all()
        assert len(set(ids)) == 2500 and None not in ids
        # The county page the way a county officer's list page asks for it: key order, filter, capped count.
        officer = Scope(role=roles.COUNTY_OFFICER, county_codes=("410703",))
        rows, total = queries.list_entries(session, officer, vid, queries.EntryFilter(tier="B"), per_page=50)
        expected = [k for i, k in enumerate(table.column("entity_key").to_pylist()) if i % 3 == 1]
        assert [r.entity_key for r in rows] == expected[:50] and int(total) == len(expected)
        page2, _ = queries.list_entries(session, CITY, vid, queries.EntryFilter(), page=2, per_page=100)
        assert [r.entity_key for r in page2] == table.column("entity_key").to_pylist()[100:200]
        assert page2[1].name == '新乡市"甲,乙"\n\\N公司101' and page2[0].address is None and page2[1].address == ""
        # Looked up by id, as the oversight register does.
        assert session.get(ListEntry, ids[7]).version_id == vid
    if engine.dialect.name == "postgresql":
        # The new way: its own leaf, all pages all-visible (index-only scans need no VACUUM first), analysed.
        assert _leaves(engine, vid) == {f"list_entry_v{vid}_0": 0, f"list_entry_v{vid}_1": 2500}
        with engine.connect() as conn:
            pages, visible, analysed = conn.execute(text(
                "SELECT relpages, relallvisible, reltuples FROM pg_class WHERE relname = :t"),
                {"t": f"list_entry_v{vid}_1"}).one()
            assert pages > 0 and visible == pages and analysed == 2500


@pytest.mark.parametrize(("session_target", "used"), [(150, store.ANALYZE_TARGET), (10, 10)])
def test_a_new_leaf_is_analysed_on_the_smaller_sample_and_the_setting_kept(engine, session_target, used):
    """The load's ANALYZE uses ANALYZE_TARGET unless the session asks for less, and leaves the session's own."""
    if engine.dialect.name != "postgresql":
        pytest.skip("leaf tables: PostgreSQL")
    table = _entries(2500, 2024)
    with session_scope(engine) as session:
        session.execute(text(f"SET default_statistics_target = {session_target}"))
        vid = _version(session, 2024)
        store.bulk_load(session, ListEntry.__table__, table.to_batches(max_chunksize=700),
                        constants={"version_id": vid})
        assert session.execute(text("SHOW default_statistics_target")).scalar() == str(session_target)
        session.execute(text("RESET default_statistics_target"))
    with engine.connect() as conn:
        stats = dict(conn.execute(text(
            "SELECT attname, coalesce(array_length(most_common_vals::text::text[], 1), 0) + "
            "coalesce(array_length(histogram_bounds::text::text[], 1), 0) FROM pg_stats WHERE tablename = :t"),
            {"t": f"list_entry_v{vid}_1"}).all())
    assert set(ENTRY_COLUMNS) <= set(stats)  # every column has its statistics
    assert stats["county_code"] == 3  # the three counties are its common values
    assert stats["entity_key"] == used + 1  # 2,500 distinct keys: a histogram of `used` buckets


def test_a_failed_load_leaves_nothing(engine):
    table = _entries(3000, 2024)

    def failing():
        yield from table.to_batches(max_chunksize=1000)[:2]
        raise OSError("the Parquet file was cut short")

    with pytest.raises(OSError, match="cut short"), session_scope(engine) as session:
        vid = _version(session, 2024)
        store.bulk_load(session, ListEntry.__table__, failing(), constants={"version_id": vid})
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ListEntry)) == 0
        assert session.scalar(select(func.count()).select_from(ListVersion)) == 0
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'list_entry_v%'")).scalar() == 0
    # And the same year stores cleanly afterwards.
    vid = _store(engine, 2024, table)
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).where(ListEntry.version_id == vid)) == 3000


def test_a_duplicate_key_fails_the_whole_load(engine):
    table = pa.concat_tables([_entries(900, 2024), _entries(1, 2024, start=500)]).sort_by("entity_key")
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.UniqueViolation)), session_scope(engine) as session:
        vid = _version(session, 2024)
        store.bulk_load(session, ListEntry.__table__, table.to_batches(max_chunksize=300),
                        constants={"version_id": vid})
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).select_from(ListEntry)) == 0


@pytest.mark.postgres
def test_older_versions_stay_readable_while_a_version_loads(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("concurrent sessions: PostgreSQL")
    old = _store(engine, 2023, _entries(1200, 2023))
    with session_scope(engine) as building:
        new = _version(building, 2024)
        store.bulk_load(building, ListEntry.__table__, _entries(1500, 2024).to_batches(max_chunksize=500),
                        constants={"version_id": new})
        # Loaded, indexed and attached but not committed: a reader of the old version neither waits nor sees it.
        with engine.connect() as reader:
            reader.execute(text("SET lock_timeout = '2s'"))
            with session_scope(reader) as s:
                rows, total = queries.list_entries(s, CITY, old, queries.EntryFilter(), per_page=50)
                assert len(rows) == 50 and int(total) == 1200
                # Queries the planner cannot narrow to one version (every partition is opened) do not wait either.
                assert s.scalar(select(func.count()).select_from(ListEntry)) == 1200
                assert s.scalar(select(func.count()).where(ListEntry.version_id.in_(select(ListVersion.id)),
                                                           ListEntry.entity_key == "91410702MA00000007")) == 1
            reader.rollback()
    with session_scope(engine) as s:
        assert s.scalar(select(func.count()).where(ListEntry.version_id == new)) == 1500
        assert s.scalar(select(func.count()).where(ListEntry.version_id == old)) == 1200


def _loan(session, entry_id: int | None, n: int) -> FirstLoan:
    now = datetime.now(UTC)
    loan = FirstLoan(bank_code="ICBC", contract_no=f"C-{n}", borrower_key=f"K{n}", borrower_name="某公司",
                     disbursed_on=date(2024, 3, 1), period="2024-03", amount_fen=100, term_months=12, rate_e4=385,
                     guarantee_type="credit", list_entry_id=entry_id, verdict="first", relending_eligible=True,
                     source="file", created_by="t", created_at=now, updated_by="t", updated_at=now)
    session.add(loan)
    session.flush()
    return loan


def test_rebuilding_a_version_keeps_oversight_links_consistent(engine):
    """The rules the oversight foreign keys had (SET NULL, CASCADE) hold when a version's entries are replaced."""
    other = _store(engine, 2023, _entries(50, 2023, start=1000))
    vid = _store(engine, 2024, _entries(300, 2024))
    with session_scope(engine) as session:
        entry = session.scalar(select(ListEntry).where(ListEntry.version_id == vid).limit(1))
        kept = session.scalar(select(ListEntry).where(ListEntry.version_id == other).limit(1))
        loan = _loan(session, entry.id, 1)
        kept_loan = _loan(session, kept.id, 2)
        session.add_all([
            ListConversion(list_entry_id=entry.id, loan_id=loan.id, county_code="410702", bank_code="ICBC",
                           converted_on=date(2024, 3, 1), period="2024-03", created_by="t", created_at=loan.created_at),
            ListConversion(list_entry_id=kept.id, loan_id=kept_loan.id, county_code="410702", bank_code="ICBC",
                           converted_on=date(2024, 3, 1), period="2024-03", created_by="t", created_at=loan.created_at),
        ])
        loan_id, kept_loan_id, kept_id = loan.id, kept_loan.id, kept.id
    with session_scope(engine) as session:  # a rebuild, as registry.lists.build_version does it
        store.delete_version_rows(session, vid)
        store.bulk_load(session, ListEntry.__table__, _entries(320, 2024).to_batches(max_chunksize=100),
                        constants={"version_id": vid})
    with session_scope(engine) as session:
        assert session.scalar(select(func.count()).where(ListEntry.version_id == vid)) == 320
        assert session.get(FirstLoan, loan_id).list_entry_id is None
        assert session.get(FirstLoan, kept_loan_id).list_entry_id == kept_id
        assert session.scalars(select(ListConversion.list_entry_id)).all() == [kept_id]
        # Every id still points at an entry: nothing dangles.
        linked = select(FirstLoan.list_entry_id).where(FirstLoan.list_entry_id.is_not(None))
        assert session.scalar(select(func.count()).where(ListEntry.id.in_(linked))) == 1
    if engine.dialect.name == "postgresql":
        # The rebuild went through the version's indexed leaf (it was committed: other sessions may be reading it).
        assert _leaves(engine, vid) == {f"list_entry_v{vid}_0": 0, f"list_entry_v{vid}_1": 320}


def test_entries_inserted_one_by_one_still_work(engine):
    """Tests, the demo data and any ORM insert need no bulk path: the version's partition takes them too."""
    with session_scope(engine) as session:
        vid = _version(session, 2024)
        session.add(ListEntry(version_id=vid, entity_key="K1", list_kind="sme", name="甲", entity_kind="enterprise",
                              county_code="410702", tier="A", change="new", first_listed_year=2024, reasons="r"))
    vid2 = _store(engine, 2025, _entries(10, 2025))
    with session_scope(engine) as session:
        assert session.scalars(select(ListEntry.entity_key).where(ListEntry.version_id == vid)).all() == ["K1"]
        assert session.scalar(select(func.count()).where(ListEntry.version_id == vid2)) == 10
        ids = session.scalars(select(ListEntry.id)).all()
        assert len(set(ids)) == 11


def test_a_new_leaf_holds_its_rows_county_by_county(engine):
    """Written in the order of the county index (its build then sorts presorted rows), each county in key order."""
    if engine.dialect.name != "postgresql":
        pytest.skip("leaf tables: PostgreSQL")
    table = _entries(2100, 2024)
    vid = _store(engine, 2024, table)
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(text(
            f"SELECT county_code, entity_key FROM list_entry_v{vid}_1 ORDER BY ctid"))]
    assert stored == sorted(zip(table.column("county_code").to_pylist(), table.column("entity_key").to_pylist(),
                                strict=True))
    assert stored != list(zip(table.column("county_code").to_pylist(), table.column("entity_key").to_pylist(),
                              strict=True))


def test_leaf_order_groups_rows_stably_and_drops_none(monkeypatch):
    rows = pa.table({"county_code": ["B", None, "A", "B", "A", None, "C"], "entity_key": list("7654321")})
    batches = rows.to_batches(max_chunksize=3)
    out = pa.Table.from_batches(list(store._in_leaf_order(batches)))
    assert list(zip(out.column("county_code").to_pylist(), out.column("entity_key").to_pylist(), strict=True)) == [
        ("A", "5"), ("A", "3"), ("B", "7"), ("B", "4"), ("C", "1"), (None, "6"), (None, "2")]
    # Too many counties to be worth the passes: the rows go as they come.
    monkeypatch.setattr(store, "MAX_GROUPS", 2)
    assert pa.Table.from_batches(list(store._in_leaf_order(batches))).equals(rows.combine_chunks())
    # A table without the column (list_removal) is not reordered.
    other = pa.table({"entity_key": ["2", "1"]}).to_batches()
    assert list(store._in_leaf_order(other)) == other
