"""The business's need form behind a loan code (Q2, Q3): /q/<channel> → the one-time code step → pushed.

Each step is one request and one transaction (the DB dependency commits before the answer is sent). Refusals that
count against a limit (RateLimited, a wrong code) are returned, never raised, so the counted attempt is committed.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from shoudai.kit.crypto import decrypt_field
from shoudai.kit.masking import mask_phone
from shoudai.lending import identity, routing, service
from shoudai.lending.channels import get_channel
from shoudai.lending.common import LendingError, NotFound, loads_list
from shoudai.lending.forms import (
    CONSENT_DATA,
    CONSENT_PURPOSE,
    GUARANTEES,
    KINDS,
    FormError,
    NeedForm,
    normalise_uscc,
)
from shoudai.lending.models import Channel, Need
from shoudai.lending.ratelimit import Limit, RateLimiter
from shoudai.reference.loaders import banks
from shoudai.web.deps import DB, Now, client_ip, lang_of
from shoudai.web.i18n import translate
from shoudai.web.templating import bank_name, county_name, render

router = APIRouter()

ACTOR = "enterprise:web"  # the business before it is verified: the audit trail names the form itself
# A registry look-up reveals a business's name: each source address gets this many per hour (OWASP API6).
LOOKUP_LIMIT = Limit(60, timedelta(hours=1))
OFFERED = ("large_state", "joint_stock", "city_commercial", "rural_commercial", "village")  # not the policy bank


def offered_banks() -> list[tuple[str, str]]:
    """(code, short name) of the banks a business may choose on the form."""
    return [(b.code, b.short_name or b.name) for b in banks() if b.category in OFFERED]


def channel_or_404(db: Session, code: str) -> Channel:
    try:
        return get_channel(db, code)
    except NotFound as exc:
        raise HTTPException(404) from exc


def limited(request: Request, exc: identity.RateLimited) -> Response:
    """A refusal for too many attempts, in plain Chinese (429 with Retry-After)."""
    minutes = max(1, -(-exc.retry_after // 60))
    msg = translate("need.limited", lang_of(request), minutes=minutes)
    resp = render(request, "need/limited.html", {"message": msg}, status_code=429)
    resp.headers["Retry-After"] = str(exc.retry_after)
    return resp


def _form_context(channel: Channel, values: dict, errors: dict[str, str]) -> dict:
    return {"channel": channel, "v": values, "errors": errors, "banks": offered_banks(), "guarantees": GUARANTEES,
            "kinds": KINDS, "consent_purpose": CONSENT_PURPOSE, "consent_data": CONSENT_DATA}


@router.get("/q/{code}")
def need_form(request: Request, db: DB, code: str) -> Response:
    """The empty form, with a fresh idempotency key (a retried POST of this form is one need, not two)."""
    channel = channel_or_404(db, code)
    values = {"idempotency_key": secrets.token_urlsafe(18), "banks": [], "kind": "first_loan"}
    return render(request, "need/form.html", _form_context(channel, values, {}))


@router.get("/q/{code}/lookup")
def lookup(request: Request, db: DB, now: Now, code: str, uscc: str = "") -> Response:
    """HTMX fragment: the business as the registry knows it (name, type, county) for the code typed."""
    channel_or_404(db, code)
    decision = RateLimiter(db, now).hit(f"lookup_addr:{client_ip(request)}", LOOKUP_LIMIT)
    if not decision.allowed:
        msg = translate("need.limited", lang_of(request), minutes=max(1, -(-decision.retry_after // 60)))
        return render(request, "need/_biz.html", {"message": msg, "v": {"name": ""}}, status_code=429)
    key = normalise_uscc(uscc)
    record = identity.db_registry_lookup(db, key) if len(key) == 18 else None
    return render(request, "need/_biz.html", {"record": record, "looked_up": bool(key), "v": {"name": ""},
                                              "county": county_name(record.county_code or "") if record else ""})


@router.get("/q/{code}/recommend")
def recommend(request: Request, db: DB, code: str, uscc: str = "", amount_wan: str = "", term_months: str = "",
              guarantee: str = "") -> Response:
    """Fragment: the banks "为我推荐" would choose, so the consent names them before the business agrees."""
    channel = channel_or_404(db, code)
    key = normalise_uscc(uscc)
    try:
        amount = Decimal(amount_wan or "0")
    except InvalidOperation:
        amount = Decimal(0)
    if not amount.is_finite():  # NaN would make the routing's comparisons raise
        amount = Decimal(0)
    record = identity.db_registry_lookup(db, key) if len(key) == 18 else None
    county = record.county_code if record else channel.county_code
    term = int(term_months) if term_months.isdigit() and 0 < int(term_months) < 1000 else None
    names = [bank_name(c) for c in routing.recommend(key, county, amount, term_months=term,
                                                     guarantee=guarantee[:20] or None)]
    return render(request, "need/_recommended.html", {"names": names})


@router.post("/q/{code}")
def submit(
    request: Request, db: DB, now: Now, code: str,
    uscc: Annotated[str, Form(max_length=40)] = "",
    name: Annotated[str, Form(max_length=300)] = "",
    amount_wan: Annotated[str, Form(max_length=20)] = "",
    term_months: Annotated[str, Form(max_length=10)] = "",
    purpose: Annotated[str, Form(max_length=400)] = "",
    guarantee: Annotated[str, Form(max_length=20)] = "",
    kind: Annotated[str, Form(max_length=20)] = "first_loan",
    banks_: Annotated[list[str], Form(alias="banks")] = [],  # noqa: B006  (FastAPI copies the default)
    recommend_for_me: Annotated[str, Form(max_length=5)] = "",
    contact_name: Annotated[str, Form(max_length=100)] = "",
    contact_phone: Annotated[str, Form(max_length=30)] = "",
    consent: Annotated[str, Form(max_length=5)] = "",
    idempotency_key: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    """Record the need (unverified), then show the one-time code step; errors go next to their fields."""
    channel = channel_or_404(db, code)
    form = NeedForm(uscc=uscc, name=name, amount_wan=amount_wan, term_months=term_months, purpose=purpose,
                    guarantee=guarantee, contact_name=contact_name, contact_phone=contact_phone,
                    banks=tuple(banks_[:10]), recommend_for_me=bool(recommend_for_me), consent=bool(consent),
                    kind=kind)
    values = {**form.__dict__, "banks": list(form.banks), "idempotency_key": idempotency_key}
    try:
        result = service.submit_need(db, form, channel=channel, idempotency_key=idempotency_key, actor=ACTOR,
                                     now=now, source_addr=client_ip(request))
    except FormError as exc:
        return render(request, "need/form.html", _form_context(channel, values, exc.errors), status_code=422)
    except identity.RateLimited as exc:
        return limited(request, exc)
    except LendingError as exc:  # a missing/odd idempotency key: the page was not ours; start again
        values["idempotency_key"] = secrets.token_urlsafe(18)
        return render(request, "need/form.html", _form_context(channel, values, {"form": str(exc)}),
                      status_code=422)
    return code_step(request, db, channel, result.need, merged=result.merged)


def _phone_of(need: Need) -> str:
    return decrypt_field(need.contact_phone_enc, service.PHONE_CONTEXT)


def _need_for_step(db: Session, ref: str) -> Need:
    """The need a code step is about (a merged submission continues on the need it was merged into)."""
    try:
        need = service.get_need(db, (ref or "").strip().upper())
    except NotFound as exc:
        raise HTTPException(404) from exc
    return db.get(Need, need.merged_into_id) if need.merged_into_id else need


def code_step(request: Request, db: Session, channel: Channel, need: Need, *, merged: bool = False,
              otp_id: int | None = None, error: str | None = None, note: str | None = None,
              legal_rep: str = "", status_code: int = 200) -> Response:
    """The one-time code page (or, once the need is pushed, the done page)."""
    if need.status != service.SUBMITTED:
        return done(request, db, channel, need, merged=merged)
    ctx = {"channel": channel, "need": need, "phone": mask_phone(_phone_of(need)), "otp_id": otp_id,
           "error": error, "note": note, "merged": merged, "legal_rep": legal_rep,
           "consent_names": [bank_name(c) for c in loads_list(need.consent_banks)],
           "consent_purpose": need.consent_purpose, "consent_data": need.consent_data}
    return render(request, "need/code.html", ctx, status_code=status_code)


def done(request: Request, db: Session, channel: Channel, need: Need, *, merged: bool = False,
         level: int | None = None) -> Response:
    names = [bank_name(c) for c in loads_list(need.consent_banks)]
    return render(request, "need/done.html", {"channel": channel, "need": need, "names": names, "merged": merged,
                                              "level": identity.LEVEL_NAMES.get(level or need.identity_level, "")})


@router.post("/q/{code}/otp")
def send_code(request: Request, db: DB, now: Now, code: str, ref: Annotated[str, Form(max_length=20)] = "",
              legal_rep: Annotated[str, Form(max_length=50)] = "") -> Response:
    """Send a one-time code to the need's contact phone (rate-limited per phone, address and credit code)."""
    channel = channel_or_404(db, code)
    need = _need_for_step(db, ref)
    if need.status != service.SUBMITTED:
        return done(request, db, channel, need)
    try:
        challenge = identity.issue_otp(db, _phone_of(need), uscc=need.uscc, actor=ACTOR,
                                       source_addr=client_ip(request), now=now)
    except identity.RateLimited as exc:
        return limited(request, exc)
    note = translate("need.code.sent", lang_of(request), phone=mask_phone(_phone_of(need)))
    return code_step(request, db, channel, need, otp_id=challenge.id, note=note, legal_rep=legal_rep)


@router.post("/q/{code}/verify")
def verify(
    request: Request, db: DB, now: Now, code: str,
    ref: Annotated[str, Form(max_length=20)] = "",
    otp_id: Annotated[str, Form(max_length=20)] = "",
    otp_code: Annotated[str, Form(max_length=12)] = "",
    legal_rep: Annotated[str, Form(max_length=50)] = "",
) -> Response:
    """Check the code and the registry; on success the need goes to its banks at once."""
    channel = channel_or_404(db, code)
    need = _need_for_step(db, ref)
    if need.status != service.SUBMITTED:
        return done(request, db, channel, need)
    challenge = int(otp_id) if otp_id.isdigit() else None
    claim = identity.IdentityClaim(need.uscc, need.name, legal_rep.strip(), _phone_of(need), challenge, otp_code)
    try:
        result = service.verify_and_push(db, need, claim, verifier=identity.OtpRegistryVerifier(), actor=ACTOR,
                                         now=now, source_addr=client_ip(request))
    except identity.RateLimited as exc:
        return limited(request, exc)
    lang = lang_of(request)
    if not result.verification.ok:
        problem = result.verification.problems[0] if result.verification.problems else "otp_wrong"
        return code_step(request, db, channel, need, otp_id=challenge, legal_rep=legal_rep, status_code=422,
                         error=translate(f"need.otp.{problem}", lang))
    return done(request, db, channel, need, level=result.verification.level)
