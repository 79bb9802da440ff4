"""The audit trail: hash chain verification catches edits and deletions; the database refuses changes; 180-day purge."""

import io
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from shoudai.audit.actor import Actor
from shoudai.audit.export import to_xlsx
from shoudai.audit.models import AuditEvent
from shoudai.audit.service import (
    AuditQuery,
    RetentionError,
    iter_matching,
    purge,
    record,
    search,
    verify_chain,
)

ALICE = Actor("alice", "city_admin", user_id=1, source="10.1.1.1")
BOB = Actor("bob", "county_officer", user_id=2, source="10.1.1.2")
NOW = datetime.now(UTC)


def fill(session, n=5, start=NOW - timedelta(days=1)):
    for i in range(n):
        record(session, ALICE if i % 2 == 0 else BOB, "login.success" if i % 2 else "user.create",
               object_type="user", object_id=i, detail={"i": i, "名称": "红旗区"}, at=start + timedelta(minutes=i))


def unguard(session):
    """What a DBA with owner rights could do: switch the guard off to tamper."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_guard"))
    else:
        session.execute(text("DROP TRIGGER audit_event_no_update"))
        session.execute(text("DROP TRIGGER audit_event_keep_180d"))


def test_chain_verifies(session):
    fill(session)
    report = verify_chain(session)
    assert report.ok and report.checked == 5 and report.anchor == "0" * 64
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert all(b.prev_hash == a.row_hash for a, b in itertools.pairwise(rows))
    assert report.head_hash == rows[-1].row_hash


def test_a_batch_hashes_as_verify_chain_recomputes_it(session):
    """PostgreSQL hashes appended rows itself: its digest must be Python's, for any text and in the order given."""
    from shoudai.audit.service import batched, utc

    odd = ['引号"与\\反斜杠', "换行\n与制表\t", "表情😀", "", "零宽\u200b"]
    with batched(session):
        for i, value in enumerate(odd):
            record(session, Actor(f"操作员{i}", "city_admin", source=None), "test.odd", object_id=value or None,
                   detail={"值": value, "n": i}, at=NOW - timedelta(microseconds=i))
    report = verify_chain(session)
    assert report.ok and report.checked == len(odd)
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [r.actor for r in rows] == [f"操作员{i}" for i in range(len(odd))]
    assert utc(rows[0].at) == NOW and utc(rows[4].at) == NOW - timedelta(microseconds=4) and rows[0].source is None


def test_edited_row_detected(session):
    fill(session)
    unguard(session)
    victim = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()[2]
    session.execute(text("UPDATE audit_event SET detail = :d WHERE id = :i"), {"d": '{"i":99}', "i": victim.id})
    session.expire_all()
    report = verify_chain(session)
    assert not report.ok and report.first_bad_id == victim.id and "content" in report.problem


def test_edited_row_with_recomputed_hash_detected_at_next_row(session):
    fill(session)
    unguard(session)
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    session.execute(text("UPDATE audit_event SET actor = 'mallory', row_hash = :h WHERE id = :i"),
                    {"h": "f" * 64, "i": rows[1].id})
    session.expire_all()
    report = verify_chain(session)
    assert not report.ok and report.first_bad_id in (rows[1].id, rows[2].id)


def test_deleted_row_detected(session):
    fill(session)
    unguard(session)
    rows = session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    session.execute(text("DELETE FROM audit_event WHERE id = :i"), {"i": rows[2].id})
    session.expire_all()
    report = verify_chain(session)
    assert not report.ok and report.first_bad_id == rows[3].id


def test_database_refuses_update_and_recent_delete(session):
    fill(session, 1)
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE audit_event SET actor = 'x'"))
    with pytest.raises(DBAPIError, match="180 days"), session.begin_nested():
        session.execute(text("DELETE FROM audit_event"))
    assert verify_chain(session).ok


def test_purge_refuses_younger_than_180_days(session):
    fill(session, 2, start=NOW - timedelta(days=400))
    with pytest.raises(RetentionError):
        purge(session, ALICE, before=NOW - timedelta(days=179), now=NOW)
    assert verify_chain(session).checked == 2


def test_purge_deletes_old_rows_and_chain_still_verifies(session):
    fill(session, 3, start=NOW - timedelta(days=400))
    fill(session, 2, start=NOW - timedelta(days=10))
    deleted = purge(session, ALICE, before=NOW - timedelta(days=180), now=NOW)
    assert deleted == 3
    report = verify_chain(session)
    assert report.ok and report.checked == 3 and report.anchor != "0" * 64
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert last.action == "audit.purge" and '"deleted":3' in last.detail


def test_search_by_user_action_and_dates(session):
    fill(session, 6, start=datetime(2026, 11, 1, tzinfo=UTC))
    rows, total = search(session, AuditQuery(actor="bob"))
    assert total == 3 and {r.actor for r in rows} == {"bob"}
    rows, total = search(session, AuditQuery(action="login"))
    assert total == 3 and all(r.action == "login.success" for r in rows)
    rows, total = search(session, AuditQuery(since=datetime(2026, 11, 1, 0, 2, tzinfo=UTC),
                                             until=datetime(2026, 11, 1, 0, 4, tzinfo=UTC)))
    assert total == 2 and [r.object_id for r in rows] == ["3", "2"]
    rows, total = search(session, AuditQuery(), limit=2, offset=2)
    assert total == 6 and len(rows) == 2
    assert search(session, AuditQuery(action="login%"))[1] == 0  # LIKE wildcards are literal


def test_export_xlsx(session):
    fill(session, 3)
    data = to_xlsx(iter_matching(session, AuditQuery()))
    ws = load_workbook(io.BytesIO(data)).active
    values = list(ws.values)
    assert values[0][:3] == ("编号", "时间(北京时间)", "用户") and len(values) == 4
    assert "红旗区" in values[1][9]
