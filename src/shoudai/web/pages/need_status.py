"""The business's status page (Q6, Q7): sign in with credit code + phone + one-time code, then follow each bank.

The business session is a cookie of its own (sd_biz): the credit code and an expiry, sealed with the field key
(AES-GCM, so it cannot be forged or edited). It names one business and nothing else, so every query here is
limited to that credit code; staff sessions and this one never mix. Idle timeout as for staff: 30 minutes.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from shoudai.kit.crypto import CryptoError, decrypt_field, encrypt_field
from shoudai.kit.masking import mask_phone
from shoudai.lending import actions, business, identity, sla, views
from shoudai.lending.common import LendingError, NotFound
from shoudai.lending.forms import normalise_uscc
from shoudai.lending.models import Need
from shoudai.lending.ratelimit import Limit, RateLimiter
from shoudai.reference.calendar_store import load_calendar
from shoudai.web.deps import DB, Now, client_ip, lang_of
from shoudai.web.i18n import translate
from shoudai.web.pages.need_form import limited
from shoudai.web.templating import bank_name, render, set_cookie

router = APIRouter()

BIZ_COOKIE = "sd_biz"
BIZ_CONTEXT = "web.business_session"
IDLE = timedelta(minutes=30)
# Sign-in codes tried per phone per hour, on top of the 5 tries each code allows (OWASP API6).
LOGIN_LIMIT = Limit(10, timedelta(hours=1))
STATUS_PURPOSE = "status"
# The challenge id travels sealed: a bare id (or 0 when no code was sent) would tell a prober whether the phone is
# the business's contact; sealed with a fresh nonce, both answers look alike.
OTP_REF_CONTEXT = "web.status_otp_ref"


def _seal_otp(otp_id: int | None) -> str:
    return encrypt_field(f"{otp_id or 0:015d}", OTP_REF_CONTEXT)  # fixed width: the length says nothing either


def _unseal_otp(token: str) -> int:
    try:
        value = decrypt_field(token, OTP_REF_CONTEXT)
    except (CryptoError, ValueError):
        return 0
    return int(value) if value.isdigit() else 0


def seal(uscc: str, now: datetime) -> str:
    return encrypt_field(json.dumps({"u": uscc, "exp": int((now + IDLE).timestamp())}), BIZ_CONTEXT)


def business_of(request: Request, now: datetime) -> str | None:
    """The credit code of the signed-in business, or None (no cookie, forged, or idle too long)."""
    token = request.cookies.get(BIZ_COOKIE)
    if not token:
        return None
    try:
        data = json.loads(decrypt_field(token, BIZ_CONTEXT))
    except (CryptoError, ValueError):
        return None
    if not isinstance(data, dict) or int(data.get("exp", 0)) <= now.timestamp():
        return None
    return data.get("u") or None


def _signed_in(request: Request, response: Response, uscc: str, now: datetime) -> Response:
    """Refresh the cookie on every page, so the 30 minutes count from the last visit."""
    set_cookie(request, response, BIZ_COOKIE, seal(uscc, now), path="/status")
    return response


def actor_of(uscc: str) -> str:
    return f"enterprise:{uscc}"


# --- signing in --------------------------------------------------------------------------------------------------

@router.get("/status")
def status_home(request: Request, db: DB, now: Now) -> Response:
    """Signed in: the business's needs; otherwise the sign-in form."""
    uscc = business_of(request, now)
    if uscc is None:
        return render(request, "need/status_login.html", {"v": {}})
    needs = business.needs_of(db, uscc)
    return _signed_in(request, render(request, "need/status_list.html", {"uscc": uscc, "needs": needs}), uscc, now)


@router.post("/status/code")
def status_send_code(request: Request, db: DB, now: Now, uscc: Annotated[str, Form(max_length=40)] = "",
                     phone: Annotated[str, Form(max_length=30)] = "") -> Response:
    """Text a sign-in code, but only to the contact phone of one of this business's needs."""
    key, phone_n = normalise_uscc(uscc), identity.normalise_phone(phone)
    v = {"uscc": key, "phone": phone_n}
    if not (len(phone_n) == 11 and phone_n.startswith("1")):
        return render(request, "need/status_login.html", {"v": v, "error": translate("need.status.phone_bad",
                                                                                      lang_of(request))}, 422)
    otp_id = None
    try:
        if business.is_contact(db, key, phone_n):
            otp_id = identity.issue_otp(db, phone_n, uscc=key, purpose=STATUS_PURPOSE, actor=actor_of(key),
                                        source_addr=client_ip(request), now=now).id
        else:  # count it as a code sent, so probing which phone belongs to which business is limited too
            decision = RateLimiter(db, now).hit(f"otp_addr:{client_ip(request)}", identity.LIMITS["otp_addr"])
            if not decision.allowed:
                raise identity.RateLimited("otp_addr", decision.retry_after)
    except identity.RateLimited as exc:
        return limited(request, exc)
    # The same answer whether or not the pair matched: the page must not reveal who is whose contact.
    note = translate("need.status.sent", lang_of(request), phone=mask_phone(phone_n))
    return render(request, "need/status_login.html", {"v": v, "otp_id": _seal_otp(otp_id), "note": note})


@router.post("/status/login")
def status_login(request: Request, db: DB, now: Now, uscc: Annotated[str, Form(max_length=40)] = "",
                 phone: Annotated[str, Form(max_length=30)] = "", otp_id: Annotated[str, Form(max_length=200)] = "",
                 otp_code: Annotated[str, Form(max_length=12)] = "") -> Response:
    """Check the sign-in code; success gives the business session cookie."""
    key, phone_n = normalise_uscc(uscc), identity.normalise_phone(phone)
    v = {"uscc": key, "phone": phone_n}
    decision = RateLimiter(db, now).hit(f"status_login:{identity.phone_index(phone_n)}", LOGIN_LIMIT)
    if not decision.allowed:
        return limited(request, identity.RateLimited("status_login", decision.retry_after))
    ok = False
    challenge = _unseal_otp(otp_id)
    if challenge > 0 and business.is_contact(db, key, phone_n):
        ok, _problem = identity.check_otp(db, challenge, phone_n, otp_code, now=now)
    if not ok:
        ctx = {"v": v, "otp_id": otp_id, "error": translate("need.status.bad", lang_of(request))}
        return render(request, "need/status_login.html", ctx, status_code=401)
    return _signed_in(request, RedirectResponse("/status", status_code=303), key, now)


@router.post("/status/logout")
def status_logout() -> Response:
    resp = RedirectResponse("/status", status_code=303)
    resp.delete_cookie(BIZ_COOKIE, path="/status")
    return resp


# --- one need ----------------------------------------------------------------------------------------------------

def _own_need(db: Session, uscc: str, ref: str) -> Need:
    try:
        return business.need_of(db, uscc, ref)
    except NotFound as exc:
        raise HTTPException(404) from exc


def detail_page(request: Request, db: Session, now: datetime, uscc: str, need: Need, *, error: str | None = None,
                saved: str | None = None, status_code: int = 200) -> Response:
    view = views.need_view(db, need, now=now, cal=load_calendar(db))
    events = business.timeline(db, need)
    track_banks = {t.need_bank_id: t.bank_name for t in view.tracks}
    ended = need.status == "closed" or any(t.stage in sla.TERMINAL for t in view.tracks)
    ctx = {"need": need, "view": view, "events": events, "track_banks": track_banks, "error": error,
           "saved": saved, "ended": ended, "next_bank": bank_name(view.onward.get("next_bank")),
           "reasons": sla.DECLINE_REASONS, "levels": identity.LEVEL_NAMES,
           "consent_names": [bank_name(c) for c in view.consent_banks]}
    return _signed_in(request, render(request, "need/status_detail.html", ctx, status_code=status_code), uscc, now)


@router.get("/status/{ref}")
def status_need(request: Request, db: DB, now: Now, ref: str, saved: str = "") -> Response:
    """One need: each bank's stage and deadline, the timeline, what the business can do next."""
    uscc = business_of(request, now)
    if uscc is None:
        return RedirectResponse("/status", status_code=303)
    need = _own_need(db, uscc, ref)
    note = translate(f"need.{saved}", lang_of(request)) if saved in ("done.saved", "onward.centre_done",
                                                                     "onward.plan_done") else None
    return detail_page(request, db, now, uscc, need, saved=note)


def _act(request: Request, db: Session, now: datetime, ref: str, step, saved: str = "done.saved") -> Response:
    """Run one business step on its own need; a refused step re-renders the page with the Chinese reason."""
    uscc = business_of(request, now)
    if uscc is None:  # the session ran out while the page was open: sign in again
        return RedirectResponse("/status", status_code=303)
    need = _own_need(db, uscc, ref)
    try:
        step(need, actor_of(uscc))
    except NotFound as exc:  # a track of another need: as if it did not exist
        raise HTTPException(404) from exc
    except LendingError as exc:
        db.rollback()  # nothing of a refused step is kept (no counters here)
        need = _own_need(db, uscc, ref)
        return detail_page(request, db, now, uscc, need, error=str(exc), status_code=409)
    return RedirectResponse(f"/status/{need.ref}?saved={saved}", status_code=303)


def _track_id(value: str) -> int:
    if not value.isdigit():
        raise HTTPException(404)
    return int(value)


@router.post("/status/{ref}/claim")
def claim(request: Request, db: DB, now: Now, ref: str, track: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The business says it has met a bank's conditions."""
    tid = _track_id(track)
    return _act(request, db, now, ref, lambda need, actor: actions.claim_conditions_met(db, need, tid, actor=actor,
                                                                                         now=now))


@router.post("/status/{ref}/withdraw")
def withdraw(request: Request, db: DB, now: Now, ref: str,
             track: Annotated[str, Form(max_length=20)] = "") -> Response:
    """The business withdraws from one bank."""
    tid = _track_id(track)
    return _act(request, db, now, ref, lambda need, actor: actions.withdraw(db, need, tid, actor=actor, now=now))


@router.post("/status/{ref}/consent")
def withdraw_consent(request: Request, db: DB, now: Now, ref: str) -> Response:
    """PIPL: withdraw the consent to share; every open bank stops."""
    return _act(request, db, now, ref, lambda need, actor: actions.withdraw_consent(db, need, actor=actor, now=now))


@router.post("/status/{ref}/onward")
def onward(request: Request, db: DB, now: Now, ref: str, to: Annotated[str, Form(max_length=10)] = "",
           track: Annotated[str, Form(max_length=20)] = "") -> Response:
    """No dead ends (Q7): the next bank, the service centre, or a one-enterprise-one-policy plan."""
    tid = int(track) if track.isdigit() else None

    def step(need: Need, actor: str) -> None:
        # Only a move to another bank takes the need from a silent bank; the centre and a plan come on top.
        opts = actions.onward_options(db, need, now=now)
        source = tid if to == "bank" and tid in opts["stuck_tracks"] else None
        actions.reroute(db, need, to, from_track_id=source, actor=actor, now=now)

    saved = {"centre": "onward.centre_done", "plan": "onward.plan_done"}.get(to, "done.saved")
    return _act(request, db, now, ref, step, saved)


@router.post("/status/{ref}/rate")
def rate(request: Request, db: DB, now: Now, ref: str, stars: Annotated[str, Form(max_length=2)] = "",
         comment: Annotated[str, Form(max_length=500)] = "") -> Response:
    """A 1–5 star rating of the service."""
    value = int(stars) if stars.isdigit() else 0
    return _act(request, db, now, ref, lambda need, actor: actions.rate(db, need, value, comment, actor=actor, now=now))


@router.post("/status/{ref}/complain")
def complain(request: Request, db: DB, now: Now, ref: str, text: Annotated[str, Form(max_length=1000)] = "",
             track: Annotated[str, Form(max_length=20)] = "") -> Response:
    """A complaint about one bank or the platform (the city admin's queue reads it)."""
    tid = int(track) if track.isdigit() else None
    return _act(request, db, now, ref, lambda need, actor: actions.complain(db, need, text, need_bank_id=tid,
                                                                             actor=actor, now=now))
