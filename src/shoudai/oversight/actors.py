"""Actors and the audit trail, as the oversight services use them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from shoudai.audit.actor import Actor
from shoudai.oversight.errors import PermissionDenied

CITY_ADMIN = "city_admin"
# Roles trusted with the city admin's powers: the admin, and the platform itself (CLI run by an operator).
ADMIN_ROLES = frozenset({CITY_ADMIN, "system"})


def as_actor(actor: Actor | str) -> Actor:
    """An Actor; a bare string (CLI) becomes a system actor of that name."""
    if isinstance(actor, Actor):
        return actor
    if not actor:
        raise ValueError("actor must not be empty")
    return Actor(username=str(actor)[:64], role="system")


def require_admin(actor: Actor | str, what: str) -> Actor:
    """The actor, if it is the city admin; else PermissionDenied naming the action."""
    a = as_actor(actor)
    if a.role not in ADMIN_ROLES:
        raise PermissionDenied(f"只有市级管理员可以{what}")
    return a


def now_utc(now: datetime | None = None) -> datetime:
    """The injected clock's time, or the real one, as aware UTC."""
    return (now or datetime.now(UTC)).astimezone(UTC)


def audit(
    session: Session, actor: Actor | str, action: str, object_type: str, object_id: object, detail: dict[str, Any],
    *, outcome: str = "success", at: datetime | None = None,
) -> None:
    """Append the audit row in the caller's transaction."""
    from shoudai.audit.service import record

    record(session, as_actor(actor), action, object_type=object_type, object_id=object_id, outcome=outcome,
           detail=detail, at=at)
