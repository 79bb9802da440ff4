"""The bank API, /api/v1 (issue 4, X4): signed per-bank keys, idempotent writes, the same scope as the pages.

Modules: security (who calls, idempotency), errors (JSON errors), needs/steps (the 211 workflow), lists/claims
(issue 3's lists), docs (OpenAPI document and the Swagger UI page), admin_keys (the city admin's key page).
The public need API lives elsewhere.
"""

from fastapi import APIRouter

from shoudai.web.api.v1 import admin_keys, claims, docs, lists, needs, steps

MAX_BODY = 256 * 1024  # the largest write (a bulk assignment of 10,000 ids) is well under this

router = APIRouter()
for module in (needs, steps, lists, claims):
    router.include_router(module.router, max_body_size=MAX_BODY)
for module in (docs, admin_keys):
    router.include_router(module.router)
