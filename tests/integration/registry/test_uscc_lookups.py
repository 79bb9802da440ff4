"""Migration 0013: list entries are found by credit code through (version_id, entity_key), with no uscc index."""

from __future__ import annotations

import pyarrow as pa
from sqlalchemy import inspect, text

from shoudai.lending.identity import _registry_query, db_registry_lookup
from shoudai.outreach import sample
from shoudai.oversight.lookups import list_entries_by_uscc
from shoudai.pipeline.build import ENTRY_COLUMNS
from shoudai.registry import store
from shoudai.registry.models import ListEntry

USCC = "91410702MA00000011"
LEGACY = "R:410702600000000"  # an entity known only by its registration number: its key is not a credit code


def _load_version(session, year: int, names: dict[str, str]):
    """A version stored the way a build stores it, with these keys and names."""
    v = sample.add_version(session, year, 0)
    keys = sorted(names)
    n = len(keys)
    cols = {c: pa.array([None] * n, pa.string()) for c in ENTRY_COLUMNS}
    cols.update(entity_key=pa.array(keys), uscc=pa.array([k if not k.startswith("R:") else None for k in keys]),
                reg_no=pa.array([k[2:] if k.startswith("R:") else None for k in keys]),
                list_kind=pa.array(["sme"] * n), name=pa.array([names[k] for k in keys]),
                entity_kind=pa.array(["enterprise"] * n), county_code=pa.array(["410702"] * n),
                tier=pa.array(["A"] * n), change=pa.array(["new"] * n), reasons=pa.array(["r"] * n),
                first_listed_year=pa.array([year] * n, pa.int32()))
    store.bulk_load(session, ListEntry.__table__, pa.table(cols).to_batches(), constants={"version_id": v.id})
    return v


def test_lookups_find_by_credit_code_on_the_newest_version(session):
    _load_version(session, 2024, {USCC: "旧名称", LEGACY: "老字号"})
    _load_version(session, 2025, {USCC: "新名称", "92410702MA0000002X": "个体户"})
    found = db_registry_lookup(session, USCC)
    assert found is not None and found.uscc == USCC and found.name == "新名称"
    assert db_registry_lookup(session, LEGACY) is None  # a registration-number key is no credit code
    assert db_registry_lookup(session, "91410702MA99999999") is None
    by_code = list_entries_by_uscc(session, {USCC, LEGACY, "91410702MA99999999"})
    assert set(by_code) == {USCC} and by_code[USCC].name == "新名称"


def test_lookups_probe_the_version_key_index(session):
    _load_version(session, 2025, {USCC: "新名称", LEGACY: "老字号"})
    conn = session.connection()
    assert "ix_list_entry_uscc" not in {ix["name"] for ix in inspect(conn).get_indexes("list_entry")}
    sql = str(_registry_query().statement.compile(dialect=conn.dialect))
    if conn.dialect.name == "sqlite":
        plan = " ".join(r[3] for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", (USCC, 1, 0)))
        assert "SEARCH list_entry USING INDEX" in plan and "entity_key=?" in plan, plan
    else:
        # With sequential scans priced out, some index must serve the probe by entity_key. (On tables this small the
        # planner may read another index; at 2 × 1M entries it probes (version_id, entity_key) newest version first.)
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}", {"uscc": USCC, "param_1": 1}))
        assert "Seq Scan on list_entry" not in plan, plan
        assert "Index" in plan and "entity_key" in plan, plan
