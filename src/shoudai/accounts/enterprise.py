"""The enterprise's own account (Q4: "on verification the enterprise account exists").

A business never sets a password: it signs in to its status page with its credit code, the phone on its need and
a one-time code. The account is what ties that business to the platform (role enterprise, scope = its credit
code), so it is created the first time the business proves who it is, and never duplicated afterwards.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.models import User
from shoudai.accounts.service import phone_columns

# Not an argon2 hash, so no password ever verifies against it (passwords.verify_password answers False).
NO_PASSWORD = "!no-password: one-time code sign-in only"


def enterprise_username(uscc: str) -> str:
    return "e-" + uscc.lower()


def _statements():
    t = User.__table__
    find = select(t.c.id).where(t.c.role == roles.ENTERPRISE, t.c.enterprise_uscc == bindparam("uscc")).limit(1)
    return find, insert(t).returning(t.c.id)


# Built once: this runs on every verified submission.
_FIND, _INSERT = _statements()


def ensure_enterprise_account(session: Session, *, uscc: str, name: str, phone: str | None, actor: str,
                              now: datetime) -> tuple[int, bool]:
    """The business's account id, the account created if missing; returns (user id, created). A disabled one stays
    disabled. Plain table statements: this runs on every verified submission."""
    found = session.scalar(_FIND, {"uscc": uscc})
    if found is not None:
        return found, False
    values = dict(username=enterprise_username(uscc), display_name=name.strip()[:100] or uscc, role=roles.ENTERPRISE,
                  county_codes="", enterprise_uscc=uscc, password_hash=NO_PASSWORD, password_changed_at=now,
                  disabled=False, created_at=now, created_by=actor, updated_at=now, **phone_columns(phone))
    return session.execute(_INSERT, values).scalar_one(), True
