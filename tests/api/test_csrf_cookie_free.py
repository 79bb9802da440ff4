"""CSRF is skipped only for requests no cookie authenticates: the public need API and key-signed bank calls."""

from .conftest import login


def test_a_session_cookie_with_an_api_key_header_still_needs_the_csrf_token(client, clock):
    assert login(client, "bankhq", clock).status_code == 303
    # Cookie-authenticated route, no token: refused whether or not an X-Api-Key header rides along.
    for headers in ({}, {"X-Api-Key": "bk_anything"}):
        r = client.post("/api/v1/first-loans", json={}, headers={**headers, "Idempotency-Key": "k-12345678"})
        assert r.status_code == 403 and r.json() == {"detail": "csrf"}, headers


def test_key_signed_and_public_calls_are_not_asked_for_a_token(client):
    # No cookie at all: the bank API answers for the key (401: unknown key), never "csrf".
    r = client.post("/api/v1/needs/1/answer", json={"conditions": []},
                    headers={"X-Api-Key": "bk_unknown", "X-Timestamp": "0", "X-Signature": "00",
                             "Idempotency-Key": "k-12345678"})
    assert r.status_code == 401
    r = client.post("/api/v1/public/needs", json={})
    assert r.status_code != 403
