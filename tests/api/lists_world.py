"""The lists pages' test world: the sample version and the users beyond the demo accounts."""

from __future__ import annotations

from shoudai.accounts import roles
from shoudai.accounts.demo import DEMO_PASSWORD, _demo_hash, demo_totp_secret
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import create_user
from shoudai.audit.actor import Actor
from shoudai.db import session_scope
from shoudai.outreach import sample

# Users beyond the demo accounts: another county, another bank, and a second branch of the demo bank.
EXTRA = (
    ("county410703", roles.COUNTY_OFFICER, ScopeSpec(county_codes=("410703",))),
    ("ccbhq", roles.BANK_HQ, ScopeSpec(bank_code="CCB", county_codes=("410703",))),
    ("ccbofficer", roles.LOAN_OFFICER, ScopeSpec(bank_code="CCB", branch_code="CCB-01")),
    ("officer2", roles.LOAN_OFFICER, ScopeSpec(bank_code="ICBC", branch_code="ICBC-HQ-02")),
)


def add_world(app, clock):
    """60 sample entries per county in 2026 and the EXTRA users; returns the app."""
    with session_scope(app.state.engine) as s:
        sample.add_version(s, 2026, 60)
        for name, role, spec in EXTRA:
            create_user(s, actor=Actor.system("test"), username=name, display_name=name, role=role, scope=spec,
                        password=DEMO_PASSWORD, now=clock(), totp_secret=demo_totp_secret(name),
                        prehashed=_demo_hash())
    return app
