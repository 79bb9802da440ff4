"""Request signatures of the bank API: pure functions shared by the server and by bank clients (no database, no HTTP).

A bank signs  METHOD \\n PATH[?QUERY] \\n TIMESTAMP \\n SHA256-HEX(BODY)  with HMAC-SHA256 under its key secret and
sends X-Api-Key (the key id), X-Timestamp (Unix seconds, optionally with a fraction such as 1767225600.123, so two
identical requests within one second still differ) and X-Signature (lower-case hex).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime

MAX_SKEW_SECONDS = 300  # a request more than 5 minutes from the server's clock is refused
TIMESTAMP_RE = re.compile(r"^\d{1,12}(\.\d{1,6})?$")


def body_hash(body: bytes) -> str:
    """Hex SHA-256 of the raw request body (the empty body included)."""
    return hashlib.sha256(body or b"").hexdigest()


def canonical(method: str, path_and_query: str, timestamp: str, body: bytes) -> str:
    """The string that is signed: exactly what was sent, so no client/server normalisation can disagree."""
    return "\n".join((method.upper(), path_and_query, timestamp, body_hash(body)))


def sign(secret: str, method: str, path_and_query: str, timestamp: str, body: bytes = b"") -> str:
    """The X-Signature value for one request."""
    msg = canonical(method, path_and_query, timestamp, body).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), msg, hashlib.sha256).hexdigest()


def signature_matches(secret: str, signature: str, method: str, path_and_query: str, timestamp: str,
                      body: bytes) -> bool:
    """Constant-time comparison, so response timing reveals nothing about how much of a guess was right."""
    expected = sign(secret, method, path_and_query, timestamp, body)
    return hmac.compare_digest(expected.encode("ascii"), (signature or "").strip().lower().encode("ascii", "replace"))


def timestamp_fresh(timestamp: str, now: datetime, max_skew: int = MAX_SKEW_SECONDS) -> bool:
    """Is `timestamp` (Unix seconds) within `max_skew` seconds of `now`, either way?"""
    if not isinstance(timestamp, str) or not TIMESTAMP_RE.match(timestamp):
        return False
    return abs(now.timestamp() - float(timestamp)) <= max_skew


def signed_headers(key_id: str, secret: str, method: str, path_and_query: str, body: bytes = b"",
                   *, now: datetime) -> dict[str, str]:
    """The three headers a bank client adds to a request (also used by the tests and the docs' example)."""
    ts = f"{now.timestamp():.3f}"
    return {"X-Api-Key": key_id, "X-Timestamp": ts,
            "X-Signature": sign(secret, method, path_and_query, ts, body)}
