"""Who calls the bank API (a signed key, never a cookie) and how its writes stay idempotent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request, Security
from fastapi.responses import Response
from fastapi.security import APIKeyHeader
from pydantic import BaseModel
from sqlalchemy.orm import Session

from shoudai.bankapi import auth, idempotency
from shoudai.bankapi.auth import BankPrincipal
from shoudai.bankapi.models import BankApiIdempotency
from shoudai.db import session_scope
from shoudai.web.api.v1.errors import DB_STATE
from shoudai.web.deps import DB, Now, client_ip

SIGNING_HELP = ("签名 = HMAC-SHA256(密钥, METHOD + \"\\n\" + PATH[?QUERY] + \"\\n\" + X-Timestamp + \"\\n\" + "
                "SHA256十六进制(请求体))，小写十六进制。")
# One security scheme (the key id); the timestamp and signature go with it as header parameters, because OpenAPI
# lists separate schemes as alternatives while a call needs all three.
api_key = APIKeyHeader(name="X-Api-Key", auto_error=False, scheme_name="ApiKey",
                       description="密钥编号（bk_…），由市金融局签发给银行；须同时带 X-Timestamp 与 X-Signature。"
                                   + SIGNING_HELP)
TimestampHeader = Annotated[str | None, Header(
    alias="X-Timestamp", description="必填：Unix 秒（可带小数，如 1767225600.123）；与服务器时间相差不得超过 5 分钟",
    examples=["1767225600.123"])]
SignatureHeader = Annotated[str | None, Header(
    alias="X-Signature", description="必填：" + SIGNING_HELP + " 同一签名只能使用一次。",
    examples=["3f5a…（64 位十六进制）"])]


async def raw_body(request: Request) -> bytes:
    """The exact bytes that were signed (Starlette caches them, so the endpoint parses the same body)."""
    return await request.body()


def target_of(request: Request) -> str:
    """Path and query exactly as the client sent them (what it signed)."""
    path = request.scope.get("raw_path") or request.url.path.encode()
    query = request.scope.get("query_string") or b""
    return path.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


def bank_principal(request: Request, now: Now, body: Annotated[bytes, Depends(raw_body)],
                   key_id: Annotated[str | None, Security(api_key)] = None, timestamp: TimestampHeader = None,
                   signature: SignatureHeader = None) -> BankPrincipal:
    """The calling bank, authenticated by key and signature in a transaction of its own (committed at once, so
    the signature stays used whatever happens to the request)."""
    with session_scope(request.app.state.engine) as s:
        principal = auth.authenticate(s, key_id=key_id, timestamp=timestamp, signature=signature,
                                      method=request.method, path_and_query=target_of(request), body=body, now=now,
                                      source=client_ip(request))
        wait = auth.within_rate(s, principal, now)
    if wait:
        raise auth.RateLimited(wait)
    return principal


Bank = Annotated[BankPrincipal, Depends(bank_principal)]


def bank_db(request: Request, db: DB) -> Session:
    """The request's unit of work, noted on the request so that a refusal can roll it back (see errors.py)."""
    setattr(request.state, DB_STATE, db)
    return db


BankDB = Annotated[Session, Depends(bank_db)]


@dataclass
class WriteContext:
    """A write in progress: the bank, the unit of work, and either a stored answer to replay or a claimed key."""

    bank: BankPrincipal
    db: Session
    stored: idempotency.Stored | None
    slot: BankApiIdempotency | None

    def run(self, action: Callable[[], BaseModel], status: int = 200) -> Response:
        """Replay the stored answer, or do the write and store its answer with it (same transaction)."""
        if self.stored is not None:
            return Response(self.stored.body, status_code=self.stored.status_code, media_type="application/json",
                            headers={"Idempotent-Replayed": "true"})
        body = action().model_dump_json()
        idempotency.finish(self.db, self.slot, status, body)
        return Response(body, status_code=status, media_type="application/json")


def write_context(request: Request, bank: Bank, db: BankDB, now: Now, body: Annotated[bytes, Depends(raw_body)],
                  idempotency_key: Annotated[str | None, Header(
                      alias="Idempotency-Key", description="必填：每个写操作一个唯一值（8–100 个字符）。同一值、同一请求"
                      "重发得到首次的答复；同一值用于不同请求返回 409。", examples=["a1b2c3d4-0001"])] = None,
                  ) -> WriteContext:
    fp = idempotency.fingerprint(request.method, target_of(request), body)
    stored, slot = idempotency.begin(db, bank.bank_code, idempotency_key or "", fp, key_id=bank.key_id, now=now)
    return WriteContext(bank, db, stored, slot)


Write = Annotated[WriteContext, Depends(write_context)]
