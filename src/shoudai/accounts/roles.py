"""The six roles of REQUIREMENTS "Who uses it", their labels and what scope each needs."""

from __future__ import annotations

CITY_ADMIN = "city_admin"
COUNTY_OFFICER = "county_officer"
BANK_HQ = "bank_hq"
LOAN_OFFICER = "loan_officer"
CENTRE_CLERK = "centre_clerk"
ENTERPRISE = "enterprise"

ROLES = (CITY_ADMIN, COUNTY_OFFICER, BANK_HQ, LOAN_OFFICER, CENTRE_CLERK, ENTERPRISE)
# GB/T 22239 level 3: two factors for everyone who works inside the platform.
STAFF_ROLES = frozenset({CITY_ADMIN, COUNTY_OFFICER, BANK_HQ, LOAN_OFFICER, CENTRE_CLERK})

LABELS = {
    CITY_ADMIN: ("市级管理员", "City admin"),
    COUNTY_OFFICER: ("县区金融办", "County officer"),
    BANK_HQ: ("银行管理行", "Bank HQ"),
    LOAN_OFFICER: ("客户经理", "Loan officer"),
    CENTRE_CLERK: ("服务中心窗口", "Service-centre clerk"),
    ENTERPRISE: ("企业用户", "Enterprise"),
    # Not assignable: how the audit trail names the platform itself and people not signed in.
    "system": ("系统", "System"),
    "anonymous": ("未登录", "Not signed in"),
}


def label(role: str, lang: str = "zh") -> str:
    """The role's display name in `lang` (zh | en)."""
    zh, en = LABELS.get(role, (role, role))
    return en if lang == "en" else zh


def is_staff(role: str) -> bool:
    """True for roles that must pass the TOTP second factor."""
    return role in STAFF_ROLES
