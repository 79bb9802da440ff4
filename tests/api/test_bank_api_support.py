"""Set-up shared by the bank API tests (no tests here): keys, signed clients, needs pushed to banks, a list."""

from __future__ import annotations

from stdnum.cn import uscc as stdnum_uscc

from shoudai.bankapi import keys
from shoudai.bankapi.client import BankApiClient
from shoudai.db import session_scope
from shoudai.lending import channels, identity, service
from shoudai.lending.forms import NeedForm


def make_uscc(n: int) -> str:
    first17 = f"92410702MA{n:07d}"
    return first17 + stdnum_uscc.calc_check_digit(first17)


def bank_client(app, client, clock, bank: str, counties: str = "") -> BankApiClient:
    """A signed client for a new key of `bank`."""
    with session_scope(app.state.engine) as s:
        k = keys.issue_key(s, bank, label="测试", counties=counties, actor="test", now=clock())
    return BankApiClient(client, k.key_id, k.secret, clock)


def push_need(app, clock, n: int = 1, banks: tuple[str, ...] = ("ICBC", "CCB")) -> dict[str, int]:
    """A verified need pushed to `banks` now; returns bank code → track id."""
    with session_scope(app.state.engine) as s:
        ch = channels.create_channel(s, code=f"api-test-{n}", name="测试渠道", kind="tax_hall", county_code="410702",
                                     actor="test", now=clock())
        form = NeedForm(uscc=make_uscc(n), name=f"红旗区测试商行{n}", amount_wan="50", term_months="12",
                        purpose="进货周转", guarantee="credit", contact_name="王小明", contact_phone="13800138000",
                        banks=banks, consent=True)
        need = service.submit_need(s, form, channel=ch, idempotency_key=f"api-test-need-{n}", actor="test",
                                   now=clock(), registry=lambda _s, _u: None).need
        # Verification has its own tests; here the need only has to reach the banks.
        need.identity_level = identity.PHONE
        service.push(s, need, actor="test", now=clock())
        return {t.bank_code: t.id for t in service.tracks_of(s, need)}


def add_list(app, year: int = 2026, per_county: int = 20) -> None:
    """A sample list version: entries S410702000000… and S410703000000…, tiers A/B/C in turn."""
    from shoudai.outreach import sample

    with session_scope(app.state.engine) as s:
        sample.add_version(s, year, per_county)


def user_id(app, username: str) -> int:
    from shoudai.accounts.service import get_by_username

    with session_scope(app.state.engine) as s:
        return get_by_username(s, username).id
