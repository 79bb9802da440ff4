"""After a version is stored, PostgreSQL's list tables are vacuumed and analysed (index-only scans need it)."""

import time

import pytest
from sqlalchemy import text

from shoudai.registry.store import refresh_statistics


def _last(engine, table: str):
    with engine.connect() as c:
        return c.execute(text("SELECT last_vacuum, last_analyze FROM pg_stat_user_tables WHERE relname = :t"),
                         {"t": table}).one()


def test_refresh_statistics_vacuums_and_analyses_on_postgresql(engine):
    if engine.dialect.name != "postgresql":
        refresh_statistics(engine)  # SQLite: nothing to do, and no error
        pytest.skip("VACUUM statistics are a PostgreSQL matter")
    assert _last(engine, "list_entry") == (None, None)
    refresh_statistics(engine)
    for _ in range(50):  # the statistics view is updated when the backend reports, a moment later at most
        vacuumed, analysed = _last(engine, "list_entry")
        if vacuumed and analysed:
            break
        time.sleep(0.1)
    assert vacuumed is not None and analysed is not None
    assert all(_last(engine, "list_removal"))
