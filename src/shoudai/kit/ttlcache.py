"""Per-database caches with a time to live, for rarely changed rows that a hot path reads on every request.

Why: the public need submission read the working-day calendar, its channel and the banks' webhook endpoints on
every request, a sixth of its cost, though they change a few times a year. A change made elsewhere (a calendar
imported by the CLI, an endpoint set in another worker) reaches a process within `ttl` seconds; the code that
makes a change calls `clear()`, so its own process sees it at once. Only committed-only readers should use a cache:
a value read inside a transaction that later rolls back would be kept.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from sqlalchemy.orm import Session

V = TypeVar("V")


class TtlCache(Generic[V]):
    """`get(session, key)` = `load(session, key)`, remembered per engine for `ttl` seconds (None is not kept)."""

    def __init__(self, ttl: float, load: Callable[[Session, Hashable], V | None]):
        self.ttl, self._load = ttl, load
        # Keyed by the engine: tests (and a process serving two databases) never see another database's rows.
        self._by_engine: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def get(self, session: Session, key: Hashable = None) -> V | None:
        engine = session.get_bind()
        now = time.monotonic()
        with self._lock:
            hit = self._by_engine.get(engine, {}).get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = self._load(session, key)
        if value is not None:
            with self._lock:
                self._by_engine.setdefault(engine, {})[key] = (now + self.ttl, value)
        return value

    def clear(self) -> None:
        with self._lock:
            self._by_engine.clear()
