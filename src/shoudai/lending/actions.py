"""Steps of the 211 workflow taken by a bank or by the business, each one transaction-ready (flush, no commit)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import WorkCalendar
from shoudai.lending import notify, routing, sla
from shoudai.lending.common import Actorish, LendingError, NotFound, dumps, loads_list, now_utc, record_event
from shoudai.lending.models import Need, NeedBank
from shoudai.lending.service import CLOSED, OPEN, refresh_status, tracks_of
from shoudai.lending.tracks import new_row, to_track, write_track
from shoudai.reference.calendar_store import load_calendar

CENT = Decimal("0.01")
ONWARD = ("bank", "centre", "plan")  # Q7: another bank, the first-loan service centre, a 一企一策 plan
NEXT_STEPS_TEXT = "您可以选择转办其他银行、到首贷续贷服务中心咨询，或申请“一企一策”融资辅导。"


def get_track(session: Session, need_bank_id: int, *, bank_code: str | None = None) -> NeedBank:
    """A track; with `bank_code`, only that bank's (another bank's track is reported as not found: BOLA)."""
    # Locked for the step (FOR UPDATE on PostgreSQL): two officers acting on one track at once take turns, and the
    # second sees the first one's stage instead of stepping from a stale one.
    row = session.get(NeedBank, need_bank_id, with_for_update=True, populate_existing=True)
    if row is None or (bank_code is not None and row.bank_code != bank_code):
        raise NotFound(f"对接记录 {need_bank_id}")
    return row


def _step(session: Session, row: NeedBank, event: sla.Event, *, kind: str, actor: Actorish, now: datetime | None,
          cal: WorkCalendar | None, sms: bool = True, **detail) -> NeedBank:
    """Apply one pure transition to a row, log it, tell the business."""
    now = now_utc(now)
    cal = cal or load_calendar(session)
    try:
        track = sla.apply(to_track(row), event, now, cal)
    except sla.TransitionError as exc:
        raise LendingError("bad_transition", f"{sla.STATE_ERROR_HINT}（当前：{row.stage}）：{exc}") from exc
    write_track(row, track, now)
    need = session.get(Need, row.need_id)
    record_event(session, need_id=row.need_id, need_bank_id=row.id, kind=kind, actor=actor, at=now,
                 bank=row.bank_code, stage=row.stage, **detail)
    if sms:
        extra = NEXT_STEPS_TEXT if row.stage == sla.DECLINED else ""
        notify.sms(session, need, f"{notify.stage_text(row)}。{extra}（{need.ref}）", topic=f"sms.{kind}",
                   actor=actor, now=now)
    refresh_status(session, need, now)
    session.flush()
    return row


# --- the bank's steps ----------------------------------------------------------------------------------------

def answer(session: Session, need_bank_id: int, conditions: list[str], *, bank_code: str, actor: Actorish,
           now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank:
    """Initial intent with the credit conditions checklist (within 2 working days of the push)."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    return _step(session, row, sla.Answer(tuple(conditions)), kind="answered", actor=actor, now=now, cal=cal,
                 conditions=list(conditions))


def decline(session: Session, need_bank_id: int, reason: str, note: str = "", *, bank_code: str, actor: Actorish,
            now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank:
    """Decline at the answer or at the decision; `reason` must be a code of sla.DECLINE_REASONS."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    if reason not in sla.DECLINE_REASONS:
        raise LendingError("bad_reason", f"请选择拒绝原因：{'、'.join(sla.DECLINE_REASONS.values())}")
    row.decline_note = (note or "").strip()[:300] or None
    return _step(session, row, sla.Decline(reason), kind="declined", actor=actor, now=now, cal=cal, reason=reason,
                 note=row.decline_note)


def mark_conditions_met(session: Session, need_bank_id: int, *, bank_code: str, actor: Actorish,
                        now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank:
    """The bank records the conditions as met (or confirms the business's claim): the accept clock starts."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    event = sla.ConfirmClaim() if row.stage == sla.CLAIMED else sla.MarkConditionsMet()
    return _step(session, row, event, kind="conditions_met", actor=actor, now=now, cal=cal)


def confirm_claim(session: Session, need_bank_id: int, *, bank_code: str, actor: Actorish,
                  now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank:
    """The bank confirms the business's claim that the conditions are met: the accept clock starts."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    return _step(session, row, sla.ConfirmClaim(), kind="conditions_met", actor=actor, now=now, cal=cal,
                 confirmed_claim=True)


def reject_claim(session: Session, need_bank_id: int, note: str, *, bank_code: str, actor: Actorish,
                 now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank:
    """The bank finds the conditions not yet met: back to intent, with a note for the business."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    return _step(session, row, sla.RejectClaim(), kind="claim_rejected", actor=actor, now=now, cal=cal,
                 note=(note or "")[:300])


def accept(session: Session, need_bank_id: int, *, bank_code: str, actor: Actorish, now: datetime | None = None,
           cal: WorkCalendar | None = None) -> NeedBank:
    """Formal acceptance (within 1 working day of conditions met): the decide clock starts."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    return _step(session, row, sla.Accept(), kind="accepted", actor=actor, now=now, cal=cal)


def decide(session: Session, need_bank_id: int, approved: bool, *, reason: str | None = None, note: str = "",
           bank_code: str, actor: Actorish, now: datetime | None = None, cal: WorkCalendar | None = None
           ) -> NeedBank:
    """The decision (within 1 working day of acceptance): approved, or declined with a reason code."""
    if not approved:
        return decline(session, need_bank_id, reason or "", note, bank_code=bank_code, actor=actor, now=now, cal=cal)
    row = get_track(session, need_bank_id, bank_code=bank_code)
    return _step(session, row, sla.Approve(), kind="approved", actor=actor, now=now, cal=cal)


def disburse(session: Session, need_bank_id: int, amount_wan: Decimal, on: date, contract_no: str, *,
             bank_code: str, actor: Actorish, now: datetime | None = None, cal: WorkCalendar | None = None
             ) -> NeedBank:
    """The loan is paid out (amount in 万元, value date, contract number)."""
    row = get_track(session, need_bank_id, bank_code=bank_code)
    amount = Decimal(str(amount_wan))
    if amount != amount.quantize(CENT):
        raise LendingError("bad_amount", "放款金额以万元计，最多两位小数")
    return _step(session, row, sla.Disburse(amount.quantize(CENT), on, contract_no), kind="disbursed", actor=actor,
                 now=now, cal=cal, amount_wan=str(amount_wan), on=on.isoformat(), contract_no=contract_no)


# --- the business's steps ------------------------------------------------------------------------------------

def claim_conditions_met(session: Session, need: Need, need_bank_id: int, *, actor: Actorish,
                         now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank:
    """The business says it has met the bank's conditions; the bank confirms (or not)."""
    row = _own_track(session, need, need_bank_id)
    _step(session, row, sla.ClaimConditionsMet(), kind="conditions_claimed", actor=actor, now=now, cal=cal, sms=False)
    row.conditions_claimed_at = now_utc(now)
    notify.webhook(session, need, row, topic="need.conditions_claimed", actor=actor, now=now_utc(now))
    session.flush()
    return row


def withdraw(session: Session, need: Need, need_bank_id: int, *, actor: Actorish, now: datetime | None = None,
             cal: WorkCalendar | None = None) -> NeedBank:
    """The business withdraws its need from one bank."""
    row = _own_track(session, need, need_bank_id)
    _step(session, row, sla.Withdraw(), kind="withdrawn", actor=actor, now=now, cal=cal)
    notify.webhook(session, need, row, topic="need.withdrawn", actor=actor, now=now_utc(now))
    session.flush()
    return row


def withdraw_consent(session: Session, need: Need, *, actor: Actorish, now: datetime | None = None,
                     cal: WorkCalendar | None = None) -> Need:
    """PIPL: the business withdraws its consent; every open track ends and banks are told to stop using the data."""
    now = now_utc(now)
    if need.consent_withdrawn_at is not None:
        return need
    cal = cal or load_calendar(session)
    for row in tracks_of(session, need):
        if row.stage not in sla.TERMINAL:
            _step(session, row, sla.Withdraw(), kind="withdrawn", actor=actor, now=now, cal=cal, sms=False)
        notify.webhook(session, need, row, topic="need.consent_withdrawn", actor=actor, now=now,
                       instruction="企业已撤回授权，请停止使用并删除所获取的企业信息")
    need.consent_withdrawn_at, need.status, need.updated_at = now, CLOSED, now
    record_event(session, need_id=need.id, kind="consent_withdrawn", actor=actor, at=now)
    notify.sms(session, need, f"您已撤回需求 {need.ref} 的信息共享授权，银行将停止使用您的信息。",
               topic="sms.consent_withdrawn", actor=actor, now=now)
    session.flush()
    return need


def rate(session: Session, need: Need, stars: int, comment: str = "", *, need_bank_id: int | None = None,
         actor: Actorish, now: datetime | None = None) -> Need:
    """The business rates the service (1–5 stars)."""
    now = now_utc(now)
    if not isinstance(stars, int) or not 1 <= stars <= 5:
        raise LendingError("bad_rating", "评分须为 1–5 星")
    if need_bank_id is not None:
        _own_track(session, need, need_bank_id)
    need.rating, need.rating_comment, need.updated_at = stars, (comment or "").strip()[:500] or None, now
    record_event(session, need_id=need.id, need_bank_id=need_bank_id, kind="rated", actor=actor, at=now,
                 stars=stars, comment=need.rating_comment)
    session.flush()
    return need


def complain(session: Session, need: Need, text: str, *, need_bank_id: int | None = None, actor: Actorish,
             now: datetime | None = None) -> None:
    """The business complains (about a bank or the platform); the city admin's queue reads these events."""
    now = now_utc(now)
    body = (text or "").strip()
    if not body:
        raise LendingError("empty", "请填写投诉内容")
    row = _own_track(session, need, need_bank_id) if need_bank_id is not None else None
    record_event(session, need_id=need.id, need_bank_id=need_bank_id, kind="complaint", actor=actor, at=now,
                 text=body[:1000], bank=row.bank_code if row else None)
    if row is not None:
        notify.webhook(session, need, row, topic="need.complaint", actor=actor, now=now)
    session.flush()


def _own_track(session: Session, need: Need, need_bank_id: int) -> NeedBank:
    row = session.get(NeedBank, need_bank_id)
    if row is None or row.need_id != need.id:
        raise NotFound(f"对接记录 {need_bank_id}")
    return row


# --- no dead ends (Q7) ---------------------------------------------------------------------------------------

def onward_options(session: Session, need: Need, *, now: datetime | None = None) -> dict:
    """What the business can do after a decline or a silent bank: the suggested next bank, centre, plan."""
    now = now_utc(now)
    rows = tracks_of(session, need)
    stuck = [r.id for r in rows if r.stage == sla.DECLINED or sla.breached(to_track(r), now)]
    nxt = routing.next_bank(need.uscc, need.county_code, need.amount_wan, [r.bank_code for r in rows],
                            term_months=need.term_months, guarantee=need.guarantee)
    return {"stuck_tracks": stuck, "next_bank": nxt, "centre": need.referred_to_centre_at is None,
            "plan": need.plan_requested_at is None}


def reroute(session: Session, need: Need, to: str, *, from_track_id: int | None = None, bank_code: str | None = None,
            actor: Actorish, now: datetime | None = None, cal: WorkCalendar | None = None) -> NeedBank | None:
    """Send the need onward: to another bank (named, or the next by routing), the service centre, or a plan."""
    now = now_utc(now)
    if to not in ONWARD:
        raise LendingError("bad_route", "转办去向须为 bank、centre 或 plan")
    if need.consent_withdrawn_at is not None:
        raise LendingError("consent_withdrawn", "企业已撤回授权")
    cal = cal or load_calendar(session)
    source = _own_track(session, need, from_track_id) if from_track_id is not None else None
    if source is not None and source.stage not in sla.TERMINAL:
        # Only a silent bank's track can be taken away; sla refuses while its clock still runs.
        _step(session, source, sla.Reroute(), kind="rerouted", actor=actor, now=now, cal=cal, sms=False)
    if to == "centre":
        need.referred_to_centre_at = now
        record_event(session, need_id=need.id, kind="referred_to_centre", actor=actor, at=now)
        notify.sms(session, need, "已为您预约新乡市首贷续贷服务中心，工作人员将与您联系。", topic="sms.centre",
                   actor=actor, now=now)
        session.flush()
        return None
    if to == "plan":
        need.plan_requested_at = now
        record_event(session, need_id=need.id, kind="plan_requested", actor=actor, at=now)
        session.flush()
        return None
    tried = [r.bank_code for r in tracks_of(session, need)]
    target = bank_code or routing.next_bank(need.uscc, need.county_code, need.amount_wan, tried,
                                            term_months=need.term_months, guarantee=need.guarantee)
    if target is None:
        raise LendingError("no_bank_left", "已尝试所有银行，建议到首贷续贷服务中心或申请一企一策")
    if target in tried:
        raise LendingError("already_tried", "该银行已办理过此需求")
    need.consent_banks = dumps(loads_list(need.consent_banks) + [target])  # choosing the bank is the consent
    row = new_row(need.id, target, at=now, cal=cal, routed_by="rerouted",
                  rerouted_from_id=source.id if source else None)
    session.add(row)
    session.flush()
    need.status, need.updated_at = OPEN, now
    record_event(session, need_id=need.id, need_bank_id=row.id, kind="pushed", actor=actor, at=now, bank=target,
                 rerouted_from=source.bank_code if source else None)
    notify.webhook(session, need, row, topic="need.pushed", actor=actor, now=now)
    notify.sms(session, need, f"您的需求已转办至{notify.bank_name(target)}。（{need.ref}）", topic="sms.rerouted",
               actor=actor, now=now)
    session.flush()
    return row


def bank_queue(session: Session, bank_code: str, *, open_only: bool = True, limit: int = 200) -> list[NeedBank]:
    """A bank's tracks, nearest running deadline first (the workbench queue)."""
    from sqlalchemy import case

    due = case((NeedBank.stage == sla.PUSHED, NeedBank.answer_due_at),
               (NeedBank.stage == sla.CONDITIONS_MET, NeedBank.accept_due_at),
               (NeedBank.stage == sla.ACCEPTED, NeedBank.decide_due_at), else_=None)
    stmt = select(NeedBank).where(NeedBank.bank_code == bank_code)
    if open_only:
        stmt = stmt.where(NeedBank.stage.in_(sla.OPEN))
    # Running clocks first, nearest deadline first; tracks waiting on the business (no clock) after them.
    stmt = stmt.order_by(due.is_(None), due, NeedBank.id).limit(limit)
    return list(session.scalars(stmt))

