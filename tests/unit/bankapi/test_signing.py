"""The pure signature functions: what is signed, freshness either way, constant-time comparison inputs."""

import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from shoudai.bankapi import signing

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_signature_is_hmac_over_method_target_timestamp_and_body_hash():
    body = b'{"conditions":[]}'
    msg = "POST\n/api/v1/needs/7/answer?x=1\n1772413200.000\n" + hashlib.sha256(body).hexdigest()
    expected = hmac.new(b"s3cret", msg.encode(), hashlib.sha256).hexdigest()
    assert signing.sign("s3cret", "post", "/api/v1/needs/7/answer?x=1", "1772413200.000", body) == expected


def test_any_change_breaks_the_signature():
    sig = signing.sign("k", "POST", "/a", "1", b"x")
    assert signing.signature_matches("k", sig, "POST", "/a", "1", b"x")
    assert signing.signature_matches("k", sig.upper(), "POST", "/a", "1", b"x")  # hex case does not matter
    for args in (("GET", "/a", "1", b"x"), ("POST", "/b", "1", b"x"), ("POST", "/a", "2", b"x"),
                 ("POST", "/a", "1", b"y")):
        assert not signing.signature_matches("k", sig, *args)
    assert not signing.signature_matches("other", sig, "POST", "/a", "1", b"x")
    assert not signing.signature_matches("k", "签名", "POST", "/a", "1", b"x")


def test_timestamp_must_be_within_five_minutes_either_way():
    ts = NOW.timestamp()
    assert signing.timestamp_fresh(str(int(ts)), NOW)
    assert signing.timestamp_fresh(f"{ts + 299.5:.1f}", NOW)
    assert signing.timestamp_fresh(f"{ts - 300:.0f}", NOW)
    assert not signing.timestamp_fresh(f"{ts - 301:.0f}", NOW)
    assert not signing.timestamp_fresh(f"{ts + 301:.0f}", NOW)
    for bad in ("", "nan", "inf", "-1", "1e9", "2026-03-02T01:00:00Z", None):
        assert not signing.timestamp_fresh(bad, NOW)


def test_signed_headers_carry_milliseconds_so_repeated_calls_differ():
    a = signing.signed_headers("bk_1", "k", "GET", "/api/v1/needs", now=NOW)
    b = signing.signed_headers("bk_1", "k", "GET", "/api/v1/needs", now=NOW + timedelta(milliseconds=1))
    assert a["X-Api-Key"] == "bk_1" and a["X-Timestamp"] == f"{NOW.timestamp():.3f}"
    assert a["X-Signature"] != b["X-Signature"]
