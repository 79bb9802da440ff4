"""Viewing personal data unmasked (X2): only staff, only with a stated purpose, and every view audited."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.audit.actor import Actor
from shoudai.audit.service import record

MIN_PURPOSE = 4


class RevealRefused(PermissionError):
    """The unmasked value may not be shown (role not allowed, or no purpose stated)."""


def reveal(
    session: Session, actor: Actor, *, kind: str, value: str | None, purpose: str, object_type: str,
    object_id: object, at: datetime | None = None,
) -> str | None:
    """Return `value` unmasked after recording who viewed which field of which object, and why.

    Callers check scope first (the object must be visible to the actor); this adds the purpose and the audit row.
    """
    if not roles.is_staff(actor.role):
        raise RevealRefused("无权查看完整个人信息")
    purpose = (purpose or "").strip()
    if len(purpose) < MIN_PURPOSE:
        raise RevealRefused(f"请填写查看用途（至少{MIN_PURPOSE}个字）")
    record(session, actor, "pii.reveal", object_type=object_type, object_id=object_id, at=at,
           detail={"field": kind, "purpose": purpose[:200]})
    return value
