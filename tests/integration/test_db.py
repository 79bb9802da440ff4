"""The PostgreSQL engine pings a pooled connection only after it sat idle; a dead one is replaced, never reused; a
server start opens the connections its submission threads will use."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shoudai import db
from shoudai.db import make_engine, session_factory, session_scope
from shoudai.kit.direct import Direct

BACKEND_PID = Direct(text("SELECT pg_backend_pid()"))


@pytest.fixture
def pg_url(db_url, backend):
    if backend != "postgres":
        pytest.skip("PostgreSQL's: SQLite has no server connection to lose, ping or open ahead")
    return db_url


def _kill(url: str, pid: int) -> None:
    other = make_engine(url)
    with other.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
    other.dispose()


def _pings(engine, monkeypatch) -> list[int]:
    seen: list[int] = []
    real = engine.dialect.do_ping
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: seen.append(1) or real(conn))
    return seen


def test_a_connection_idle_past_the_limit_is_pinged_and_a_dead_one_replaced(pg_url, monkeypatch):
    engine = make_engine(pg_url)
    pings = _pings(engine, monkeypatch)
    monkeypatch.setattr(db, "IDLE_PING_AFTER", 0.0)  # every checkout counts as idle
    with session_scope(engine) as s:
        first = BACKEND_PID.execute(s)[0][0]
    _kill(pg_url, first)
    with session_scope(engine) as s:  # the ping finds it dead: the pool connects afresh, the request never sees it
        assert BACKEND_PID.execute(s)[0][0] != first
    assert len(pings) == 3  # the first connection's checkout, the dead one's, and its replacement's
    engine.dispose()


def test_a_busy_connection_is_not_pinged_and_if_dead_fails_once_and_is_dropped(pg_url, monkeypatch):
    engine = make_engine(pg_url)
    with session_scope(engine) as s:
        first = BACKEND_PID.execute(s)[0][0]
    pings = _pings(engine, monkeypatch)
    with session_scope(engine) as s:  # used moments ago: no ping
        assert BACKEND_PID.execute(s)[0][0] == first
    assert pings == []
    _kill(pg_url, first)
    with pytest.raises(DBAPIError) as failed, session_scope(engine) as s:
        BACKEND_PID.execute(s)
    assert failed.value.connection_invalidated
    with session_factory(engine)() as s:  # the next request gets a live connection
        assert BACKEND_PID.execute(s)[0][0] != first
    engine.dispose()


def test_a_server_start_opens_the_submission_threads_connections_and_compiles_the_hot_statements(pg_url):
    from fastapi.testclient import TestClient

    from shoudai.config import get_settings
    from shoudai.web.app import create_app

    engine = make_engine(pg_url)
    made_before = Direct(text("SELECT 1"))
    try:
        app = create_app(engine=engine, migrate_db=False)
        assert engine.pool.checkedin() == 0 and not made_before._by_dialect
        with TestClient(app):  # runs the app's start-up
            assert engine.pool.checkedin() == min(get_settings().submit_threads, engine.pool.size())
            assert "postgresql" in made_before._by_dialect  # every Direct statement made so far, this one too
    finally:
        engine.dispose()
