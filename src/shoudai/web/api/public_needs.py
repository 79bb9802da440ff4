"""The public need API (Q2–Q4, X6): JSON, no cookie, rate-limited; a need is acknowledged only after its commit.

    POST /api/v1/public/otp    {"phone", "uscc"}                      → 201 {"challenge_id", "expires_at"}
    POST /api/v1/public/needs  form fields + "otp_challenge_id", "otp_code", "legal_rep"; header Idempotency-Key
                               → 201 {"ref", ...} once verified and pushed; the same key again → 200, the same need

One transaction per submission: record the need (idempotent by key; a new one is verified first and written
verified), push, and only then append the audit rows, so the audit chain's lock is held just for the commit. A crash
before the commit leaves nothing (the code is not consumed either), and the client's retry under the same key does
it all again; after it, the retry is answered 200 with the same need. Refusals that count an attempt (rate limits,
wrong codes) commit the count, and after a wrong code the unverified need, which a retry with a new code completes.

There is no public status read: a need reference is not a secret, so a business reads its status only after
signing in with code + phone + one-time code on the status page (Q6).
"""

from __future__ import annotations

import asyncio
import functools
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.routing import Route
from stdnum.cn import uscc as stdnum_uscc

from shoudai.audit.actor import Actor
from shoudai.audit.service import append as audit_append
from shoudai.audit.service import held as audit_held
from shoudai.audit.service import hold_sqlite_write_lock
from shoudai.config import get_settings
from shoudai.db import session_scope
from shoudai.kit import direct
from shoudai.kit.writebehind import held_rows, insert_held
from shoudai.lending import identity, intake, service
from shoudai.lending.channels import cached_channel
from shoudai.lending.common import LendingError, NotFound, utc
from shoudai.lending.forms import GUARANTEES, KINDS, FormError, NeedForm, clean, normalise_uscc
from shoudai.lending.models import Need
from shoudai.reference.calendar_store import cached_calendar
from shoudai.web.deps import client_ip

router = APIRouter(prefix="/api/v1/public", tags=["public"])

ACTOR_NAME = "public:need-api"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_BODY = 16 * 1024
# Why a code was not accepted, for the person at the form (problem codes from identity.check_otp / the verifier).
OTP_PROBLEMS = {
    "otp_missing": ("otp_code", "请输入短信验证码"),
    "otp_unknown": ("otp_challenge_id", "验证码不存在或与手机号不符，请重新获取"),
    "otp_used": ("otp_challenge_id", "该验证码已使用，请重新获取"),
    "otp_expired": ("otp_challenge_id", "验证码已过期，请重新获取"),
    "otp_locked": ("otp_challenge_id", "验证码错误次数过多，请重新获取"),
    "otp_wrong": ("otp_code", "验证码不正确"),
}
REGISTRY_NOTES = {
    "registry_unknown": "未在本市名单中找到该信用代码，已按手机验证码认证",
    "name_mismatch": "企业名称与登记信息不一致，已按手机验证码认证",
    "legal_rep_mismatch": "法定代表人/经营者与登记信息不一致，已按手机验证码认证",
}
LENDING_FIELDS = {"idempotency_key": IDEMPOTENCY_HEADER, "identity_mismatch": "contact_phone"}
FORM_FIELDS = ("uscc", "name", "amount_wan", "term_months", "purpose", "guarantee", "contact_name", "contact_phone",
               "banks", "recommend_for_me", "consent", "kind", "channel", "legal_rep", "otp_challenge_id", "otp_code")


@functools.cache
def _submitters() -> ThreadPoolExecutor:
    """At most SHOUDAI_SUBMIT_THREADS submissions run at once in a process; the rest wait their turn in its queue.

    Why: each submission holds database locks (its business, then the audit chain) across several round trips, and
    every round trip needs the GIL back; with 40 threads contending, a lock holder waited behind the others and
    throughput collapsed. Its own pool, not anyio's: the hand-over cost a third less CPU.
    """
    return ThreadPoolExecutor(get_settings().submit_threads, thread_name_prefix="submit")


class ApiError(Exception):
    """A refusal answered as JSON: {"code", "detail" (Chinese), "errors": {field: Chinese}}."""

    def __init__(self, status: int, code: str, detail: str, errors: dict[str, str] | None = None,
                 headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status, self.code, self.detail, self.errors, self.headers = status, code, detail, errors or {}, headers

    def response(self) -> JSONResponse:
        body = {"code": self.code, "detail": self.detail, "errors": self.errors}
        return JSONResponse(body, status_code=self.status, headers=self.headers)


class Counted(ApiError):
    """A refusal whose counted attempt (rate-limit hit, wrong code) must commit with the transaction."""


def _limited(exc: identity.RateLimited) -> ApiError:
    return Counted(429, "rate_limited", str(exc), headers={"Retry-After": str(exc.retry_after)})


def _actor(request: Request) -> Actor:
    return Actor(ACTOR_NAME, "public", None, client_ip(request))


async def _json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise ApiError(413, "too_large", "请求内容过大")
    try:
        body = json.loads(raw or b"null")
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ApiError(400, "bad_json", "请求内容须为 JSON 对象") from None
    if not isinstance(body, dict):
        raise ApiError(400, "bad_json", "请求内容须为 JSON 对象")
    return body


def _text(body: dict, field: str, label: str, errors: dict[str, str], *, required: bool = True) -> str:
    value = body.get(field)
    if value is None or value == "":
        if required:
            errors[field] = f"请填写{label}"
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        errors[field] = f"{label}须为文本"
        return ""
    value = str(value)
    if len(value) > 500 or any(ord(ch) < 32 for ch in value):  # the database refuses NUL; nothing here needs controls
        errors[field] = f"{label}含有无效字符或过长"
        return ""
    return value


def _flag(body: dict, field: str, label: str, errors: dict[str, str]) -> bool:
    value = body.get(field, False)
    if not isinstance(value, bool):
        errors[field] = f"{label}须为 true 或 false"
        return False
    return value


# --- POST /otp ---

OTP_BODY = {"type": "object", "required": ["phone", "uscc"], "properties": {
    "phone": {"type": "string", "example": "13800138000"}, "uscc": {"type": "string", "example": "92410782MA0000001J"}}}
NEED_BODY = {"type": "object", "required": ["uscc", "name", "amount_wan", "term_months", "purpose", "guarantee",
                                            "contact_name", "contact_phone", "consent", "channel", "otp_challenge_id",
                                            "otp_code"],
             "properties": {
                 "uscc": {"type": "string"}, "name": {"type": "string"},
                 "amount_wan": {"type": "string", "description": "万元，最多两位小数", "example": "50"},
                 "term_months": {"type": "integer", "minimum": 1, "maximum": 360},
                 "purpose": {"type": "string"}, "guarantee": {"type": "string", "enum": sorted(GUARANTEES)},
                 "banks": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
                 "recommend_for_me": {"type": "boolean"}, "consent": {"type": "boolean"},
                 "kind": {"type": "string", "enum": sorted(KINDS)}, "contact_name": {"type": "string"},
                 "contact_phone": {"type": "string"}, "channel": {"type": "string"},
                 "legal_rep": {"type": "string", "description": "法定代表人/经营者姓名（与登记信息核对）"},
                 "otp_challenge_id": {"type": "integer"}, "otp_code": {"type": "string"}}}


def _body_doc(schema: dict, *, key: bool = False) -> dict:
    doc: dict[str, Any] = {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}
    if key:
        doc["parameters"] = [{"name": IDEMPOTENCY_HEADER, "in": "header", "required": True,
                              "schema": {"type": "string", "minLength": 8, "maxLength": 100}}]
    return doc


@router.post("/otp", status_code=201, summary="发送短信验证码", openapi_extra=_body_doc(OTP_BODY))
async def send_otp(request: Request) -> JSONResponse:
    """Send a one-time code to `phone` for the credit code `uscc`; limited per phone, address and code."""
    try:
        body = await _json_body(request)
        errors: dict[str, str] = {}
        phone = _text(body, "phone", "手机号", errors)
        uscc = normalise_uscc(_text(body, "uscc", "统一社会信用代码", errors))
        if uscc and not stdnum_uscc.is_valid(uscc):
            errors["uscc"] = "统一社会信用代码格式或校验位不正确"
        if errors:
            raise ApiError(422, "invalid", "请检查填写的内容", errors)
        out = await run_in_threadpool(_issue, request, phone, uscc)
    except ApiError as err:
        return err.response()
    return JSONResponse(out, status_code=201)


def _issue(request: Request, phone: str, uscc: str) -> dict[str, Any]:
    refused: ApiError | None = None
    with session_scope(request.app.state.engine) as db:
        try:
            ch = identity.issue_otp(db, phone, uscc=uscc, actor=_actor(request), source_addr=client_ip(request),
                                    now=request.app.state.clock())
        except identity.RateLimited as exc:
            refused = _limited(exc)  # leave the block normally: the counted attempt commits
        except ValueError as exc:
            raise ApiError(422, "invalid", str(exc), {"phone": str(exc)}) from None
        else:
            out = {"challenge_id": ch.id, "expires_at": utc(ch.expires_at).isoformat(),
                   "ttl_seconds": int(identity.OTP_TTL.total_seconds())}
    if refused:
        raise refused
    return out


# --- POST /needs ---

@dataclass(frozen=True)
class Submission:
    """One parsed request: the need form, who claims to act for the business, and the key."""

    form: NeedForm
    channel: str
    key: str
    legal_rep: str
    otp_id: int | None
    otp_code: str


def _parse(body: dict, key: str | None) -> Submission:
    errors: dict[str, str] = {}
    key = (key or "").strip()
    if not 8 <= len(key) <= 100:
        errors[IDEMPOTENCY_HEADER] = "请求须带 Idempotency-Key 头（8–100 个字符），重试时保持不变"
    banks = body.get("banks", [])
    if not isinstance(banks, list) or not all(isinstance(b, str) for b in banks):
        errors["banks"] = "银行须为银行代码的列表"
        banks = []
    otp_raw = body.get("otp_challenge_id")
    otp_id = otp_raw if isinstance(otp_raw, int) and not isinstance(otp_raw, bool) and 0 < otp_raw < 2**63 else None
    if otp_raw is None:
        errors["otp_challenge_id"] = "请先获取短信验证码"
    elif otp_id is None:
        errors["otp_challenge_id"] = "验证码编号须为正整数"
    form = NeedForm(
        uscc=_text(body, "uscc", "统一社会信用代码", errors, required=False),
        name=_text(body, "name", "企业名称", errors, required=False),
        amount_wan=_text(body, "amount_wan", "金额", errors, required=False),
        term_months=_text(body, "term_months", "期限", errors, required=False),
        purpose=_text(body, "purpose", "资金用途", errors, required=False),
        guarantee=_text(body, "guarantee", "担保方式", errors, required=False),
        contact_name=_text(body, "contact_name", "联系人", errors, required=False),
        contact_phone=_text(body, "contact_phone", "手机号", errors, required=False),
        banks=tuple(banks), recommend_for_me=_flag(body, "recommend_for_me", "为我推荐", errors),
        consent=_flag(body, "consent", "授权同意", errors),
        kind=_text(body, "kind", "需求类型", errors, required=False) or "first_loan",
    )
    try:
        form = clean(form)
    except FormError as exc:
        errors = {**exc.errors, **errors}
    channel = _text(body, "channel", "渠道", errors)
    legal_rep = _text(body, "legal_rep", "法定代表人/经营者姓名", errors, required=False)
    code = _text(body, "otp_code", "短信验证码", errors)
    unknown = sorted(set(body) - set(FORM_FIELDS))
    if unknown:
        errors[unknown[0]] = f"未知字段：{'、'.join(unknown)}"
    if errors:
        raise ApiError(422, "invalid", "请检查填写的内容", errors)
    return Submission(form, channel, key, legal_rep, otp_id, code)


@router.post("/needs", status_code=201, summary="提交融资需求（验证码核验后推送至银行）",
             openapi_extra=_body_doc(NEED_BODY, key=True))
async def submit_need(request: Request) -> JSONResponse:
    """Record, verify and push a need. 201 once committed and pushed; 200 when this key's need was already pushed."""
    try:
        sub = _parse(await _json_body(request), request.headers.get(IDEMPOTENCY_HEADER))
        status, out = await asyncio.get_running_loop().run_in_executor(_submitters(), _submit, request, sub)
    except ApiError as err:
        return err.response()
    return JSONResponse(out, status_code=status)


# The same endpoint as a plain Starlette route, which web.app puts ahead of the routers: the submission takes the
# public traffic, and FastAPI's per-request step (solving the app-wide CSRF dependency, a no-op for this cookie-free
# path, and the endpoint's parameters) cost a tenth of its web-side CPU. The APIRoute above documents it (OpenAPI).
SERVED_FIRST = (Route(router.prefix + "/needs", submit_need, methods=["POST"], include_in_schema=False),)


def _submit(request: Request, sub: Submission) -> tuple[int, dict[str, Any]]:
    try:
        return _submit_once(request, sub)
    except IntegrityError:
        # A client sent one key for two businesses at the same moment: the second sees the first's row and is
        # answered as a retry (200, or 409 for another body), as it would have been a moment later.
        return _submit_once(request, sub)


def _submit_once(request: Request, sub: Submission) -> tuple[int, dict[str, Any]]:
    """One transaction: record the need under its key, verify, push; timeline and audit rows go last (audit.held)."""
    refused: Counted | None = None
    lookup = identity.memoized_lookup()  # the business is read once, for the need and for the registry check
    with session_scope(request.app.state.engine) as db:
        hold_sqlite_write_lock(db)  # SQLite has no FOR UPDATE: take its write lock before reading
        with audit_held(db) as audit_rows, held_rows(db) as timeline_rows:  # written last, below
            try:
                now = request.app.state.clock()
                res = _record(db, request, sub, lookup, now)
                status, out = _verify_and_push(db, request, sub, res, lookup, now)
            except Counted as exc:
                refused = exc  # leave the block normally: the counted attempt commits
        db.flush()  # any ORM change goes now: only Direct statements may run in the pipeline
        # Timeline, outbox and audit rows and the commit go out together: one round trip on PostgreSQL, and the
        # audit chain's lock is held only while the server runs them (audit.service._append_on_server).
        with direct.pipeline(db):
            insert_held(db, timeline_rows)
            audit_append(db, audit_rows)
            direct.commit_in_pipeline(db)
    if refused:
        raise refused
    return status, out


def _claim(sub: Submission) -> identity.IdentityClaim:
    f = sub.form
    return identity.IdentityClaim(f.uscc, f.name, sub.legal_rep, f.contact_phone, sub.otp_id, sub.otp_code)


def _record(db, request: Request, sub: Submission, lookup: identity.RegistryLookup, now) -> service.SubmitResult:
    """The need under its key (a retry finds it; another body under the same key is a conflict). A new need that
    is not merged is verified first and written verified (SubmitResult.verification)."""
    try:
        channel = cached_channel(db, sub.channel)
    except NotFound:
        raise ApiError(422, "invalid", "请检查填写的内容", {"channel": "渠道不存在或已停用"}) from None
    verifier = identity.OtpRegistryVerifier(lookup)

    def verify() -> identity.VerificationResult:
        return verifier.verify(db, _claim(sub), now=now, source_addr=client_ip(request))

    try:
        res = service.submit_need(db, sub.form, channel=channel, idempotency_key=sub.key, actor=_actor(request),
                                  now=now, source_addr=client_ip(request), registry=lookup, verify=verify)
    except identity.RateLimited as exc:
        raise _limited(exc) from None
    except LendingError as exc:
        raise _lending(exc) from None
    if not res.created:  # a retry (or a lost race for the key): only the same body may reuse the key
        _same_or_conflict(intake.row_for_key(db, sub.key), sub, channel.id)
    return res


def _same_or_conflict(row: Need, sub: Submission, channel_id: int) -> None:
    diff = intake.differences(row, sub.form, channel_id)
    if diff:
        raise ApiError(409, "idempotency_conflict", "该 Idempotency-Key 已用于另一份需求，请为新需求使用新的 Key",
                       {f: "与首次提交的内容不同" for f in diff})


def _verify_and_push(db, request: Request, sub: Submission, recorded: service.SubmitResult,
                     lookup: identity.RegistryLookup, now) -> tuple[int, dict[str, Any]]:
    """Check the code (and the registry), push; a need this key already pushed is answered as it is."""
    need = recorded.need
    if recorded.verification is not None:  # a new need, verified as it was written: only the push is left
        v = _passed(recorded.verification)
        try:
            pushed = service.open_verified(db, need, phone=sub.form.contact_phone, actor=_actor(request), now=now,
                                           cal=cached_calendar(db), first_push=True)
        except LendingError as exc:
            raise _lending(exc) from None
        return 201, _answer(db, need, merged=False, pushed=pushed, notes=_notes(v))
    if not recorded.created or recorded.merged:  # a row others can see: concurrent retries of one key wait here
        need = db.get(Need, need.id, with_for_update=True, populate_existing=True)
    own = need if need.idempotency_key == sub.key else intake.row_for_key(db, sub.key)
    merged = own.merged_into_id is not None
    if intake.acknowledged(own):
        return 200, _answer(db, need, merged=merged, pushed=(), notes=())
    try:
        res = service.verify_and_push(db, need, _claim(sub), verifier=identity.OtpRegistryVerifier(lookup),
                                      actor=_actor(request), now=now, source_addr=client_ip(request),
                                      cal=cached_calendar(db))
    except identity.RateLimited as exc:
        raise _limited(exc) from None
    except LendingError as exc:
        raise _lending(exc) from None
    v = _passed(res.verification)
    intake.note_verified(db, own, v, now=now)
    return 201, _answer(db, need, merged=merged, pushed=res.pushed_to, notes=_notes(v))


def _passed(v: identity.VerificationResult) -> identity.VerificationResult:
    """`v` if it passed; otherwise the refusal, counted (the need stays unverified for a retry with a new code)."""
    if not v.ok:
        field, message = OTP_PROBLEMS.get(v.problems[0] if v.problems else "", ("otp_code", "身份核验未通过"))
        raise Counted(422, "verification_failed", message, {field: message})
    return v


def _notes(v: identity.VerificationResult) -> list[str]:
    return [REGISTRY_NOTES[p] for p in v.problems if p in REGISTRY_NOTES]


def _answer(db, need: Need, *, merged: bool, pushed: tuple[str, ...], notes) -> dict[str, Any]:
    if need.status == service.MERGED:
        need = db.get(Need, need.merged_into_id)
    return {
        "ref": need.ref, "status": need.status, "merged": merged,
        "identity_level": need.identity_level, "identity_level_name": identity.LEVEL_NAMES[need.identity_level],
        # A first push made every track there is; otherwise read them.
        "banks": list(pushed) if pushed and not merged else [t.bank_code for t in service.tracks_of(db, need)],
        "pushed_to": list(pushed), "notes": list(notes),
    }


def _lending(exc: LendingError) -> ApiError:
    field = LENDING_FIELDS.get(exc.code, exc.code)
    return ApiError(422, exc.code, str(exc), {field: str(exc)})
