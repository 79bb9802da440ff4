"""The entity page's timeline beyond its list entries: the years a business left the lists, and why (L6)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.registry.models import ListRemoval, ListVersion


def removals(session: Session, entity_key: str) -> list[tuple[int, str]]:
    """(year, reason code) of each version the business was removed in, newest first.

    Call it only after `queries.entity_view` allowed this user the business: removals carry no scope of their own.
    """
    return list(session.execute(
        select(ListVersion.year, ListRemoval.reason_code).join(ListVersion, ListVersion.id == ListRemoval.version_id)
        # version_id IN (…) lets the (version_id, entity_key) unique index serve a look-up by key alone.
        .where(ListRemoval.version_id.in_(select(ListVersion.id)), ListRemoval.entity_key == entity_key)
        .order_by(ListVersion.year.desc())).all())
