"""After a version is stored, PostgreSQL's list tables are vacuumed and analysed (index-only scans need it)."""

import time

import pytest
from sqlalchemy import text

from shoudai.registry.store import refresh_statistics


def _last(engine, table: str):
    with engine.connect() as c:
        return c.execute(text("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = :t"),
                         {"t": table}).one()


def _leaf(engine) -> str:
    """list_entry is partitioned per version (migration 0010): a version with one entry, and the table holding it."""
    with engine.begin() as c:
        c.execute(text("INSERT INTO import_batch (kind, file_name, sha256, file_format, total_rows, accepted_rows, "
                       "rejected_rows, duplicate_rows, staged_path, actor, created_at) "
                       "VALUES ('registry', 'r', 'x', 'csv', 0, 0, 0, 0, '-', 't', now())"))
        vid = c.execute(text("INSERT INTO list_version (year, engine, registry_batch_id, tax_batch_id, "
                             "credit_batch_id, sme_count, individual_count, new_count, carried_count, removed_count, "
                             "content_digest, built_by, built_at) SELECT 2024, 'duckdb', id, id, id, 0, 0, 0, 0, 0, "
                             "'0', 't', now() FROM import_batch RETURNING id")).scalar()
        c.execute(text("INSERT INTO list_entry (version_id, entity_key, list_kind, name, entity_kind, county_code, "
                       "tier, change, first_listed_year, reasons) "
                       "VALUES (:v, 'K', 'sme', 'n', 'enterprise', '410702', 'A', 'new', 2024, 'r')"), {"v": vid})
        return c.execute(text("SELECT tableoid::regclass::text FROM list_entry")).scalar()


def test_refresh_statistics_vacuums_and_analyses_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        refresh_statistics(engine)  # SQLite: nothing to do, and no error
        pytest.skip("VACUUM statistics are a PostgreSQL matter")
    leaf = _leaf(engine)
    assert _last(engine, leaf) == (None, None)
    refresh_statistics(engine)
    for _ in range(50):  # the statistics view is updated when the backend reports, a moment later at most
        vacuumed, analysed = _last(engine, leaf)
        if vacuumed and analysed:
            break
        time.sleep(0.1)
    assert vacuumed is not None and analysed is not None
    assert all(_last(engine, "list_removal"))
