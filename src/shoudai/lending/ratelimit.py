"""Fixed-window rate limits in the database (OWASP API6), shared by every web worker; the clock is injected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from shoudai.lending.common import utc
from shoudai.lending.models import RateBucket


@dataclass(frozen=True)
class Limit:
    """At most `count` hits per `window`."""

    count: int
    window: timedelta


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # seconds until the window resets (0 when allowed)


class RateLimiter:
    """Counts hits per key in the caller's transaction: commit even when refusing, so the refusal sticks."""

    def __init__(self, session: Session, now: datetime):
        self.session, self.now = session, utc(now)

    def hit(self, key: str, limit: Limit) -> Decision:
        """Count one hit on `key`; allowed while the window's count stays within the limit."""
        key = key[:200]
        dialect = self.session.get_bind().dialect.name
        if dialect == "postgresql":
            return self._hit_pg(key, limit)
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        # Create the bucket if missing without racing another request for the same key.
        self.session.execute(insert(RateBucket).values(key=key, window_start=self.now, hits=0)
                             .on_conflict_do_nothing(index_elements=["key"]))
        stmt = select(RateBucket).where(RateBucket.key == key)
        if dialect == "postgresql":
            stmt = stmt.with_for_update()
        bucket = self.session.scalars(stmt.execution_options(populate_existing=True)).one()
        start = utc(bucket.window_start)
        if self.now >= start + limit.window or self.now < start:
            bucket.window_start, bucket.hits, start = self.now, 0, self.now
        if bucket.hits >= limit.count:
            self.session.flush()
            wait = int((start + limit.window - self.now).total_seconds()) + 1
            return Decision(False, 0, max(wait, 1))
        bucket.hits += 1
        self.session.flush()
        return Decision(True, limit.count - bucket.hits, 0)

    def _hit_pg(self, key: str, limit: Limit) -> Decision:
        """The same rule in one statement (on the submission hot path): count unless the window is full."""
        t = RateBucket.__table__
        now, window = self.now, limit.window
        expired = (now >= t.c.window_start + window) | (now < t.c.window_start)
        stmt = pg_insert(RateBucket).values(key=key, window_start=now, hits=1)
        stmt = stmt.on_conflict_do_update(
            index_elements=["key"],
            set_={"window_start": case((expired, now), else_=t.c.window_start),
                  "hits": case((expired, 1), else_=t.c.hits + 1)},
            where=expired | (t.c.hits < limit.count),
        ).returning(t.c.hits)
        hits = self.session.execute(stmt).scalar()
        if hits is not None:
            return Decision(True, limit.count - hits, 0)
        start = utc(self.session.execute(select(t.c.window_start).where(t.c.key == key)).scalar_one())
        wait = int((start + limit.window - self.now).total_seconds()) + 1
        return Decision(False, 0, max(wait, 1))
