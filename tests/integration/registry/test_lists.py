"""build_version: store a year's lists, then the next year's against it; rebuilds replace; summaries by county."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select

from shoudai.outreach import queries
from shoudai.pipeline.build import content_digest
from shoudai.pipeline.staged import stage_json_dir
from shoudai.registry import lists
from shoudai.registry.models import ImportBatch, ListEntry, ListRemoval

DATA = Path(__file__).parents[2] / "data" / "lists"


def _batches(session, src: str, out: Path) -> list[ImportBatch]:
    staged = stage_json_dir(DATA / src, out)
    batches = []
    for kind, path in staged.items():
        b = ImportBatch(kind=kind, file_name=f"{kind}.csv", sha256=f"{src}-{kind}".ljust(64, "0"), file_format="csv",
                        encoding="utf-8", total_rows=1, accepted_rows=1, rejected_rows=0, duplicate_rows=0,
                        staged_path=str(path), actor="test", created_at=datetime.now(UTC))
        session.add(b)
        batches.append(b)
    session.flush()
    return batches


def _stored(session, model, version_id):
    t = model.__table__
    return session.execute(select(t).where(t.c.version_id == version_id)).mappings().all()


def test_two_years_stock_and_new(session, tmp_path):
    v1 = lists.build_version(session, 2024, *_batches(session, "year1", tmp_path / "s1"), actor="admin")
    assert (v1.sme_count, v1.individual_count, v1.new_count, v1.carried_count, v1.removed_count) == (9, 2, 11, 0, 0)
    assert v1.engine == "duckdb" and v1.built_by == "admin" and v1.previous_version_id is None
    entries_path, _ = lists.version_files(2024)
    assert v1.content_digest == content_digest(entries_path)
    stored = {r["entity_key"]: r for r in _stored(session, ListEntry, v1.id)}
    assert len(stored) == 11
    assert stored["91410702MA0000001R"]["reasons"].startswith("登记状态：存续；纳税：正常（信用等级A）")
    assert stored["R:410711600012345"]["uscc"] is None and stored["R:410711600012345"]["tier"] == "C"

    v2 = lists.build_version(session, 2025, *_batches(session, "year2", tmp_path / "s2"), actor="admin")
    assert v2.previous_version_id == v1.id
    assert (v2.sme_count + v2.individual_count, v2.new_count, v2.carried_count, v2.removed_count) == (7, 1, 6, 5)
    removed = {r["entity_key"]: r["reason_code"] for r in _stored(session, ListRemoval, v2.id)}
    assert removed == {"91410702MA0000002W": "deregistered", "91410702MA00000030": "converted",
                       "91410702MA0000007C": "tax_abnormal", "91410702317000008U": "size_grown",
                       "91410702MA0000011T": "gone"}
    carried = session.execute(select(ListEntry.first_listed_year).where(
        ListEntry.version_id == v2.id, ListEntry.entity_key == "92410711MA00000344")).scalar_one()
    assert carried == 2024


def test_rebuild_replaces_the_year_with_the_same_digest(session, tmp_path):
    batches = _batches(session, "year1", tmp_path / "s1")
    v1 = lists.build_version(session, 2024, *batches, actor="admin")
    first_id, digest = v1.id, v1.content_digest
    again = lists.build_version(session, 2024, *batches, actor="admin2")
    assert again.id == first_id and again.content_digest == digest and again.built_by == "admin2"
    n = session.scalar(select(func.count()).select_from(ListEntry).where(ListEntry.version_id == first_id))
    assert n == 11


def test_lost_files_are_rewritten_from_the_database(session, tmp_path):
    v1 = lists.build_version(session, 2024, *_batches(session, "year1", tmp_path / "s1"), actor="admin")
    entries, removals = lists.version_files(2024)
    entries.unlink()
    removals.unlink()
    lists.ensure_files(session, v1)
    assert content_digest(entries) == v1.content_digest
    assert pq.read_metadata(removals).num_rows == 0


def test_summary_by_county(session, tmp_path):
    lists.build_version(session, 2024, *_batches(session, "year1", tmp_path / "s1"), actor="admin")
    lists.build_version(session, 2025, *_batches(session, "year2", tmp_path / "s2"), actor="admin")
    rows, total = lists.summary(session, 2025)
    by = {r.county_code: r for r in rows}
    assert len(rows) == 15  # every reporting unit, even an empty one
    hq = by["410702"]
    assert (hq.sme, hq.individual, hq.tiers, hq.new, hq.carried, hq.removed) == (
        3, 1, {"A": 2, "B": 1, "C": 1}, 1, 3, 5)
    assert by["410783"].county_name == "长垣市" and by["410783"].sme == 1
    assert (by["410711"].individual, by["410711"].removed) == (1, 0)
    assert (total.total, total.new, total.carried, total.removed) == (7, 1, 6, 5)
    with pytest.raises(LookupError):
        lists.summary(session, 1999)


def test_wrong_batch_kind_is_refused(session, tmp_path):
    reg, tax, credit = _batches(session, "year1", tmp_path / "s1")
    with pytest.raises(lists.ListBuildError):
        lists.build_version(session, 2024, tax, reg, credit, actor="admin")


@pytest.mark.spark
@pytest.mark.slow
@pytest.mark.timeout(600)
def test_spark_engine_stores_the_same_version(session, tmp_path, backend):
    if backend != "sqlite":
        pytest.skip("the engine does not depend on the app database; once is enough")
    pytest.importorskip("pyspark")
    batches = _batches(session, "year1", tmp_path / "s1")
    duck = lists.build_version(session, 2024, *batches, actor="admin")
    digest = duck.content_digest
    spark = lists.build_version(session, 2024, *batches, engine="spark", actor="admin")
    assert spark.engine == "spark" and spark.content_digest == digest
    assert (spark.sme_count, spark.individual_count) == (9, 2)


def test_rebuilding_a_year_marks_the_next_year_stale_until_it_is_rebuilt(session, tmp_path):
    hours = iter(range(1, 10))

    def clock():
        return datetime(2026, 3, 1, next(hours), tzinfo=UTC)

    first = _batches(session, "year1", tmp_path / "s1")
    second = _batches(session, "year2", tmp_path / "s2")
    lists.build_version(session, 2024, *first, actor="admin", clock=clock)
    lists.build_version(session, 2025, *second, actor="admin", clock=clock)
    session.expire_all()  # read back what the database holds (SQLite: times without their zone)
    assert lists.stale_versions(queries.versions(session)) == []

    lists.build_version(session, 2024, *first, actor="admin", clock=clock)
    session.expire_all()
    assert lists.stale_versions(queries.versions(session)) == [lists.StaleVersion(2025, 2024)]

    lists.build_version(session, 2025, *second, actor="admin", clock=clock)
    session.expire_all()
    assert lists.stale_versions(queries.versions(session)) == []
