"""Signed webhooks (X4): HMAC-SHA256 over timestamp + "." + body, with a per-bank secret."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import httpx

TIMESTAMP_HEADER = "X-Shoudai-Timestamp"
SIGNATURE_HEADER = "X-Shoudai-Signature"
MESSAGE_ID_HEADER = "X-Shoudai-Message-Id"  # stable across retries: receivers dedupe on it
TOPIC_HEADER = "X-Shoudai-Topic"
# How far a receiver should accept a timestamp from its own clock (replay protection).
TOLERANCE_SECONDS = 300


class DeliveryError(RuntimeError):
    """The message did not reach its receiver; `retryable` is False when trying again cannot help."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class Endpoint:
    """Where a bank receives webhooks, and the secret both sides share."""

    url: str
    secret: str


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """Hex HMAC-SHA256 of `timestamp + "." + body` under `secret`."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, now_epoch: int,
           tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a bank's receiver does: check the signature in constant time and refuse stale timestamps."""
    try:
        age = abs(now_epoch - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookSender:
    """Sends an outbox row to the bank named in its destination."""

    def __init__(self, resolve: Callable[[str], Endpoint | None], *, timeout: float = 5.0,
                 client: httpx.Client | None = None):
        self.resolve, self.timeout = resolve, timeout
        self._client = client or httpx.Client(timeout=timeout)

    def __call__(self, msg, at: datetime) -> None:
        """POST an outbox message's payload as stored; any non-2xx or network error raises DeliveryError."""
        endpoint = self.resolve(msg.destination)
        if endpoint is None:
            raise DeliveryError(f"no active webhook endpoint for bank {msg.destination}")
        body = msg.payload.encode("utf-8")
        ts = str(int(at.timestamp()))
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(endpoint.secret, ts, body),
            MESSAGE_ID_HEADER: str(msg.id),
            TOPIC_HEADER: msg.topic,
        }
        try:
            resp = self._client.post(endpoint.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{type(exc).__name__}: {exc}"[:300]) from exc
        if not 200 <= resp.status_code < 300:
            raise DeliveryError(f"bank endpoint answered {resp.status_code}")

    def close(self) -> None:
        self._client.close()
