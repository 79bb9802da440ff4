"""Fixed-window rate limits in the database (OWASP API6), shared by every web worker; the clock is injected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.orm import Session

from shoudai.lending.common import utc


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
        params = {"key": key, "now": self.now, "stale": self.now - limit.window, "limit": limit.count}
        hits = self.session.execute(_HIT, params).scalar()
        if hits is not None:
            return Decision(True, limit.count - hits, 0)
        start = utc(self.session.execute(_START, {"key": key}).scalar_one())
        wait = int((start + limit.window - self.now).total_seconds()) + 1
        return Decision(False, 0, max(wait, 1))


# One statement per hit, the same on both engines (both have upsert with RETURNING): create the bucket, or count
# the hit unless the window is full; a window that ended (or lies in the future: a clock moved back) starts over.
# Written once as text: it runs several times on every submission, and building it per call cost more than running it.
_EXPIRED = "rate_bucket.window_start <= :stale OR rate_bucket.window_start > :now"
_HIT = text(f"""
    INSERT INTO rate_bucket (key, window_start, hits) VALUES (:key, :now, 1)
    ON CONFLICT (key) DO UPDATE SET
        window_start = CASE WHEN {_EXPIRED} THEN excluded.window_start ELSE rate_bucket.window_start END,
        hits = CASE WHEN {_EXPIRED} THEN 1 ELSE rate_bucket.hits + 1 END
    WHERE {_EXPIRED} OR rate_bucket.hits < :limit
    RETURNING hits""").bindparams(bindparam("now", type_=DateTime(timezone=True)),
                                  bindparam("stale", type_=DateTime(timezone=True)))
_START = text("SELECT window_start FROM rate_bucket WHERE key = :key").columns(window_start=DateTime(timezone=True))
