"""Migration 0012: the list tables' code columns compare bytewise on PostgreSQL, and claims still join their entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
from alembic import command
from sqlalchemy import text

from shoudai.accounts import roles
from shoudai.accounts.models import User
from shoudai.audit.actor import Actor
from shoudai.db import make_engine, session_scope
from shoudai.migrate import alembic_config
from shoudai.outreach import claims, queries, sample
from shoudai.outreach.queries import EntryFilter
from shoudai.pipeline.build import ENTRY_COLUMNS
from shoudai.registry import store
from shoudai.registry.models import ListEntry

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
CODES = ("county_code", "entity_key", "reg_no", "uscc")
# A bulk-loaded version's keys: unified codes and 'R:' + registration number, in no particular order.
KEYS = ["92410702MA0000002X", "R:410702600000001", "91410702MA00000011", "R:410702600000000"]


def _collations(conn) -> dict[tuple[str, str], str]:
    """(table, column) → collation of every code column of the list and outreach tables, partitions included."""
    rows = conn.execute(text(
        """SELECT c.relname, a.attname, coalesce(co.collname, '')
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           LEFT JOIN pg_collation co ON co.oid = a.attcollation
           WHERE c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace
             AND (c.relname LIKE 'list\\_entry%' OR c.relname IN ('list_removal', 'outreach_claim', 'outreach_contact'))
             AND a.attname IN ('county_code', 'entity_key', 'reg_no', 'uscc')"""))
    return {(t, c): coll for t, c, coll in rows}


def _index_collations(conn) -> set[str]:
    """The collations the list_entry indexes (every level) compare their text keys in."""
    return set(conn.execute(text(
        """SELECT co.collname FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid
           CROSS JOIN unnest(x.indcollation) AS u(coll) JOIN pg_collation co ON co.oid = u.coll
           WHERE t.relname LIKE 'list\\_entry%'""")).scalars())


def _load_version(session, year: int):
    """A version stored the way a build stores it (on PostgreSQL: its own leaf, built and attached)."""
    v = sample.add_version(session, year, 0)
    n = len(KEYS)
    cols = {c: pa.array([None] * n, pa.string()) for c in ENTRY_COLUMNS}
    cols.update(entity_key=pa.array(KEYS), uscc=pa.array([k if k[0] != "R" else None for k in KEYS]),
                reg_no=pa.array([k[2:] if k[0] == "R" else None for k in KEYS]), list_kind=pa.array(["sme"] * n),
                name=pa.array([f"企业{i}" for i in range(n)]), entity_kind=pa.array(["enterprise"] * n),
                county_code=pa.array(["410702"] * n), tier=pa.array(["A"] * n), change=pa.array(["new"] * n),
                reasons=pa.array(["r"] * n), first_listed_year=pa.array([year] * n, pa.int32()))
    store.bulk_load(session, ListEntry.__table__, pa.table(cols).to_batches(), constants={"version_id": v.id})
    return v


def _bank(session) -> User:
    u = User(username="icbc_hq", display_name="icbc_hq", role=roles.BANK_HQ, county_codes="", bank_code="ICBC",
             password_hash="x", password_changed_at=NOW, created_at=NOW, created_by="t", updated_at=NOW,
             disabled=False)
    session.add(u)
    session.flush()
    return u


def _claims_and_pool(engine, year: int, key: str) -> tuple[list[tuple[str, str]], list[str]]:
    """Store a version and claim its entry `key`: (the bank's claims joined to their entries' names, the version's
    keys no bank holds, in page order)."""
    with session_scope(engine) as s:
        v = _load_version(s, year)
        bank = s.query(User).filter_by(username="icbc_hq").one_or_none() or _bank(s)
        actor = Actor(bank.username, bank.role, bank.id, "127.0.0.1")
        assert claims.claim_one(s, bank.scope, v, key, actor=actor, now=NOW) is not None
        rows, _ = queries.bank_claims(s, bank.scope, NOW + timedelta(seconds=1))
        pool, _ = queries.pool(s, bank.scope, v.id, EntryFilter(), NOW + timedelta(seconds=1))
        return [(c.entity_key, name) for c, name, *_ in rows], [e.entity_key for e in pool]


def test_claims_join_their_entries_and_codes_sort_bytewise(engine, backend):
    claimed, pool = _claims_and_pool(engine, 2026, KEYS[0])
    assert claimed == [(KEYS[0], "企业0")]
    assert pool == sorted(KEYS[1:])  # bytewise: digits before 'R', as the build (DuckDB) and SQLite order them
    if backend != "postgres":
        return
    with engine.connect() as conn:
        found = _collations(conn)
        assert conn.execute(text("SELECT count(*) FROM pg_class WHERE relname LIKE 'list\\_entry\\_v%\\_1'")).scalar()
        assert _index_collations(conn) == {"C"}
    assert {col for (table, col), coll in found.items() if coll == "C"} == set(CODES)
    assert {t for t, _ in found if t.startswith("list_entry_v")}  # the version's partition and leaves were seen
    not_c = {key for key, coll in found.items() if coll != "C"}
    assert not_c == {("outreach_claim", "county_code")}, not_c  # compared with parameters only


def test_0012_goes_back_and_forth_with_lists_in_place(db_url, backend):
    if backend != "postgres":
        pytest.skip("collations: PostgreSQL")
    engine = make_engine(db_url)
    try:
        _claims_and_pool(engine, 2026, KEYS[0])
        command.downgrade(alembic_config(db_url), "0011")
        with engine.connect() as conn:
            assert set(_collations(conn).values()) == {"default"} and _index_collations(conn) == {"default"}
        claimed, pool = _claims_and_pool(engine, 2027, KEYS[1])  # loads, claims and joins under the old schema too
        assert sorted(claimed) == sorted([(KEYS[0], "企业0"), (KEYS[1], "企业1")]) and pool == sorted(KEYS[2:])
        command.upgrade(alembic_config(db_url), "head")
        with engine.connect() as conn:
            found = _collations(conn)
            assert _index_collations(conn) == {"C"}
            assert {k for k, coll in found.items() if coll != "C"} == {("outreach_claim", "county_code")}
            assert conn.execute(text("SELECT count(*) FROM list_entry")).scalar() == 2 * len(KEYS)
        claimed, pool = _claims_and_pool(engine, 2028, KEYS[2])
        assert len(claimed) == 3 and pool == KEYS[3:]
    finally:
        engine.dispose()
