"""GET /api/v1/me: who the caller is and what it may see (masked personal data)."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from shoudai.accounts.service import phone_of
from shoudai.kit.masking import mask_phone
from shoudai.web.deps import Current

router = APIRouter(prefix="/api/v1", tags=["accounts"])


class ScopeOut(BaseModel):
    role: str
    county_codes: list[str]
    bank_code: str | None
    branch_code: str | None
    enterprise_uscc: str | None


class MeOut(BaseModel):
    username: str
    display_name: str
    phone_masked: str | None
    scope: ScopeOut


@router.get("/me", response_model=MeOut)
def me(cu: Current) -> MeOut:
    """The signed-in user, its scope and its phone (masked)."""
    s = cu.scope
    return MeOut(
        username=cu.user.username, display_name=cu.user.display_name, phone_masked=mask_phone(phone_of(cu.user)),
        scope=ScopeOut(role=s.role, county_codes=list(s.county_codes), bank_code=s.bank_code,
                       branch_code=s.branch_code, enterprise_uscc=s.enterprise_uscc),
    )
