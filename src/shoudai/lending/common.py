"""Small helpers shared by the lending services: actors, time, JSON columns, the timeline, errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from shoudai.kit.writebehind import hold
from shoudai.lending.models import NeedEvent


class NamedActor(Protocol):
    username: str


Actorish = str | NamedActor


class LendingError(ValueError):
    """A business rule refused the action; `code` is stable for the API, the message is Chinese for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


class NotFound(LendingError):
    """The need, track or channel does not exist (or is not visible to the caller)."""

    def __init__(self, what: str):
        super().__init__("not_found", f"{what} 不存在")


def actor_name(actor: Actorish) -> str:
    """The actor's name as stored (accepts a plain string or shoudai.audit.actor.Actor)."""
    name = actor if isinstance(actor, str) else getattr(actor, "username", "")
    if not name:
        raise ValueError("actor is required")
    return name[:64]


def utc(at: datetime) -> datetime:
    """Aware UTC; naive values (read back from SQLite) are UTC by convention; naive input is refused."""
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at.astimezone(UTC)


def now_utc(now: datetime | None) -> datetime:
    """The injected clock's `now` as UTC (services never read the wall clock themselves unless given None)."""
    if now is None:
        return datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(UTC)


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


def loads_list(text: str | None) -> list:
    return json.loads(text) if text else []


def audit(session: Session, actor: Actorish, action: str, *, object_type: str, object_id: object,
          at: datetime, detail: dict[str, Any] | None = None) -> None:
    """Write the audit row (X3) in the caller's transaction; plain-string actors become audit Actors."""
    from shoudai.audit.actor import Actor
    from shoudai.audit.service import record

    if isinstance(actor, Actor):
        who = actor
    else:
        name = actor_name(actor)
        who = Actor(username=name, role="system" if name.startswith("system:") else getattr(actor, "role", ""))
    record(session, who, action, object_type=object_type, object_id=object_id, detail=detail, at=utc(at))


def record_event(session: Session, *, need_id: int, kind: str, actor: Actorish, at: datetime,
                 need_bank_id: int | None = None, audited: bool = True, **detail: Any) -> None:
    """Append one step to the need's timeline, and (unless a bulk system step) to the audit trail."""
    row = {"need_id": need_id, "need_bank_id": need_bank_id, "kind": kind, "actor": actor_name(actor), "at": utc(at),
           "detail": dumps(detail)}
    if not hold(session, NeedEvent.__table__, row):
        session.add(NeedEvent(**row))
    if audited:
        audit(session, actor, f"lending.{kind}", object_type="need_bank" if need_bank_id else "need",
              object_id=need_bank_id or need_id, at=at, detail={"need_id": need_id, **detail})
