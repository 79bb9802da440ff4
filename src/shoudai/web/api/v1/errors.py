"""Errors of the bank API as JSON {code, message, errors}: a stable machine code and a Chinese message.

The bank API's routes use BankApiRoute, which turns the domain's refusals into these answers in one place, so the
endpoints carry no error mapping and the app's HTML-oriented handlers never see a bank API error. Because the refusal
is answered inside the handler, the request's dependencies then exit as if all went well: the handler rolls the
unit of work back itself first, so a refused write leaves nothing behind (its Idempotency-Key included).
"""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException

from shoudai.bankapi.auth import AuthFailed, RateLimited
from shoudai.bankapi.feed import BadCursor
from shoudai.bankapi.idempotency import IdempotencyRefused
from shoudai.lending.common import LendingError, NotFound
from shoudai.outreach.claims import NotInScope, OutreachError

DB_STATE = "bank_api_db"  # request.state attribute holding the request's unit of work (set by security.bank_db)


class ApiError(Exception):
    """A refusal decided at the edge (e.g. a claim lost to another bank)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code = status, code


class ErrorOut(BaseModel):
    """Every error of the bank API."""

    code: str = Field(examples=["bad_transition"], description="机器可读的错误码")
    message: str = Field(examples=["当前阶段不允许此操作（当前：intent）"], description="中文说明")
    errors: list[dict[str, Any]] | None = Field(default=None, description="参数校验错误明细（仅 422）")


def error_response(status: int, code: str, message: str, errors: list | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body = ErrorOut(code=code, message=message, errors=errors).model_dump(exclude_none=True)
    if status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": 'HMAC-SHA256 realm="shoudai-bank-api"'}
    return JSONResponse(body, status_code=status, headers=headers)


def _safe(text: object) -> str:
    # A lone surrogate (sent as a JSON escape) cannot be encoded as UTF-8: echoing it would fail the answer itself.
    return str(text).encode("utf-8", "replace").decode("utf-8")


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    """Where and why, without echoing the input (it may be large, personal, or not encodable)."""
    return [{"type": e.get("type", ""), "loc": [_safe(p) for p in e.get("loc", ())], "msg": _safe(e.get("msg", ""))}
            for e in exc.errors()]


IDEMPOTENCY_STATUS = {"idempotency_key_missing": 400, "idempotency_key_invalid": 400}


def to_response(exc: Exception) -> JSONResponse | None:
    """The JSON answer for a known refusal; None lets anything else propagate (a real server error)."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.code, str(exc))
    if isinstance(exc, AuthFailed):
        return error_response(401, exc.code, str(exc))
    if isinstance(exc, RateLimited):
        return error_response(429, "rate_limited", str(exc), headers={"Retry-After": str(exc.retry_after)})
    if isinstance(exc, IdempotencyRefused):
        return error_response(IDEMPOTENCY_STATUS.get(exc.code, 409), exc.code, str(exc))
    if isinstance(exc, NotFound | NotInScope):
        # Another bank's need or claim is answered exactly like a missing one (BOLA).
        return error_response(404, "not_found", "对象不存在")
    if isinstance(exc, LendingError):
        conflict = exc.code in ("bad_transition", "consent_withdrawn")
        return error_response(409 if conflict else 422, exc.code, str(exc))
    if isinstance(exc, OutreachError):
        return error_response(422, "refused", str(exc))
    if isinstance(exc, BadCursor):
        return error_response(400, "bad_cursor", str(exc))
    if isinstance(exc, RequestValidationError):
        return error_response(422, "invalid_request", "请求参数不合法", validation_errors(exc))
    if isinstance(exc, HTTPException):
        if exc.status_code == 403 and exc.detail == "csrf":
            # The app's CSRF check stops a write without X-Api-Key before it reaches us: it is simply unsigned.
            return error_response(401, "unauthenticated", "缺少 X-Api-Key、X-Timestamp 或 X-Signature 请求头")
        return error_response(exc.status_code, f"http_{exc.status_code}", str(exc.detail))
    return None


class BankApiRoute(APIRoute):
    """An APIRoute whose refusals (from dependencies or endpoints) become ErrorOut JSON."""

    def get_route_handler(self):
        handler = super().get_route_handler()

        async def handle(request):
            try:
                return await handler(request)
            except Exception as exc:
                response = to_response(exc)
                if response is None:
                    raise
                db = getattr(request.state, DB_STATE, None)
                if db is not None:
                    db.rollback()
                return response

        return handle


# OpenAPI: the error answers every operation may give.
COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "未认证：缺少签名头、密钥无效或已吊销、时间戳过期、签名错误或重放"},
    429: {"model": ErrorOut, "description": "该密钥请求过于频繁（每分钟 1200 次），按 Retry-After 秒后重试"},
    422: {"model": ErrorOut, "description": "参数不合法或业务规则不允许"},
}
READ_ERRORS = {**COMMON_ERRORS, 400: {"model": ErrorOut, "description": "参数不合法（如 cursor 无效）"},
               404: {"model": ErrorOut, "description": "对象不存在或不属于本行"}}
WRITE_ERRORS = {**COMMON_ERRORS,
                400: {"model": ErrorOut, "description": "缺少或不合法的 Idempotency-Key"},
                404: {"model": ErrorOut, "description": "对象不存在或不属于本行"},
                409: {"model": ErrorOut, "description": "阶段不允许、已被他行认领，或 Idempotency-Key 已用于另一请求"}}
