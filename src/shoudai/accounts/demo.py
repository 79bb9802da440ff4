"""Demo accounts, one per role, with known passwords and pre-enrolled TOTP secrets (for a laptop demo only)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from sqlalchemy.orm import Session

from shoudai.accounts import roles
from shoudai.accounts.passwords import hash_password
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import create_user, get_by_username, totp_secret_of
from shoudai.audit.actor import Actor

DEMO_PASSWORD = "Shoudai@2026demo"


@dataclass(frozen=True)
class DemoAccount:
    """What to print for one demo login."""

    username: str
    password: str
    role: str
    display_name: str
    totp_secret: str | None
    created: bool = False


def demo_totp_secret(username: str) -> str:
    """A fixed, public TOTP secret for a demo username (never use demo accounts with real data)."""
    return base64.b32encode(hashlib.sha256(f"shoudai-demo|{username}".encode()).digest()[:20]).decode()


# Test city: Xinxiang; 红旗区 410702; ICBC; a plausible USCC with a valid check digit.
DEMO_SPECS = (
    ("admin", "市金融局管理员", roles.CITY_ADMIN, ScopeSpec()),
    ("county410702", "红旗区金融办", roles.COUNTY_OFFICER, ScopeSpec(county_codes=("410702",))),
    ("bankhq", "工商银行新乡分行", roles.BANK_HQ, ScopeSpec(bank_code="ICBC")),
    ("officer", "李客户经理", roles.LOAN_OFFICER, ScopeSpec(bank_code="ICBC", branch_code="ICBC-HQ-01")),
    ("clerk", "首贷中心窗口", roles.CENTRE_CLERK, ScopeSpec()),
    ("enterprise", "新乡市示范商贸有限公司", roles.ENTERPRISE, ScopeSpec(enterprise_uscc="91410702MA44DE7M01")),
)


@lru_cache
def _demo_hash() -> str:
    return hash_password(DEMO_PASSWORD)  # one argon2 run for all demo accounts (they share the password)


def _demo_phone(username: str) -> str:
    return "1380373" + str(int(hashlib.sha256(username.encode()).hexdigest(), 16) % 10000).zfill(4)


def seed_demo_accounts(session: Session, now: datetime | None = None) -> list[DemoAccount]:
    """Create the demo accounts that do not exist yet; returns every demo login (flushes, caller commits)."""
    now = now or datetime.now(UTC)
    actor = Actor.system("demo")
    out = []
    for username, display, role, scope in DEMO_SPECS:
        user = get_by_username(session, username)
        created = user is None
        if created:
            secret = demo_totp_secret(username) if roles.is_staff(role) else None
            user, _ = create_user(session, actor=actor, username=username, display_name=display, role=role,
                                  scope=scope, password=DEMO_PASSWORD, now=now, totp_secret=secret,
                                  phone=_demo_phone(username), prehashed=_demo_hash())
        out.append(DemoAccount(username, DEMO_PASSWORD, role, user.display_name, totp_secret_of(user), created))
    return out


def is_demo_username(username: str) -> bool:
    return username in {s[0] for s in DEMO_SPECS}
