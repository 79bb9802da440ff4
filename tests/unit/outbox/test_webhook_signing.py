"""Webhook signatures as a bank's receiver checks them."""

import hashlib
import hmac

from shoudai.outbox.webhook import sign, verify


def test_signature_is_hmac_sha256_over_timestamp_dot_body():
    body = '{"need_ref":"XQ1","名称":"商行"}'.encode()
    expected = hmac.new(b"s3cret", b"1760000000." + body, hashlib.sha256).hexdigest()
    assert sign("s3cret", "1760000000", body) == expected


def test_verify_refuses_tampering_other_secrets_and_stale_timestamps():
    body = b'{"a":1}'
    sig = sign("k", "1000", body)
    assert verify("k", "1000", body, sig, now_epoch=1100)
    assert not verify("k", "1000", b'{"a":2}', sig, now_epoch=1100)
    assert not verify("other", "1000", body, sig, now_epoch=1100)
    assert not verify("k", "1000", body, sig, now_epoch=1000 + 301)
    assert not verify("k", "not-a-number", body, sig, now_epoch=1000)
