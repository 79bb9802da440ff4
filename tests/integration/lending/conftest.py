"""Fixtures for the lending services: a channel, valid credit codes, a registry stand-in, a verified need."""

from __future__ import annotations

from datetime import datetime

import pytest
from stdnum.cn import uscc as stdnum_uscc

from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import channels, delivery, identity, service
from shoudai.lending.forms import NeedForm

ACTOR = "test:web"


def sh(y, m, d, hh=10, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def make_uscc(n: int) -> str:
    first17 = f"92410782MA{n:07d}"
    return first17 + stdnum_uscc.calc_check_digit(first17)


class FakeRegistry:
    """A registry source keyed by credit code (what the newest list version would answer)."""

    def __init__(self):
        self.records: dict[str, identity.RegistryRecord] = {}

    def add(self, uscc, name, rep_masked="王*", county="410782"):
        self.records[uscc] = identity.RegistryRecord(uscc, name, county, "individual", "个体工商户", rep_masked)

    def __call__(self, session, uscc):
        return self.records.get(uscc)


@pytest.fixture
def registry() -> FakeRegistry:
    return FakeRegistry()


@pytest.fixture
def channel(session):
    return channels.create_channel(session, code="hx-tax", name="辉县市税务局办税服务厅", kind="tax_hall",
                                   county_code="410782", actor=ACTOR, now=sh(2025, 1, 1))


class Kit:
    """Helpers the lending tests share (a fixture, since test modules cannot import conftest)."""

    ACTOR = ACTOR
    sh = staticmethod(sh)
    make_uscc = staticmethod(make_uscc)

    def __init__(self, session, channel, registry):
        self.session, self.channel, self.registry = session, channel, registry

    def form(self, n=1, **over) -> NeedForm:
        values = {"uscc": make_uscc(n), "name": f"辉县市测试商行{n}", "amount_wan": "50", "term_months": "12",
                      "purpose": "进货周转", "guarantee": "credit", "contact_name": "王小明", "contact_phone": "13800138000",
                      "banks": ("HXRCB", "PSBC"), "consent": True}
        values.update(over)
        return NeedForm(**values)

    def submit(self, n=1, *, at, key=None, **over):
        f = self.form(n, **over)
        self.registry.add(f.uscc, f.name)
        return service.submit_need(self.session, f, channel=self.channel, idempotency_key=key or f"key-{n}-{int(at.timestamp())}",
                                   actor=ACTOR, now=at, registry=self.registry)

    def verify(self, need, *, at, code="246810", entered=None, cal=None, legal_rep="王小明"):
        """Send a one-time code, enter `entered` (default: the right one), push on success."""
        ch = identity.issue_otp(self.session, "13800138000", uscc=need.uscc, actor=ACTOR, now=at,
                                code_source=lambda: code)
        claim = identity.IdentityClaim(need.uscc, need.name, legal_rep, "13800138000", ch.id, entered or code)
        return service.verify_and_push(self.session, need, claim, verifier=identity.OtpRegistryVerifier(self.registry),
                                       actor=ACTOR, now=at, cal=cal)

    def pushed_need(self, n=1, *, at, cal=None, **over):
        need = self.submit(n, at=at, **over).need
        result = self.verify(need, at=at, cal=cal)
        assert result.verification.ok, result.verification
        return need


@pytest.fixture
def kit(session, channel, registry) -> Kit:
    # HXRCB and PSBC take webhooks; the other banks work from the workbench and the pull API only.
    for bank in ("HXRCB", "PSBC"):
        delivery.set_bank_endpoint(session, bank, f"https://{bank.lower()}.example.cn/hook", "secret-" + bank * 4,
                                   actor="admin", now=sh(2025, 1, 1))
    return Kit(session, channel, registry)
