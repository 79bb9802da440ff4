"""Idempotency fingerprints and key rules (the stored-answer behaviour is tested through the API)."""

import pytest

from shoudai.bankapi.idempotency import IdempotencyRefused, check_key, fingerprint


def test_the_fingerprint_covers_method_path_and_exact_body():
    base = fingerprint("POST", "/api/v1/claims", b'{"entity_key":"A"}')
    assert base == fingerprint("post", "/api/v1/claims", b'{"entity_key":"A"}')
    assert base != fingerprint("POST", "/api/v1/claims/bulk", b'{"entity_key":"A"}')
    assert base != fingerprint("POST", "/api/v1/claims", b'{"entity_key":"B"}')
    assert base != fingerprint("PUT", "/api/v1/claims", b'{"entity_key":"A"}')


@pytest.mark.parametrize("key,code", [(None, "idempotency_key_missing"), ("  ", "idempotency_key_missing"),
                                      ("short", "idempotency_key_invalid"), ("x" * 101, "idempotency_key_invalid"),
                                      ("幂等键幂等键幂等键", "idempotency_key_invalid"),
                                      ("tab\there-123", "idempotency_key_invalid")])
def test_bad_keys_are_refused(key, code):
    with pytest.raises(IdempotencyRefused) as err:
        check_key(key)
    assert err.value.code == code


def test_a_good_key_is_trimmed():
    assert check_key("  a1b2c3d4-0001 ") == "a1b2c3d4-0001"
