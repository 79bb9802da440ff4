"""The bank API's documentation: its own OpenAPI document (bank operations only, with the signing guide) and a
Swagger UI page served entirely from this origin."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse

router = APIRouter()
PAGE = Path(__file__).resolve().parents[2] / "templates" / "apidocs" / "index.html"
TAGS = ("需求对接 Needs", "名单认领 Lists and claims")
GUIDE = """首贷通银行接口（/api/v1）。所有请求须签名，写操作须带 Idempotency-Key。

**签名**：每个请求带三个请求头：
- `X-Api-Key`：密钥编号（`bk_…`，由市金融局用 `shoudai bankapi issue` 签发，密钥只显示一次）；
- `X-Timestamp`：Unix 秒（可带最多 6 位小数，同一秒内的相同请求请用不同的小数），与服务器相差不超过 5 分钟；
- `X-Signature`：`HMAC-SHA256(密钥, METHOD + "\\n" + 路径[?查询串] + "\\n" + X-Timestamp + "\\n" + SHA256十六进制(请求体))`
  的小写十六进制。路径与查询串须与实际发送的完全一致；同一签名只能使用一次（重放返回 401）。

**幂等**：POST 必须带 `Idempotency-Key`（8–100 个字符）。同一值、同一请求重发，得到首次的答复（响应头
`Idempotent-Replayed: true`）；同一值用于不同请求返回 409。答复保存 24 小时。
唯一例外是 `POST /api/v1/needs/{track_id}/contact`（查看完整联系方式）：它只写审计记录，其答复含个人信息，不予保存。

**拉取**：`GET /api/v1/needs` 按变更先后返回，保留 `next_cursor` 以后再拉取即得新变更；为保证不漏，最近 5 秒内的变更
稍后才出现在拉取结果中（webhook 实时推送）。

**范围**：只能看到、操作推送给本行的需求和本行的认领；他行的对象一律返回 404。个人信息按银行管理行用户的规则脱敏。

**频率**：每个密钥每分钟最多 1200 次请求，超出返回 429 与 `Retry-After`。

**错误**：`{"code": "机器可读错误码", "message": "中文说明"}`。

Python 示例（只用标准库）：

```python
import hashlib, hmac, json, time, urllib.request
def call(method, path, body=None, idempotency_key=None):
    data = b"" if body is None else json.dumps(body).encode()
    ts = f"{time.time():.3f}"
    msg = "\\n".join([method, path, ts, hashlib.sha256(data).hexdigest()]).encode()
    headers = {"X-Api-Key": KEY_ID, "X-Timestamp": ts, "Content-Type": "application/json",
               "X-Signature": hmac.new(SECRET.encode(), msg, hashlib.sha256).hexdigest()}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    req = urllib.request.Request(BASE + path, data=data or None, headers=headers, method=method)
    return json.load(urllib.request.urlopen(req))
call("GET", "/api/v1/needs?limit=50")
call("POST", "/api/v1/needs/1024/answer", {"conditions": ["提供近6个月银行流水"]}, "answer-1024-1")
```
"""


def bank_spec(full: dict) -> dict:
    """The bank operations of the app's OpenAPI document (shared components kept), with the guide."""
    paths = {p: ops for p, ops in full["paths"].items()
             if any(set(op.get("tags", [])) & set(TAGS) for op in ops.values() if isinstance(op, dict))}
    info = {"title": "首贷通 银行接口 Shoudai bank API", "version": "v1", "description": GUIDE}
    return {**full, "info": info, "paths": paths, "tags": [{"name": t} for t in TAGS]}


@router.get("/api/v1/openapi.json", include_in_schema=False)
def bank_openapi(request: Request) -> JSONResponse:
    """The bank API's own OpenAPI document (what /api/docs shows)."""
    return JSONResponse(bank_spec(request.app.openapi()))


@router.get("/api/docs", include_in_schema=False, response_class=HTMLResponse)
def docs_page() -> HTMLResponse:
    """Swagger UI over the bank API's document (vendored, no CDN)."""
    return HTMLResponse(PAGE.read_text(encoding="utf-8"))
