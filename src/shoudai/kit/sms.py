"""SMS gateways: one protocol, a file gateway for the demo, and an HTTP adapter for a real provider."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import httpx

from shoudai.config import get_settings
from shoudai.kit.masking import mask_phone


class SmsError(RuntimeError):
    """The message was not accepted by the gateway; `retryable` tells the outbox whether to try again."""

    def __init__(self, message: str, *, retryable: bool = True):
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class SmsReceipt:
    """The gateway's acknowledgement: its message id, if it gives one."""

    gateway: str
    message_id: str | None = None


class SmsGateway(Protocol):
    """Anything that can send one text message to one mainland mobile number."""

    name: str

    def send(self, phone: str, text: str) -> SmsReceipt: ...


class FileGateway:
    """Appends each message as a JSON line to <data_dir>/sms.log: the demo's phone (read it to get the code)."""

    name = "file"
    _lock = threading.Lock()

    def __init__(self, path: Path):
        self.path = Path(path)

    def send(self, phone: str, text: str) -> SmsReceipt:
        """Write one line {at, phone, text}; never fails unless the disk does."""
        _check(phone, text)
        line = json.dumps({"at": datetime.now(UTC).isoformat(), "phone": phone, "text": text}, ensure_ascii=False)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")
        return SmsReceipt(self.name)


class HttpGateway:
    """POSTs {"phone", "text", "sign"} as JSON to a provider URL with a bearer token; 2xx with JSON is success."""

    name = "http"

    def __init__(self, url: str, token: str = "", *, sign: str = "首贷通", timeout: float = 5.0,
                 client: httpx.Client | None = None):
        self.url, self.token, self.sign, self.timeout = url, token, sign, timeout
        self._client = client

    def send(self, phone: str, text: str) -> SmsReceipt:
        """Send one message; raises SmsError (retryable for timeouts, 429 and 5xx; not for other 4xx)."""
        _check(phone, text)
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        body = {"phone": phone, "text": text, "sign": self.sign}
        client = self._client or httpx.Client(timeout=self.timeout)
        try:
            resp = client.post(self.url, json=body, headers=headers, timeout=self.timeout)
        except httpx.TimeoutException as exc:
            raise SmsError(f"SMS gateway timed out after {self.timeout}s") from exc
        except httpx.HTTPError as exc:
            raise SmsError(f"SMS gateway unreachable: {type(exc).__name__}") from exc
        finally:
            if self._client is None:
                client.close()
        if resp.status_code == 429 or resp.status_code >= 500:
            raise SmsError(f"SMS gateway answered {resp.status_code}")
        if resp.status_code >= 400:
            raise SmsError(f"SMS gateway refused the message: {resp.status_code} {resp.text[:200]}", retryable=False)
        try:
            data = resp.json()
        except ValueError as exc:
            raise SmsError("SMS gateway answered with something other than JSON") from exc
        message_id = data.get("message_id") or data.get("id") if isinstance(data, dict) else None
        return SmsReceipt(self.name, None if message_id is None else str(message_id))


def _check(phone: str, text: str) -> None:
    if not (len(phone) == 11 and phone.isdigit() and phone.startswith("1")):
        raise SmsError(f"not a mainland mobile number: {mask_phone(phone)}", retryable=False)
    if not text:
        raise SmsError("empty message", retryable=False)


def gateway_from_env(data_dir: Path) -> SmsGateway:
    """The configured gateway: SHOUDAI_SMS_URL (+ SHOUDAI_SMS_TOKEN) for HTTP, else the file gateway."""
    settings = get_settings()
    if settings.sms_url:
        return HttpGateway(settings.sms_url, settings.sms_token)
    return FileGateway(Path(data_dir) / "sms.log")
