"""A minimal signing client for banks (and the tests): wraps an httpx.Client, signs every call, keys every write."""

from __future__ import annotations

import json as jsonlib
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from shoudai.bankapi import signing

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})


class BankApiClient:
    """`BankApiClient(httpx.Client(base_url=...), key_id, secret).post("/api/v1/needs/7/accept", json={})`."""

    def __init__(self, http: Any, key_id: str, secret: str, clock: Callable[[], datetime] | None = None):
        self.http, self.key_id, self.secret = http, key_id, secret
        self.clock = clock or (lambda: datetime.now(UTC))
        self._last: datetime | None = None

    def _now(self) -> datetime:
        # Two identical calls within one millisecond would share a signature (a replay): keep timestamps distinct.
        now = self.clock()
        if self._last is not None and now <= self._last:
            now = self._last + timedelta(milliseconds=1)
        self._last = now
        return now

    def request(self, method: str, path: str, *, json: Any = None, params: dict | None = None,
                idempotency_key: str | None = None, headers: dict[str, str] | None = None) -> Any:
        """Send one signed request; writes get a fresh Idempotency-Key unless one is given (reuse it to retry)."""
        method = method.upper()
        target = path + ("?" + urlencode(params, doseq=True) if params else "")
        body = b"" if json is None else jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
        h = signing.signed_headers(self.key_id, self.secret, method, target, body, now=self._now())
        if json is not None:
            h["Content-Type"] = "application/json"
        if method in WRITE_METHODS:
            h["Idempotency-Key"] = idempotency_key or uuid.uuid4().hex
        h.update(headers or {})
        return self.http.request(method, target, content=body, headers=h)

    def get(self, path: str, **kw: Any) -> Any:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> Any:
        return self.request("POST", path, **kw)
