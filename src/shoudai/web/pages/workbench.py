"""The bank workbench (Q4/Q5, issue 4 item 8): the needs queue, one need with every 211 step, bulk answer, Excel.

The bank is always the signed-in user's scope.bank_code, passed into every domain call: another bank's track is
reported as not found (404), never as forbidden, so ids cannot be probed (BOLA).
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Annotated
from urllib.parse import urlencode

import xlsxwriter
from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy import or_, select
from starlette.responses import Response

from shoudai.accounts import roles
from shoudai.audit import pii
from shoudai.audit import service as audit
from shoudai.kit.crypto import decrypt_field
from shoudai.kit.masking import mask_name, mask_phone
from shoudai.lending import actions, bulk, queue, sla
from shoudai.lending.common import LendingError, NotFound, loads_list
from shoudai.lending.forms import GUARANTEES
from shoudai.lending.models import Need, NeedEvent
from shoudai.lending.service import NAME_CONTEXT, PHONE_CONTEXT, shares_with
from shoudai.lending.tracks import to_track
from shoudai.reference.calendar_store import load_calendar
from shoudai.web.deps import DB, CurrentUser, Forbidden, Now, lang_of, require_roles
from shoudai.web.i18n import MESSAGES, translate
from shoudai.web.templating import SHANGHAI, county_name, local_time, render

router = APIRouter(prefix="/bank/needs")
Worker = Annotated[CurrentUser, Depends(require_roles(roles.BANK_HQ, roles.LOAN_OFFICER))]
Text = Annotated[str, Form()]
Ids = Annotated[list[str] | None, Form()]
PER_PAGE = 50
REF_RE = re.compile(r"XQ[0-9A-Z]{10}")  # only need references are echoed back from the query string
EXPORT_LIMIT = 50_000
TIMELINE_KINDS = ("submitted", "verification", "merged", "pushed", "answered", "declined", "conditions_claimed",
                  "conditions_met", "claim_rejected", "accepted", "approved", "disbursed", "withdrawn",
                  "consent_withdrawn", "rerouted", "breach", "deadline_recomputed")
# The checklist's offered conditions → their labels; the value sent (and stored) stays the Chinese text.
HINT_KEYS = {"提供近6个月银行流水": "wb.hint.statements", "提供纳税证明": "wb.hint.tax",
             "提供抵押物或担保": "wb.hint.collateral", "法定代表人到场面签": "wb.hint.sign",
             "开立结算账户": "wb.hint.account"}


def label(key: str, lang: str, fallback: str) -> str:
    """The catalogue's label for a code, or the domain's own text when the catalogue lacks it."""
    return translate(key, lang) if key in MESSAGES else fallback


def hints(lang: str) -> list[tuple[str, str, bool]]:
    """(value, label, translated) for each offered condition."""
    return [(h, label(HINT_KEYS.get(h, ""), lang, h), h in HINT_KEYS) for h in sla.CONDITION_HINTS]


def reasons(lang: str) -> dict[str, str]:
    return {code: label(f"wb.reason.{code}", lang, text) for code, text in sla.DECLINE_REASONS.items()}


class PageRefusal(LendingError):
    """A refusal of this page's own form checks, with its message key (so it can be shown in either language)."""

    def __init__(self, code: str, key: str, **params: object):
        super().__init__(code, translate(key, "zh", **params))
        self.key, self.params = key, params


def refusal_text(exc: Exception, lang: str) -> str:
    """A refusal in the user's language: Chinese as the domain wrote it; English when the code has a message."""
    if lang != "en":
        return str(exc)
    if isinstance(exc, PageRefusal):
        return translate(exc.key, lang, **exc.params)
    if isinstance(exc, pii.RevealRefused):
        return translate("wb.error.purpose", lang, n=pii.MIN_PURPOSE)
    key = f"wb.error.code.{getattr(exc, 'code', '')}"
    return translate(key, lang, n=bulk.BULK_MAX) if key in MESSAGES else str(exc)


def workbook(*sheets: tuple[str, str, tuple, Iterable[tuple]], lang: str = "zh") -> tuple[bytes, list[int]]:
    """Sheets of (name, title, columns, rows), each with a title row, a frozen header and a 序号 column (the house
    style of the exports), headed in `lang`; returns the file and the row count of each sheet."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
    counts = []
    for sheet, title, columns, rows in sheets:
        ws = wb.add_worksheet(sheet)
        ws.set_column(0, 0, 6)
        ws.write_string(1, 0, translate("wb.xlsx.no", lang), head_fmt)
        for i, (head, width) in enumerate(columns, start=1):
            ws.set_column(i, i, width)
            ws.write_string(1, i, head, head_fmt)
        n = 0
        for n, values in enumerate(rows, start=1):
            ws.write_number(n + 1, 0, n)
            for i, v in enumerate(values, start=1):
                if isinstance(v, (int, float)):
                    ws.write_number(n + 1, i, v)
                elif v not in (None, ""):
                    ws.write_string(n + 1, i, str(v))
        ws.merge_range(0, 0, 0, len(columns), title + translate("wb.xlsx.count", lang, n=n), title_fmt)
        ws.freeze_panes(2, 0)
        counts.append(n)
    wb.close()
    return buf.getvalue(), counts


def download(data: bytes, stem: str, now) -> Response:
    name = f"{stem}-{now.astimezone(SHANGHAI):%Y%m%d-%H%M%S}.xlsx"
    return Response(data, media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def bank_of(cu: CurrentUser) -> str:
    """The user's bank; a bank account without one is refused rather than shown an empty queue."""
    if not cu.scope.bank_code:
        raise Forbidden()
    return cu.scope.bank_code


def _filter(stage: str, urgency: str, county: str) -> queue.QueueFilter:
    return queue.QueueFilter(stage, urgency, county).clean()


def left_text(lang: str, left: tuple[str, int] | None) -> str:
    return translate(f"wb.left.{left[0]}", lang, n=left[1]) if left else ""


def _ids(values: list[str] | None) -> list[int]:
    try:
        return [int(v) for v in values or []]
    except ValueError:
        raise HTTPException(status_code=404) from None


@router.get("")
def needs(request: Request, cu: Worker, db: DB, now: Now, stage: str = "", urgency: str = "", county: str = "",
          page: int = 1, answered: str = "") -> Response:
    """The bank's queue: nearest running deadline first, coloured by urgency, filtered and paginated."""
    return _queue_page(request, cu, db, now, _filter(stage, urgency, county), page,
                       answered=[r for r in answered.split(",") if REF_RE.fullmatch(r)][:bulk.BULK_MAX])


def _queue_page(request: Request, cu: CurrentUser, db, now, f: queue.QueueFilter, page: int, *,
                answered: list[str] = (), bulk_results: list | None = None, error: str | None = None,
                status: int = 200, error_code: str = "") -> Response:
    bank, cal = bank_of(cu), load_calendar(db)
    rows, total = queue.page(db, bank, f, now=now, cal=cal, page=page, per_page=PER_PAGE)
    lang = lang_of(request)
    if bulk_results and lang == "en":
        bulk_results = [replace(r, message=_bulk_text(db, bank, r, error_code, lang)) for r in bulk_results]
    return render(request, "workbench/queue.html", {
        "rows": rows, "total": total, "page": max(1, page), "pages": max(1, math.ceil(total / PER_PAGE)),
        "f": f, "params": f.params(), "stages": sla.STAGES, "urgencies": queue.URGENCIES,
        "counties": queue.counties(db, bank), "answered": answered, "bulk_results": bulk_results, "error": error,
        "hints": hints(lang), "bulk_max": bulk.BULK_MAX, "mask_name": _masked_name, "mask_phone": _masked_phone,
        "left": lambda r: left_text(lang, queue.remaining(r.due_at, now, cal)),
    }, status_code=status)


def _bulk_text(db, bank: str, r: bulk.RowResult, error_code: str, lang: str) -> str:
    """A bulk row's result in English, said from the row's state (the domain's message is Chinese)."""
    if r.ok:
        return translate("wb.bulk.ok", lang)
    if error_code == "race":
        return translate("wb.bulk.not_done", lang)
    stage = actions.get_track(db, r.need_bank_id, bank_code=bank).stage
    return translate("wb.bulk.refused", lang, stage=translate(f"wb.stage.{stage}", lang))


def _masked_name(enc: str) -> str:
    return mask_name(decrypt_field(enc, NAME_CONTEXT)) or ""


def _masked_phone(enc: str) -> str:
    return mask_phone(decrypt_field(enc, PHONE_CONTEXT)) or ""


def conditions_of(condition: list[str] | None, extra: str) -> list[str]:
    """The checklist as ticked, plus one free-text condition per line."""
    picked = [c for c in condition or [] if c in sla.CONDITION_HINTS]
    typed = [line.strip()[:100] for line in (extra or "").splitlines() if line.strip()]
    return list(dict.fromkeys(picked + typed))


@router.post("/bulk-answer")
def bulk_answer(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: Ids = None,
                condition: Ids = None, extra: Text = "", stage: Text = "", urgency: Text = "",
                county: Text = "") -> Response:
    """Answer the ticked needs with one checklist in one transaction; any refusal leaves all of them untouched."""
    f = _filter(stage, urgency, county)
    try:
        results = bulk.answer_many(db, _ids(need_bank_id), conditions_of(condition, extra), bank_code=bank_of(cu),
                                   actor=cu.actor, now=now)
    except NotFound:
        raise HTTPException(status_code=404) from None
    except bulk.BulkRefused as exc:
        db.rollback()  # all or nothing: whatever a late refusal left written goes
        race = exc.__cause__ is not None  # refused at the write: every row says why in the domain's words
        return _queue_page(request, cu, db, now, f, 1, bulk_results=exc.results,
                           error=refusal_text(exc, lang_of(request)), status=409, error_code="race" if race else "")
    except LendingError as exc:
        db.rollback()
        return _queue_page(request, cu, db, now, f, 1, error=refusal_text(exc, lang_of(request)), status=422)
    target = {**f.params(), "answered": ",".join(r.ref for r in results)}
    return RedirectResponse(f"/bank/needs?{urlencode(target)}", status_code=303)


EXPORT_COLUMNS = (("wb.col.ref", 14), ("wb.col.name", 30), ("wb.col.county", 10), ("wb.col.amount", 12),
                  ("wb.col.term", 10), ("wb.col.stage", 22), ("wb.col.pushed", 17), ("wb.col.due", 19),
                  ("wb.col.left", 14), ("wb.col.provisional", 9), ("wb.col.urgency", 10), ("wb.col.contact", 10),
                  ("wb.col.phone", 14))


def columns(keys: tuple[tuple[str, int], ...], lang: str) -> tuple[tuple[str, int], ...]:
    """Column heads (message keys) in the user's language, with their widths."""
    return tuple((translate(key, lang), width) for key, width in keys)


@router.post("/export")
def export(request: Request, cu: Worker, db: DB, now: Now, stage: Text = "", urgency: Text = "", county: Text = "",
           purpose: Text = "") -> Response:
    """The filtered queue as Excel. Contacts are masked; a bank HQ user who states a purpose gets them in full
    (audited as a reveal); a loan officer always gets them masked."""
    bank, cal, f = bank_of(cu), load_calendar(db), _filter(stage, urgency, county)
    lang = lang_of(request)
    full = False
    if purpose.strip() and cu.role == roles.BANK_HQ:
        try:
            pii.reveal(db, cu.actor, kind="contact", value=None, purpose=purpose, object_type="bank_needs",
                       object_id=bank, at=now)
            full = True
        except pii.RevealRefused as exc:
            return _queue_page(request, cu, db, now, f, 1, error=refusal_text(exc, lang), status=422)

    def values(r: queue.QueueRow) -> tuple:
        name, phone = decrypt_field(r.contact_name_enc, NAME_CONTEXT), decrypt_field(r.contact_phone_enc, PHONE_CONTEXT)
        if not r.shared:
            name = phone = translate("wb.xlsx.withdrawn", lang)
        elif not full:
            name, phone = mask_name(name), mask_phone(phone)
        return (r.ref, r.name, county_name(r.county_code or ""), str(r.amount_wan), str(r.term_months),
                translate(f"wb.stage.{r.stage}", lang), local_time(r.pushed_at, "%Y-%m-%d %H:%M"),
                local_time(r.due_at, "%Y-%m-%d %H:%M"), left_text(lang, queue.remaining(r.due_at, now, cal)),
                translate("wb.yes", lang) if r.provisional else "", translate(f"wb.urgency.{r.urgency}", lang), name,
                phone)

    rows = (values(r) for r in queue.iter_rows(db, bank, f, now=now, cal=cal, limit=EXPORT_LIMIT))
    data, (n,) = workbook((translate("wb.xlsx.sheet", lang), translate("wb.xlsx.title", lang),
                           columns(EXPORT_COLUMNS, lang), rows), lang=lang)
    audit.record(db, cu.actor, "workbench.export", object_type="bank", object_id=bank, at=now,
                 detail={"rows": n, "filter": f.params(), "unmasked": full})
    return download(data, f"needs-{bank}", now)


# --- one need ------------------------------------------------------------------------------------------------

def _track(db, cu: CurrentUser, need_bank_id: int):
    try:
        return actions.get_track(db, need_bank_id, bank_code=bank_of(cu))
    except NotFound:
        raise HTTPException(status_code=404) from None


def _detail(request: Request, cu: CurrentUser, db, now, need_bank_id: int, *, error: str | None = None,
            status: int = 200, done: str = "", contact: tuple[str, str] | None = None, purpose: str = "",
            form: dict | None = None) -> Response:
    nb = _track(db, cu, need_bank_id)
    need = db.get(Need, nb.need_id)
    cal = load_calendar(db)
    track = to_track(nb)
    shared = shares_with(need, nb.bank_code)
    events = db.scalars(select(NeedEvent).where(
        NeedEvent.need_id == need.id, or_(NeedEvent.need_bank_id == nb.id, NeedEvent.need_bank_id.is_(None)),
        NeedEvent.kind.in_(TIMELINE_KINDS)).order_by(NeedEvent.at, NeedEvent.id)).all()
    lang = lang_of(request)
    return render(request, "workbench/need.html", {
        "nb": nb, "need": need, "track": track, "urgency": sla.urgency(track, now, cal),
        "left": left_text(lang, queue.remaining(track.deadline.due_at if track.deadline else None, now, cal)),
        "events": events, "shared": shared, "contact": contact, "purpose": purpose,
        "masked": (_masked_name(need.contact_name_enc), _masked_phone(need.contact_phone_enc)) if shared else None,
        "conditions": loads_list(nb.conditions), "guarantee": label(f"wb.guarantee.{need.guarantee}", lang,
                                                                     GUARANTEES.get(need.guarantee, need.guarantee)),
        "reasons": reasons(lang), "hints": hints(lang),
        "error": error, "done": done, "form": form or {}, "today": now.astimezone(SHANGHAI).date().isoformat(),
    }, status_code=status)


@router.get("/{need_bank_id}")
def need_page(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, done: str = "") -> Response:
    """One need at this bank: the business's need, its consent, the timeline and the steps valid now."""
    return _detail(request, cu, db, now, need_bank_id, done=done)


@router.post("/{need_bank_id}/reveal")
def reveal(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, purpose: Text = "") -> Response:
    """The contact in full, once a purpose is stated (audited); only while the business's consent covers the bank."""
    nb = _track(db, cu, need_bank_id)
    need = db.get(Need, nb.need_id)
    if not shares_with(need, nb.bank_code):
        return _detail(request, cu, db, now, need_bank_id, error=translate("wb.error.consent", lang_of(request)),
                       status=409)
    try:
        pii.reveal(db, cu.actor, kind="contact", value=None, purpose=purpose, object_type="need_bank",
                   object_id=nb.id, at=now)
    except pii.RevealRefused as exc:
        return _detail(request, cu, db, now, need_bank_id, error=refusal_text(exc, lang_of(request)), status=422)
    contact = (decrypt_field(need.contact_name_enc, NAME_CONTEXT), decrypt_field(need.contact_phone_enc, PHONE_CONTEXT))
    return _detail(request, cu, db, now, need_bank_id, contact=contact, purpose=purpose.strip())


def _run(request: Request, cu: CurrentUser, db, now, need_bank_id: int, done: str, step, form: dict | None = None
         ) -> Response:
    """Run one domain step; a refusal re-renders the page with the reason (409 wrong stage, 422 bad input)."""
    _track(db, cu, need_bank_id)  # 404 first: another bank's id learns nothing from the form's validation
    try:
        step(bank_of(cu))
    except NotFound:
        raise HTTPException(status_code=404) from None
    except LendingError as exc:
        db.rollback()  # nothing of a refused step may be committed with the request
        wrong_stage = exc.code == "bad_transition"
        stage, lang = _track(db, cu, need_bank_id).stage, lang_of(request)
        message = (translate("wb.error.wrong_stage", lang, hint=sla.STATE_ERROR_HINT,
                             stage=translate(f"wb.stage.{stage}", lang))
                   if wrong_stage else refusal_text(exc, lang))
        return _detail(request, cu, db, now, need_bank_id, error=message, status=409 if wrong_stage else 422,
                       form=form)
    return RedirectResponse(f"/bank/needs/{need_bank_id}?done={done}", status_code=303)


@router.post("/{need_bank_id}/answer")
def answer(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, condition: Ids = None,
           extra: Text = "") -> Response:
    conditions = conditions_of(condition, extra)
    return _run(request, cu, db, now, need_bank_id, "answered", lambda bank: actions.answer(
        db, need_bank_id, conditions, bank_code=bank, actor=cu.actor, now=now))


@router.post("/{need_bank_id}/decline")
def decline(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, reason: Text = "",
            note: Text = "") -> Response:
    return _run(request, cu, db, now, need_bank_id, "declined", lambda bank: actions.decline(
        db, need_bank_id, reason, note, bank_code=bank, actor=cu.actor, now=now), {"note": note})


@router.post("/{need_bank_id}/conditions-met")
def conditions_met(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int) -> Response:
    return _run(request, cu, db, now, need_bank_id, "conditions_met", lambda bank: actions.mark_conditions_met(
        db, need_bank_id, bank_code=bank, actor=cu.actor, now=now))


@router.post("/{need_bank_id}/confirm-claim")
def confirm_claim(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int) -> Response:
    return _run(request, cu, db, now, need_bank_id, "conditions_met", lambda bank: actions.confirm_claim(
        db, need_bank_id, bank_code=bank, actor=cu.actor, now=now))


@router.post("/{need_bank_id}/reject-claim")
def reject_claim(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, note: Text = "") -> Response:
    return _run(request, cu, db, now, need_bank_id, "claim_rejected", lambda bank: actions.reject_claim(
        db, need_bank_id, note, bank_code=bank, actor=cu.actor, now=now))


@router.post("/{need_bank_id}/accept")
def accept(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int) -> Response:
    return _run(request, cu, db, now, need_bank_id, "accepted", lambda bank: actions.accept(
        db, need_bank_id, bank_code=bank, actor=cu.actor, now=now))


@router.post("/{need_bank_id}/decide")
def decide(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, outcome: Text = "",
           reason: Text = "", note: Text = "") -> Response:
    """Approve, or decline with a reason code (the domain refuses a decline without one)."""
    if outcome not in ("approve", "decline"):
        return _detail(request, cu, db, now, need_bank_id, error=translate("wb.error.outcome", lang_of(request)),
                       status=422)
    approved = outcome == "approve"
    return _run(request, cu, db, now, need_bank_id, "approved" if approved else "declined",
                lambda bank: actions.decide(db, need_bank_id, approved, reason=reason or None, note=note,
                                            bank_code=bank, actor=cu.actor, now=now), {"note": note})


def parse_disbursement(amount: str, on: str, contract_no: str) -> tuple[Decimal, date, str]:
    """The disbursement form's values, or a PageRefusal with its reason (422)."""
    try:
        value = Decimal((amount or "").strip())
    except InvalidOperation:
        raise PageRefusal("bad_amount", "wb.error.amount_missing") from None
    if not value.is_finite() or value <= 0:
        raise PageRefusal("bad_amount", "wb.error.amount_positive")
    try:
        day = date.fromisoformat((on or "").strip())
    except ValueError:
        raise PageRefusal("bad_date", "wb.error.date") from None
    if not (contract_no or "").strip():
        raise PageRefusal("bad_contract", "wb.error.contract")
    return value, day, contract_no.strip()[:64]


@router.post("/{need_bank_id}/disburse")
def disburse(request: Request, cu: Worker, db: DB, now: Now, need_bank_id: int, amount_wan: Text = "",
             disbursed_on: Text = "", contract_no: Text = "") -> Response:
    form = {"amount_wan": amount_wan, "disbursed_on": disbursed_on, "contract_no": contract_no}

    def step(bank: str):
        value, day, contract = parse_disbursement(amount_wan, disbursed_on, contract_no)
        return actions.disburse(db, need_bank_id, value, day, contract, bank_code=bank, actor=cu.actor, now=now)

    return _run(request, cu, db, now, need_bank_id, "disbursed", step, form)
