"""The enterprise's own account (Q4: "on verification the enterprise account exists").

A business never sets a password: it signs in to its status page with its credit code, the phone on its need and
a one-time code. The account is what ties that business to the platform (role enterprise, scope = its credit
code), so it is created the first time the business proves who it is, and never duplicated afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, exists, insert, select
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.models import User
from shoudai.accounts.service import phone_columns
from shoudai.kit.direct import Direct

# Not an argon2 hash, so no password ever verifies against it (passwords.verify_password answers False).
NO_PASSWORD = "!no-password: one-time code sign-in only"


def enterprise_username(uscc: str) -> str:
    return "e-" + uscc.lower()


_COLUMNS = ("username", "display_name", "role", "county_codes", "enterprise_uscc", "password_hash",
            "password_changed_at", "disabled", "created_at", "created_by", "updated_at", "phone_enc", "phone_bidx")


def _statements():
    t = User.__table__
    mine = (t.c.role == roles.ENTERPRISE) & (t.c.enterprise_uscc == bindparam("uscc"))
    find = select(t.c.id).where(mine).limit(1)
    # INSERT … SELECT … WHERE NOT EXISTS: a business's first verified need creates its account in one statement.
    values = select(*[bindparam(f"v_{c}", type_=t.c[c].type) for c in _COLUMNS]).where(~exists().where(mine))
    return Direct(find), Direct(insert(t).from_select(list(_COLUMNS), values).returning(t.c.id))


# Built once: this runs on every verified submission.
_FIND, _CREATE_IF_MISSING = _statements()


def ensure_enterprise_account(session: Session, *, uscc: str, name: str, phone: str | None, actor: str,
                              now: datetime) -> tuple[int, bool]:
    """The business's account id, the account created if missing; returns (user id, created). A disabled one stays
    disabled. Plain table statements: this runs on every verified submission."""
    values = dict(username=enterprise_username(uscc), display_name=name.strip()[:100] or uscc, role=roles.ENTERPRISE,
                  county_codes="", enterprise_uscc=uscc, password_hash=NO_PASSWORD, password_changed_at=now,
                  disabled=False, created_at=now, created_by=actor, updated_at=now, **phone_columns(phone))
    made = _CREATE_IF_MISSING.execute(session, {"uscc": uscc, **{f"v_{c}": values[c] for c in _COLUMNS}})
    if made:
        return made[0][0], True
    return _FIND.execute(session, {"uscc": uscc})[0][0], False
