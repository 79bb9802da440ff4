"""How lending's outbox messages leave: bank webhook endpoints (per-bank secret) and SMS to the business."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from shoudai.kit.crypto import decrypt_field, encrypt_field
from shoudai.kit.sms import SmsGateway, gateway_from_env
from shoudai.lending import notify
from shoudai.lending.common import Actorish, LendingError, actor_name, audit, now_utc
from shoudai.lending.identity import PHONE_CONTEXT
from shoudai.lending.models import BankEndpoint
from shoudai.outbox import service as outbox
from shoudai.outbox.webhook import Endpoint, WebhookSender
from shoudai.outbox.worker import Claimed, Sender
from shoudai.reference.loaders import banks

SECRET_CONTEXT = "bank_endpoint.secret"


def set_bank_endpoint(session: Session, bank_code: str, url: str, secret: str, *, actor: Actorish,
                      now: datetime | None = None, active: bool = True) -> BankEndpoint:
    """Register or replace a bank's webhook URL and signing secret (stored encrypted)."""
    if bank_code not in {b.code for b in banks()}:
        raise LendingError("bad_bank", f"银行代码 {bank_code} 未登记")
    if not url.startswith(("https://", "http://")):
        raise LendingError("bad_url", "回调地址须以 https:// 开头")
    if len(secret) < 16:
        raise LendingError("weak_secret", "签名密钥至少 16 个字符")
    row = session.get(BankEndpoint, bank_code) or BankEndpoint(bank_code=bank_code)
    row.url, row.secret_enc, row.active = url, encrypt_field(secret, SECRET_CONTEXT), active
    row.updated_at, row.updated_by = now_utc(now), actor_name(actor)
    session.add(row)
    session.flush()
    notify.forget_webhook_banks()
    audit(session, actor, "lending.bank_endpoint_set", object_type="bank_endpoint", object_id=bank_code,
          at=row.updated_at, detail={"url": url, "active": active})  # never the secret
    return row


def endpoint_resolver(engine: Engine):
    """A lookup bank code → Endpoint reading the table at send time (so a fixed URL applies to the next retry)."""

    def resolve(bank_code: str) -> Endpoint | None:
        with Session(engine) as s:
            row = s.scalar(select(BankEndpoint).where(BankEndpoint.bank_code == bank_code,
                                                      BankEndpoint.active.is_(True)))
            return None if row is None else Endpoint(row.url, decrypt_field(row.secret_enc, SECRET_CONTEXT))

    return resolve


def sms_sender(gateway: SmsGateway) -> Sender:
    """Decrypts the phone only at the moment of sending."""

    def send(msg: Claimed, at: datetime) -> None:
        payload = json.loads(msg.payload)
        gateway.send(decrypt_field(payload["phone_enc"], PHONE_CONTEXT), payload["text"])

    return send


def default_senders(engine: Engine, data_dir: Path, *, gateway: SmsGateway | None = None,
                    timeout: float = 5.0) -> dict[str, Sender]:
    """The worker's senders: signed webhooks from bank_endpoint, SMS through the configured gateway."""
    return {outbox.WEBHOOK: WebhookSender(endpoint_resolver(engine), timeout=timeout),
            outbox.SMS: sms_sender(gateway or gateway_from_env(data_dir))}
