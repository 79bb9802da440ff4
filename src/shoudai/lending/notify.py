"""Messages a step causes: SMS to the business, signed webhooks to banks — all through the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import SHANGHAI
from shoudai.kit.ttlcache import TtlCache
from shoudai.lending import sla
from shoudai.lending.common import Actorish, actor_name, utc
from shoudai.lending.models import BankEndpoint, Need, NeedBank
from shoudai.outbox import service as outbox
from shoudai.reference.loaders import banks

WEBHOOK_VERSION = "2026-11"  # payload version, so banks can parse old and new side by side


def bank_name(code: str) -> str:
    return next((b.short_name for b in banks() if b.code == code), code)


def shanghai_text(at: datetime | None) -> str:
    return "" if at is None else utc(at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


def sms(session: Session, need: Need, text: str, *, topic: str, actor: Actorish, now: datetime) -> None:
    """Text the business's contact (the phone stays encrypted in the outbox)."""
    if need.consent_withdrawn_at is not None and topic not in ("sms.consent_withdrawn",):
        return  # after withdrawal the platform stops writing about the need, except to confirm the withdrawal
    outbox.enqueue(session, topic=topic, channel=outbox.SMS, destination="sms", actor=actor_name(actor), now=now,
                   payload={"phone_enc": need.contact_phone_enc, "text": f"【首贷通】{text}", "need": need.ref})


def track_payload(need: Need, row: NeedBank) -> dict[str, Any]:
    """What a bank's system learns about a track. No personal data: contacts are pulled over the API (audited)."""
    return {
        "version": WEBHOOK_VERSION,
        "need_ref": need.ref,
        "bank_code": row.bank_code,
        "stage": row.stage,
        "uscc": need.uscc,
        "name": need.name,
        "county_code": need.county_code,
        "kind": need.kind,
        "amount_wan": str(need.amount_wan),
        "term_months": need.term_months,
        "purpose": need.purpose,
        "guarantee": need.guarantee,
        "identity_level": need.identity_level,
        "pushed_at": utc(row.pushed_at).isoformat(),
        "answer_due_at": row.answer_due_at and utc(row.answer_due_at).isoformat(),
        "accept_due_at": row.accept_due_at and utc(row.accept_due_at).isoformat(),
        "decide_due_at": row.decide_due_at and utc(row.decide_due_at).isoformat(),
        "provisional": bool(row.answer_due_provisional or row.accept_due_provisional or row.decide_due_provisional),
    }


def webhook(session: Session, need: Need, row: NeedBank, *, topic: str, actor: Actorish, now: datetime,
            **extra: Any) -> None:
    """Tell the bank about its track (topic e.g. need.pushed, need.withdrawn, sla.breach, sla.due_soon).

    Only banks with an active endpoint get webhooks; the others work from the workbench and the pull API, and
    every event is on the need's timeline either way, so nothing is lost by not queueing undeliverable messages.
    """
    endpoint = session.get(BankEndpoint, row.bank_code)
    if endpoint is not None and endpoint.active:
        _enqueue_webhook(session, need, row, topic, actor, now, extra)


def _load_webhook_banks(session: Session, _key) -> frozenset[str]:
    return frozenset(session.scalars(select(BankEndpoint.bank_code).where(BankEndpoint.active.is_(True))))


# The delivery worker reads the endpoint's URL and secret when it sends; a push only asks which banks have one.
_WEBHOOK_BANKS = TtlCache(30, _load_webhook_banks)


def webhook_banks(session: Session) -> frozenset[str]:
    """The banks with an active endpoint (cached: an endpoint set in another process applies within 30 s)."""
    return _WEBHOOK_BANKS.get(session)


def forget_webhook_banks() -> None:
    """After an endpoint changes: this process's next push reads the table again."""
    _WEBHOOK_BANKS.clear()


def webhooks(session: Session, need: Need, rows: list[NeedBank], *, topic: str, actor: Actorish,
             now: datetime) -> None:
    """`webhook` for several tracks of one need, for the banks in `webhook_banks`."""
    active = webhook_banks(session)
    for row in rows:
        if row.bank_code in active:
            _enqueue_webhook(session, need, row, topic, actor, now, {})


def _enqueue_webhook(session: Session, need: Need, row: NeedBank, topic: str, actor: Actorish, now: datetime,
                     extra: dict[str, Any]) -> None:
    payload = {"event": topic, **track_payload(need, row), **extra}
    outbox.enqueue(session, topic=topic, channel=outbox.WEBHOOK, destination=row.bank_code,
                   actor=actor_name(actor), now=now, payload=payload)


def stage_text(row: NeedBank) -> str:
    """One Chinese line for the business about where this bank stands."""
    name = bank_name(row.bank_code)
    texts = {
        sla.PUSHED: f"已推送至{name}，银行将于 {shanghai_text(row.answer_due_at)} 前反馈初步意向",
        sla.INTENT: f"{name}已反馈初步意向，请按授信条件准备材料",
        sla.CLAIMED: f"您已告知{name}条件已满足，等待银行确认",
        sla.CONDITIONS_MET: f"{name}确认授信条件已满足，将于 {shanghai_text(row.accept_due_at)} 前正式受理",
        sla.ACCEPTED: f"{name}已正式受理，将于 {shanghai_text(row.decide_due_at)} 前作出审批决定",
        sla.APPROVED: f"{name}审批通过，等待放款",
        sla.DISBURSED: f"{name}已放款 {row.disbursed_amount_wan} 万元",
        sla.DECLINED: f"{name}暂未通过：{sla.DECLINE_REASONS.get(row.decline_reason or '', '')}",
        sla.WITHDRAWN: f"已撤回在{name}的申请",
        sla.REROUTED: f"{name}逾期未办理，已为您转办",
    }
    return texts.get(row.stage, row.stage)
