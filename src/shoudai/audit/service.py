"""Record, verify, search and purge the audit trail. `record` runs inside the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.audit.models import AuditEvent
from shoudai.kit.direct import Direct, insert_rows

GENESIS = "0" * 64
RETENTION = timedelta(days=180)
# Arbitrary constant naming "the audit chain" for PostgreSQL's advisory lock.
_CHAIN_LOCK = 0x5D_A0D1
_CHAIN_LOCK_SQL = Direct(text("SELECT pg_advisory_xact_lock(:k)"))
_BATCH = "shoudai.audit.batch"  # session.info key: rows held back by `batched`


class RetentionError(ValueError):
    """A purge would delete audit rows younger than the retention period."""


def utc(at: datetime) -> datetime:
    """`at` as an aware UTC datetime; naive values (SQLite) are UTC by convention."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def canonical_detail(detail: dict[str, Any] | None) -> str:
    """Detail as canonical JSON (sorted keys, no spaces), so the hash does not depend on dict order."""
    return json.dumps(detail or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(slots=True)
class AuditRow:
    """An audit row not yet appended: a plain object (building an ORM AuditEvent per row cost more than its insert)."""

    at: datetime
    actor_id: int | None
    actor: str
    role: str
    action: str
    object_type: str | None
    object_id: str | None
    source: str | None
    outcome: str
    detail: str
    prev_hash: str = ""
    row_hash: str = ""


def row_content(ev: AuditEvent | AuditRow) -> str:
    """What a row's hash covers besides its predecessor's hash: its fields as compact JSON."""
    return json.dumps(
        [
            utc(ev.at).replace(tzinfo=None).isoformat(timespec="microseconds"),
            ev.actor_id, ev.actor, ev.role, ev.action, ev.object_type, ev.object_id, ev.source, ev.outcome, ev.detail,
        ],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def row_digest(ev: AuditEvent | AuditRow) -> str:
    """sha256(previous row hash | this row's content)."""
    return hashlib.sha256(f"{ev.prev_hash}|{row_content(ev)}".encode()).hexdigest()


def hold_sqlite_write_lock(session: Session) -> None:
    """On SQLite, make this transaction hold the database write lock before a read-then-write.

    The sqlite3 driver only opens a transaction at the first INSERT/UPDATE/DELETE, so earlier SELECTs see other
    writers' commits; if no write has happened yet, BEGIN IMMEDIATE takes the lock now (others wait, busy timeout).
    """
    if session.get_bind().dialect.name != "sqlite":  # asked first: session.connection() costs more than this
        return
    conn = session.connection()
    if not conn.connection.driver_connection.in_transaction:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _lock_chain(session: Session) -> None:
    # Serialise appenders until commit, so each row sees its true predecessor; should anything slip through,
    # the unique prev_hash turns a lost race into an error, never a fork.
    if session.get_bind().dialect.name == "postgresql":
        _CHAIN_LOCK_SQL.execute(session, {"k": _CHAIN_LOCK}, fetch=False)  # in a pipeline it goes with the head read
    else:
        hold_sqlite_write_lock(session)


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: object | None = None,
    outcome: str = "success",
    detail: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditRow:
    """Append one audit row in the caller's transaction (it commits or rolls back with the action itself).

    The returned row carries no id; inside `batched` it is appended (and gets its hash) when the block ends."""
    ev = AuditRow(
        at=utc(at or datetime.now(UTC)),
        actor_id=actor.user_id,
        actor=actor.username[:64],
        role=actor.role[:32],
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id)[:64],
        source=(actor.source or None) and actor.source[:64],
        outcome=outcome,
        detail=canonical_detail(detail),
    )
    pending = session.info.get(_BATCH)
    if pending is not None:
        pending.append(ev)
    else:
        _append(session, [ev])
    return ev


@contextmanager
def batched(session: Session) -> Iterator[None]:
    """Hold back the block's audit rows and append them together as it ends: one chain lock, one read, one insert.

    Why: the chain lock is held from the first append until commit, serialising every writer behind it; appending
    at the end of a request (just before its commit) shrinks that window to the commit itself. Rows of a block that
    raises are dropped with its transaction. Nested blocks join the outer one.
    """
    with held(session) as pending:
        yield
    append(session, pending)


@contextmanager
def held(session: Session) -> Iterator[list[AuditRow]]:
    """`batched` without the append: the block's rows are given to the caller, who appends them (`append`) when it
    chooses, before its commit. A nested block joins the outer one (and gives an empty list)."""
    if _BATCH in session.info:
        yield []
        return
    pending: list[AuditRow] = []
    session.info[_BATCH] = pending
    try:
        yield pending
    finally:
        del session.info[_BATCH]


def append(session: Session, rows: list[AuditRow]) -> None:
    """Append held rows to the chain (nothing to do for none)."""
    if rows:
        _append(session, rows)


# Built once: every audited request runs them.
_HEAD = Direct(select(AuditEvent.__table__.c.row_hash).order_by(AuditEvent.__table__.c.id.desc()).limit(1))
_COLUMNS = tuple(c.key for c in AuditEvent.__table__.c if not c.primary_key)
_INSERT = insert_rows(AuditEvent.__table__, _COLUMNS)


def _append(session: Session, events: list[AuditRow]) -> None:
    _lock_chain(session)
    if session.get_bind().dialect.name == "postgresql":
        _append_on_server(session, events)
        return
    head = _HEAD.execute(session)
    prev = head[0][0] if head else GENESIS
    rows = []
    for ev in events:
        ev.prev_hash = prev
        ev.row_hash = prev = row_digest(ev)
        rows.append({key: getattr(ev, key) for key in _COLUMNS})
    # A plain insert (the rows' ids are never needed back); executed in list order, so ids follow the chain.
    _INSERT.execute_many(session, rows)


def _append_on_server(session: Session, events: list[AuditRow]) -> None:
    """PostgreSQL reads the head and hashes the rows itself (the same digest as row_digest), in one statement.

    Why: the chain lock is held from the lock statement to the commit. When the hashes need the head in Python,
    that window holds two round trips and the wait for this thread's turn at the interpreter; with nothing to
    read back, the lock, this insert and the commit can go out together (direct.pipeline) and the window is the
    server's own work. The rows' hashes are not read back: AuditRow.prev_hash/row_hash stay empty here."""
    payload = [[utc(ev.at).isoformat(), ev.actor_id, ev.actor, ev.role, ev.action, ev.object_type, ev.object_id,
                ev.source, ev.outcome, ev.detail, row_content(ev)] for ev in events]
    _APPEND_ON_SERVER.execute(session, {"rows": json.dumps(payload, ensure_ascii=False), "genesis": GENESIS},
                              fetch=False)


# The rows arrive as one JSON array of [at, actor_id, actor, role, action, object_type, object_id, source,
# outcome, detail, content]; `chain` walks them in order, each hashing its predecessor's hash and its content.
# Inserted in that order, so ids follow the chain as verify_chain walks it.
_APPEND_ON_SERVER = Direct(text("""
WITH RECURSIVE given AS (
    SELECT g.ord, g.r FROM json_array_elements(CAST(:rows AS json)) WITH ORDINALITY AS g(r, ord)
), chain(ord, prev_hash, row_hash) AS (
    SELECT given.ord, head.h, encode(sha256(convert_to(head.h || '|' || (given.r ->> 10), 'UTF8')), 'hex')
    FROM (SELECT coalesce((SELECT row_hash FROM audit_event ORDER BY id DESC LIMIT 1), :genesis) AS h) AS head,
         given
    WHERE given.ord = 1
    UNION ALL
    SELECT given.ord, chain.row_hash,
           encode(sha256(convert_to(chain.row_hash || '|' || (given.r ->> 10), 'UTF8')), 'hex')
    FROM chain JOIN given ON given.ord = chain.ord + 1
)
INSERT INTO audit_event (at, actor_id, actor, role, action, object_type, object_id, source, outcome, detail,
                         prev_hash, row_hash)
SELECT CAST(given.r ->> 0 AS timestamptz), CAST(given.r ->> 1 AS integer), given.r ->> 2, given.r ->> 3,
       given.r ->> 4, given.r ->> 5, given.r ->> 6, given.r ->> 7, given.r ->> 8, given.r ->> 9,
       chain.prev_hash, chain.row_hash
FROM given JOIN chain ON chain.ord = given.ord
ORDER BY given.ord
"""))


@dataclass(frozen=True)
class ChainReport:
    """The result of walking the chain: ok, rows checked, the first bad row and why, the head hash."""

    ok: bool
    checked: int
    first_bad_id: int | None = None
    problem: str | None = None
    head_hash: str | None = None
    anchor: str | None = None


def verify_chain(session: Session, batch: int = 5000) -> ChainReport:
    """Recompute every row's hash in id order; any edited, inserted or deleted row breaks the chain."""
    checked, prev, anchor = 0, None, None
    for ev in session.scalars(select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)):
        if prev is None:
            # After a purge the first surviving row points at a deleted one: that hash is the anchor,
            # and the purge itself is an audited event naming it.
            anchor = ev.prev_hash
        elif ev.prev_hash != prev:
            return ChainReport(False, checked, ev.id, "prev_hash does not match the previous row", prev, anchor)
        if row_digest(ev) != ev.row_hash:
            return ChainReport(False, checked, ev.id, "row content does not match its hash", prev, anchor)
        prev = ev.row_hash
        checked += 1
    return ChainReport(True, checked, head_hash=prev, anchor=anchor)


@dataclass(frozen=True)
class AuditQuery:
    """Search filters; `since`/`until` are aware datetimes (until exclusive)."""

    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(q: AuditQuery):
    stmt = select(AuditEvent)
    if q.actor:
        stmt = stmt.where(AuditEvent.actor == q.actor.strip())
    if q.action:
        # Prefix match, so "login" finds login.success and login.failure.
        stmt = stmt.where(AuditEvent.action.startswith(q.action.strip(), autoescape=True))
    if q.outcome:
        stmt = stmt.where(AuditEvent.outcome == q.outcome)
    if q.since:
        stmt = stmt.where(AuditEvent.at >= utc(q.since))
    if q.until:
        stmt = stmt.where(AuditEvent.at < utc(q.until))
    return stmt


def search(session: Session, q: AuditQuery, *, limit: int = 50, offset: int = 0) -> tuple[list[AuditEvent], int]:
    """One page of matching rows, newest first, and the total count."""
    stmt = _filtered(q)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit).offset(offset)).all()
    return list(rows), total


def iter_matching(session: Session, q: AuditQuery, batch: int = 2000) -> Iterator[AuditEvent]:
    """Every matching row, newest first, streamed (for export)."""
    yield from session.scalars(_filtered(q).order_by(AuditEvent.id.desc()).execution_options(yield_per=batch))


def purge(session: Session, actor: Actor, *, before: datetime, now: datetime | None = None) -> int:
    """Delete rows older than `before`; refuses anything younger than 180 days. The purge is itself audited."""
    now = utc(now or datetime.now(UTC))
    before = utc(before)
    if before > now - RETENTION:
        raise RetentionError(f"audit rows are kept {RETENTION.days} days: cannot purge after {now - RETENTION:%Y-%m-%d}")
    doomed = select(AuditEvent.id).where(AuditEvent.at < before)
    last = session.scalar(
        select(AuditEvent.row_hash).where(AuditEvent.at < before).order_by(AuditEvent.id.desc()).limit(1)
    )
    count = session.scalar(select(func.count()).select_from(doomed.subquery())) or 0
    if count:
        session.execute(delete(AuditEvent).where(AuditEvent.at < before))
    record(
        session, actor, "audit.purge", outcome="success", at=now,
        detail={"before": before.isoformat(), "deleted": count, "last_deleted_hash": last},
    )
    return count
