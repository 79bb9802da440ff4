"""Fixed-window rate limits in the database (OWASP API6), shared by every web worker; the clock is injected."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import DateTime, bindparam, text
from sqlalchemy.orm import Session

from shoudai.kit.direct import Direct
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
        return self.hit_all([(key, limit)])[0]

    def hit_all(self, checks: list[tuple[str, Limit]]) -> list[Decision]:
        """`hit` on several distinct keys in one statement; each key counts whatever the others decide."""
        checks = [(key[:200], limit) for key, limit in checks]
        params: dict = {"now": self.now}
        for i, (key, limit) in enumerate(checks):
            params.update({f"key{i}": key, f"stale{i}": self.now - limit.window, f"limit{i}": limit.count})
        counted = {key: hits for key, hits in _hit_all(len(checks)).execute(self.session, params)}
        return [Decision(True, limit.count - counted[key], 0) if key in counted else self._refusal(key, limit)
                for key, limit in checks]

    def _refusal(self, key: str, limit: Limit) -> Decision:
        start = utc(self.session.connection().execute(_START, {"key": key}).scalar_one())
        wait = int((start + limit.window - self.now).total_seconds()) + 1
        return Decision(False, 0, max(wait, 1))


_START = text("SELECT window_start FROM rate_bucket WHERE key = :key").columns(window_start=DateTime(timezone=True))


@functools.cache
def _hit_all(n: int) -> Direct:
    """One statement for n keys, the same on both engines (both have upsert with RETURNING): create each bucket, or
    count the hit unless its window is full; a window that ended (or lies in the future: a clock moved back) starts
    over. Each key's window and limit are chosen by key inside the conflict branch. Written as text and kept per n:
    it runs on every submission, and building it per call cost more than running it."""
    def by_key(name: str) -> str:
        return "CASE rate_bucket.key " + " ".join(f"WHEN :key{i} THEN :{name}{i}" for i in range(n)) + " END"

    expired = f"rate_bucket.window_start <= {by_key('stale')} OR rate_bucket.window_start > :now"
    values = ", ".join(f"(:key{i}, :now, 1)" for i in range(n))
    stamps = [bindparam("now", type_=DateTime(timezone=True))]
    stamps += [bindparam(f"stale{i}", type_=DateTime(timezone=True)) for i in range(n)]
    return Direct(text(f"""
        INSERT INTO rate_bucket (key, window_start, hits) VALUES {values}
        ON CONFLICT (key) DO UPDATE SET
            window_start = CASE WHEN {expired} THEN excluded.window_start ELSE rate_bucket.window_start END,
            hits = CASE WHEN {expired} THEN 1 ELSE rate_bucket.hits + 1 END
        WHERE {expired} OR rate_bucket.hits < {by_key('limit')}
        RETURNING key, hits""").bindparams(*stamps))
