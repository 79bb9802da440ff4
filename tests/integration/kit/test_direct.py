"""Direct statements: the same SQL and conversions as session.execute, in the session's transaction."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, event, insert, select
from sqlalchemy.exc import IntegrityError

from shoudai.db import session_scope
from shoudai.kit.direct import MULTI_ROW_MAX, Direct, commit_in_pipeline, insert_rows, pipeline
from shoudai.lending.models import NeedBank, RateBucket
from shoudai.outbox.models import OutboxMessage

T = RateBucket.__table__
AT = datetime(2026, 3, 2, 8, 30, 15, 123456, tzinfo=UTC)
NEWEST = Direct(select(T.c.key, T.c.window_start, T.c.hits).where(T.c.hits >= bindparam("least"))
                .order_by(T.c.hits.desc()).limit(2))


def aware(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at  # SQLite gives back naive UTC, as SQLAlchemy does


def test_rows_go_in_and_come_back_as_session_execute_gives_them(session):
    insert_rows(T, ("key", "window_start", "hits")).execute_many(
        session, [{"key": f"k{i}", "window_start": AT + timedelta(minutes=i), "hits": i} for i in range(4)])
    rows = NEWEST.execute(session, {"least": 1})
    # The LIMIT the statement carries applies; the datetime is converted back (SQLite stores it as text).
    assert [(key, aware(at), hits) for key, at, hits in rows] == [
        ("k3", AT + timedelta(minutes=3), 3), ("k2", AT + timedelta(minutes=2), 2)]
    expected = session.execute(select(T.c.key, T.c.window_start, T.c.hits).where(T.c.hits >= 1)
                               .order_by(T.c.hits.desc()).limit(2)).all()
    assert [tuple(r) for r in expected] == rows


def test_an_insert_returning_gives_its_rows_and_a_plain_one_none(session):
    returning = Direct(insert(T).returning(T.c.key, T.c.hits), column_keys=["key", "window_start", "hits"])
    assert returning.execute(session, {"key": "r", "window_start": AT, "hits": 7}) == [("r", 7)]
    plain = Direct(insert(T), column_keys=["key", "window_start", "hits"])
    assert plain.execute(session, {"key": "p", "window_start": AT, "hits": 8}) == []
    assert session.scalar(select(T.c.hits).where(T.c.key == "p")) == 8


def test_it_runs_in_the_session_transaction_and_follows_it_to_the_next(engine):
    with pytest.raises(RuntimeError), session_scope(engine) as s:
        insert_rows(T, ("key", "window_start", "hits")).execute_many(s, [{"key": "gone", "window_start": AT, "hits": 1}])
        raise RuntimeError("rolled back")
    with session_scope(engine) as s:
        assert NEWEST.execute(s, {"least": 0}) == []  # the rollback took the direct insert with it
        insert_rows(T, ("key", "window_start", "hits")).execute_many(s, [{"key": "a", "window_start": AT, "hits": 1}])
        s.commit()  # a new transaction follows: the next statement runs in it, on its own cursor
        insert_rows(T, ("key", "window_start", "hits")).execute_many(s, [{"key": "b", "window_start": AT, "hits": 2}])
    with session_scope(engine) as s:
        assert [key for key, _, _ in NEWEST.execute(s, {"least": 0})] == ["b", "a"]


def test_statements_it_cannot_run_as_compiled_are_refused(session):
    with pytest.raises(ValueError, match="expand"):
        Direct(select(T.c.key).where(T.c.key.in_(["a", "b"]))).execute(session)
    with pytest.raises(ValueError, match="answer_breached"):
        # need_bank's flags have Python defaults: an insert leaving them out would need SQLAlchemy to fill them in.
        Direct(insert(NeedBank.__table__), column_keys=["need_id", "bank_code"]).execute(session, {})


@pytest.mark.parametrize("n", [1, 3, MULTI_ROW_MAX + 5])  # one multi-row statement up to the maximum, then one by one
def test_inserted_rows_keep_their_order(session, n):
    box = OutboxMessage.__table__
    rows = [{"topic": f"t{i:03d}", "channel": "sms", "destination": "x", "payload": "{}", "status": "pending",
             "attempts": 0, "next_attempt_at": AT, "created_at": AT, "created_by": "test"} for i in range(n)]
    insert_rows(box, tuple(rows[0])).execute_many(session, rows)
    assert session.scalars(select(box.c.topic).order_by(box.c.id)).all() == [f"t{i:03d}" for i in range(n)]


def test_driver_errors_come_as_sqlalchemy_errors(session):
    statement = Direct(insert(T), column_keys=["key", "window_start", "hits"])
    statement.execute(session, {"key": "twice", "window_start": AT, "hits": 1})
    with pytest.raises(IntegrityError):  # what the submission's retry path catches, from either engine
        statement.execute(session, {"key": "twice", "window_start": AT, "hits": 2})


def test_a_pipeline_sends_writes_with_the_next_read_and_reports_errors_as_sqlalchemy_does(session):
    rows = insert_rows(T, ("key", "window_start", "hits"))
    with pipeline(session):
        rows.execute_many(session, [{"key": "p1", "window_start": AT, "hits": 5}])
        assert [key for key, _, _ in NEWEST.execute(session, {"least": 5})] == ["p1"]  # the write went first
        rows.execute_many(session, [{"key": "p2", "window_start": AT, "hits": 6}])
    assert session.scalar(select(T.c.hits).where(T.c.key == "p2")) == 6
    with pytest.raises(IntegrityError), pipeline(session):  # on PostgreSQL the error surfaces as the block ends
        rows.execute_many(session, [{"key": "p1", "window_start": AT, "hits": 7}])


def test_a_commit_in_the_pipeline_commits_and_gives_the_connection_back_only_after_the_block(engine):
    rows = insert_rows(T, ("key", "window_start", "hits"))
    returned_in_pipeline = []

    def on_checkin(dbapi_connection, _record):
        pgconn = getattr(dbapi_connection, "pgconn", None)  # PostgreSQL's: is it still in pipeline mode?
        returned_in_pipeline.append(pgconn is not None and pgconn.pipeline_status != 0)

    event.listen(engine, "checkin", on_checkin)
    try:
        with session_scope(engine) as s:
            with pipeline(s):
                rows.execute_many(s, [{"key": "c1", "window_start": AT, "hits": 1}])
                commit_in_pipeline(s)
            if engine.dialect.name == "postgresql":  # committed already: another connection sees the row
                with session_scope(engine) as other:
                    assert [key for key, _, _ in NEWEST.execute(other, {"least": 1})] == ["c1"]
        with pytest.raises(IntegrityError), session_scope(engine) as s, pipeline(s):  # the commit's error
            rows.execute_many(s, [{"key": "c1", "window_start": AT, "hits": 2}])
            commit_in_pipeline(s)
        with session_scope(engine) as s:
            assert [(key, hits) for key, _, hits in NEWEST.execute(s, {"least": 0})] == [("c1", 1)]
    finally:
        event.remove(engine, "checkin", on_checkin)
    assert returned_in_pipeline and not any(returned_in_pipeline)
