"""Bank API authentication over the app: signed by a live key or 401, never by a cookie; replays refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from shoudai.bankapi import keys, signing
from shoudai.bankapi.client import BankApiClient
from shoudai.bankapi.models import BankApiKey
from shoudai.db import session_scope

from .conftest import signed_in_fresh_step


def issue(app, clock, bank="ICBC"):
    with session_scope(app.state.engine) as s:
        return keys.issue_key(s, bank, label="测试", actor="test", now=clock())


@pytest.fixture
def icbc(app, client, clock):
    k = issue(app, clock)
    return k, BankApiClient(client, k.key_id, k.secret, clock)


def raw(client, method, target, headers, body=b""):
    return client.request(method, target, content=body, headers={**headers, "Content-Type": "application/json"})


def test_a_signed_call_is_answered_and_marks_the_key_used(app, icbc, clock):
    k, api = icbc
    r = api.get("/api/v1/needs")
    assert r.status_code == 200, r.text
    assert r.json() == {"items": [], "next_cursor": None, "has_more": False}
    with session_scope(app.state.engine) as s:
        row = s.scalar(select(BankApiKey).where(BankApiKey.key_id == k.key_id))
        assert row.last_used_at is not None
        assert row.secret_enc != k.secret and k.secret not in row.secret_enc  # encrypted at rest


@pytest.mark.parametrize("drop", ["X-Api-Key", "X-Timestamp", "X-Signature"])
def test_a_missing_signature_header_is_401(client, icbc, clock, drop):
    k, _ = icbc
    h = signing.signed_headers(k.key_id, k.secret, "GET", "/api/v1/needs", now=clock())
    del h[drop]
    r = raw(client, "GET", "/api/v1/needs", h)
    assert r.status_code == 401
    assert r.json()["code"] == "unauthenticated" and "X-Api-Key" in r.json()["message"]


def test_a_wrong_signature_is_401(client, icbc, clock):
    k, _ = icbc
    h = signing.signed_headers(k.key_id, "not-the-secret", "GET", "/api/v1/needs", now=clock())
    r = raw(client, "GET", "/api/v1/needs", h)
    assert (r.status_code, r.json()["code"]) == (401, "bad_signature")
    # Signed for another path, or the body changed after signing.
    h = signing.signed_headers(k.key_id, k.secret, "GET", "/api/v1/needs?limit=5", now=clock())
    assert raw(client, "GET", "/api/v1/needs?limit=6", h).json()["code"] == "bad_signature"
    h = signing.signed_headers(k.key_id, k.secret, "POST", "/api/v1/needs/1/accept", b"{}", now=clock())
    h["Idempotency-Key"] = "k-12345678"
    assert raw(client, "POST", "/api/v1/needs/1/accept", h, b'{"x":1}').json()["code"] == "bad_signature"


@pytest.mark.parametrize("skew", [timedelta(minutes=-6), timedelta(minutes=6)])
def test_a_timestamp_more_than_five_minutes_off_is_401(client, icbc, clock, skew):
    k, _ = icbc
    h = signing.signed_headers(k.key_id, k.secret, "GET", "/api/v1/needs", now=clock() + skew)
    r = raw(client, "GET", "/api/v1/needs", h)
    assert (r.status_code, r.json()["code"]) == (401, "stale_timestamp")


def test_four_minutes_off_is_still_accepted(client, icbc, clock):
    k, _ = icbc
    h = signing.signed_headers(k.key_id, k.secret, "GET", "/api/v1/needs", now=clock() - timedelta(minutes=4))
    assert raw(client, "GET", "/api/v1/needs", h).status_code == 200


def test_the_same_signed_request_twice_is_a_replay(client, icbc, clock):
    k, _ = icbc
    h = signing.signed_headers(k.key_id, k.secret, "GET", "/api/v1/needs", now=clock())
    assert raw(client, "GET", "/api/v1/needs", h).status_code == 200
    r = raw(client, "GET", "/api/v1/needs", h)
    assert (r.status_code, r.json()["code"]) == (401, "replayed")
    # A refused request also uses up its signature: it cannot be replayed later when it would succeed.
    w = signing.signed_headers(k.key_id, k.secret, "POST", "/api/v1/needs/999/accept", b"{}", now=clock())
    w["Idempotency-Key"] = "accept-999-1"
    assert raw(client, "POST", "/api/v1/needs/999/accept", w, b"{}").status_code == 404
    assert raw(client, "POST", "/api/v1/needs/999/accept", w, b"{}").json()["code"] == "replayed"


def test_a_revoked_or_unknown_key_is_401(app, client, icbc, clock):
    k, api = icbc
    assert api.get("/api/v1/needs").status_code == 200
    with session_scope(app.state.engine) as s:
        keys.revoke_key(s, k.key_id, actor="test", now=clock())
    r = api.get("/api/v1/needs")
    assert (r.status_code, r.json()["code"]) == (401, "invalid_key")
    h = signing.signed_headers("bk_0000000000000000", k.secret, "GET", "/api/v1/needs", now=clock())
    assert raw(client, "GET", "/api/v1/needs", h).json()["code"] == "invalid_key"


def test_a_second_key_of_the_bank_keeps_working_after_the_first_is_revoked(app, client, clock):
    first, second = issue(app, clock), issue(app, clock)
    with session_scope(app.state.engine) as s:
        keys.revoke_key(s, first.key_id, actor="test", now=clock())
    assert BankApiClient(client, second.key_id, second.secret, clock).get("/api/v1/needs").status_code == 200


def test_a_bank_user_session_cookie_does_not_authenticate_the_bank_api(app, clock):
    c = signed_in_fresh_step(app, clock, "bankhq")  # a real, signed-in ICBC HQ session
    assert c.get("/api/v1/needs").status_code == 401
    r = c.post("/api/v1/needs/1/accept", json={}, headers={"Idempotency-Key": "cookie-try-1"})
    assert (r.status_code, r.json()["code"]) == (401, "unauthenticated")
    # With a bogus key header the CSRF check is skipped, and the key alone decides.
    r = c.post("/api/v1/needs/1/accept", json={}, headers={"X-Api-Key": "bk_x", "Idempotency-Key": "cookie-try-2"})
    assert r.status_code == 401


def test_an_oversized_body_is_refused_before_it_is_read_whole(client, icbc):
    _, api = icbc
    r = api.post("/api/v1/claims/assign", json={"claim_ids": list(range(1, 60_000)), "officer_id": 1})
    assert r.status_code == 413


def test_a_key_over_its_rate_gets_429_with_retry_after(client, icbc, clock, monkeypatch):
    from shoudai.bankapi import auth
    from shoudai.lending.ratelimit import Limit

    monkeypatch.setattr(auth, "RATE", Limit(3, timedelta(minutes=1)))
    _, api = icbc
    assert [api.get("/api/v1/needs").status_code for _ in range(3)] == [200, 200, 200]
    r = api.get("/api/v1/needs")
    assert (r.status_code, r.json()["code"]) == (429, "rate_limited") and int(r.headers["Retry-After"]) >= 1
    clock.advance(minutes=1)
    assert api.get("/api/v1/needs").status_code == 200  # a new window
