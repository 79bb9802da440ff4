"""The city admin's key page: issue shows the secret once and it signs calls; revoke stops them; others get 403."""

from __future__ import annotations

import re

from shoudai.bankapi.client import BankApiClient

from .conftest import page_token, signed_in_fresh_step


def test_admin_issues_a_key_that_works_then_revokes_it(app, client, clock):
    admin = signed_in_fresh_step(app, clock, "admin")
    assert "尚无密钥" in admin.get("/admin/bank-api-keys").text
    token = page_token(admin, "/admin/bank-api-keys")
    r = admin.post("/admin/bank-api-keys", data={"bank_code": "ICBC", "label": "信贷系统", "county_codes": ["410702"],
                                                  "csrf_token": token})
    assert r.status_code == 200
    key_id = re.search(r"<code>(bk_[0-9a-f]{16})</code>", r.text).group(1)
    secret = re.search(r'data-testid="secret">([^<]+)<', r.text).group(1)
    api = BankApiClient(client, key_id, secret, clock)
    assert api.get("/api/v1/needs").status_code == 200

    listing = admin.get("/admin/bank-api-keys").text
    assert key_id in listing and "红旗区" in listing and secret not in listing  # never shown again
    r = admin.post(f"/admin/bank-api-keys/{key_id}/revoke", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert api.get("/api/v1/needs").json()["code"] == "invalid_key"
    assert "已吊销" in admin.get("/admin/bank-api-keys").text


def test_an_unknown_bank_is_refused_and_only_the_city_admin_gets_the_page(app, clock):
    admin = signed_in_fresh_step(app, clock, "admin")
    token = page_token(admin, "/admin/bank-api-keys")
    r = admin.post("/admin/bank-api-keys", data={"bank_code": "NOPE", "csrf_token": token})
    assert r.status_code == 422 and "未知的银行代码" in r.text
    bank = signed_in_fresh_step(app, clock, "bankhq")
    assert bank.get("/admin/bank-api-keys").status_code == 403
    token = page_token(bank, "/")
    assert bank.post("/admin/bank-api-keys", data={"bank_code": "ICBC", "csrf_token": token}).status_code == 403
