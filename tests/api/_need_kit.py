"""Helpers for the need form and status page tests: a channel, registry entries, the form and code steps as a browser
would take them (codes are read from the SMS the outbox holds, as the demo gateway would print it)."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from stdnum.cn import uscc as stdnum_uscc

from shoudai.db import session_scope
from shoudai.lending import channels
from shoudai.outbox.models import OutboxMessage
from shoudai.outreach import sample
from shoudai.registry.models import ListEntry

CHANNEL = "hx-tax"
PHONE = "13800138000"
TOKEN_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY_RE = re.compile(r'name="idempotency_key" value="([^"]+)"')
OTP_ID_RE = re.compile(r'name="otp_id" value="([^"]+)"')
REF_RE = re.compile(r'data-testid="ref">(XQ[0-9A-Z]+)<')


def make_uscc(n: int) -> str:
    first17 = f"92410782MA{n:07d}"
    return first17 + stdnum_uscc.calc_check_digit(first17)


def biz_name(n: int) -> str:
    return f"辉县市测试商行{n}"


def seed(app, clock, businesses=(1, 2)) -> None:
    """The channel the QR code names and registry entries (on a list version) for the given businesses."""
    with session_scope(app.state.engine) as s:
        channels.create_channel(s, code=CHANNEL, name="辉县市税务局办税服务厅", kind="tax_hall", county_code="410782",
                                actor="test:seed", now=clock())
        version = sample.add_version(s, 2026, len(businesses), counties=("410782",))
        entries = s.scalars(select(ListEntry).where(ListEntry.version_id == version.id).order_by(ListEntry.id)).all()
        for n, entry in zip(businesses, entries, strict=True):
            # A business with a credit code has it as its key, as every build writes it (migration 0013).
            entry.entity_key = entry.uscc = make_uscc(n)
            entry.name, entry.legal_rep_masked = biz_name(n), "王*"
            entry.entity_kind, entry.registry_type = "individual", "个体工商户"


def form_data(n: int = 1, **over) -> dict:
    data = {"uscc": make_uscc(n), "name": biz_name(n), "amount_wan": "50", "term_months": "12", "purpose": "进货周转",
            "guarantee": "credit", "kind": "first_loan", "banks": ["HXRCB", "PSBC"], "contact_name": "王小明",
            "contact_phone": PHONE, "consent": "1"}
    data.update(over)
    return data


def open_form(client: TestClient) -> tuple[str, str]:
    """(csrf token, idempotency key) of a freshly opened form."""
    page = client.get(f"/q/{CHANNEL}").text
    return TOKEN_RE.search(page).group(1), KEY_RE.search(page).group(1)


def last_code(app) -> str:
    """The newest one-time code texted (what the demo SMS gateway would write to sms.log)."""
    with session_scope(app.state.engine) as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "sms.otp")
                        .order_by(OutboxMessage.id.desc()).limit(1)).one()
        return re.search(r"验证码为 (\d{6})", json.loads(row.payload)["text"]).group(1)


def submit(client: TestClient, n: int = 1, **over):
    """Open the form and post it once; returns (response, csrf token, idempotency key)."""
    token, key = open_form(client)
    r = client.post(f"/q/{CHANNEL}", data={**form_data(n, **over), "csrf_token": token, "idempotency_key": key})
    return r, token, key


def send_code(client: TestClient, token: str, ref: str):
    return client.post(f"/q/{CHANNEL}/otp", data={"csrf_token": token, "ref": ref})


def verify(client: TestClient, token: str, ref: str, otp_id: str, code: str, legal_rep: str = "王小明"):
    return client.post(f"/q/{CHANNEL}/verify", data={"csrf_token": token, "ref": ref, "otp_id": otp_id,
                                                     "otp_code": code, "legal_rep": legal_rep})


def pushed_need(app, client: TestClient, clock, n: int = 1, **over) -> str:
    """A need through the form and the code step, pushed to its banks; returns its reference."""
    r, token, _ = submit(client, n, **over)
    assert r.status_code == 200, r.text
    ref = REF_RE.search(r.text).group(1)
    r = send_code(client, token, ref)
    r = verify(client, token, ref, OTP_ID_RE.search(r.text).group(1), last_code(app))
    assert r.status_code == 200 and 'data-testid="done"' in r.text, r.text
    clock.advance(seconds=61)  # past the one-code-a-minute limit for the next code to this phone
    return ref


def status_login(app, client: TestClient, uscc: str, phone: str = PHONE):
    """Sign a business in on /status with its code and phone; returns the login response."""
    token = TOKEN_RE.search(client.get("/status").text).group(1)
    r = client.post("/status/code", data={"csrf_token": token, "uscc": uscc, "phone": phone})
    otp_id = OTP_ID_RE.search(r.text).group(1)
    return client.post("/status/login", data={"csrf_token": token, "uscc": uscc, "phone": phone, "otp_id": otp_id,
                                              "otp_code": last_code(app)}, follow_redirects=False)
