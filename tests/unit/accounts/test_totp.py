"""TOTP: codes within one step of drift pass; an old code or a reused step does not."""

from datetime import UTC, datetime, timedelta

import pyotp

from shoudai.accounts.totp import current_code, matching_step, new_secret, provisioning_uri, qr_svg

T0 = datetime(2026, 11, 26, 9, 0, 5, tzinfo=UTC)


def test_current_code_matches_its_step():
    s = new_secret()
    step = matching_step(s, current_code(s, T0), T0, None)
    assert step == pyotp.TOTP(s).timecode(T0)


def test_one_step_drift_allowed_two_not():
    s = new_secret()
    assert matching_step(s, current_code(s, T0 - timedelta(seconds=30)), T0, None) is not None
    assert matching_step(s, current_code(s, T0 + timedelta(seconds=30)), T0, None) is not None
    assert matching_step(s, current_code(s, T0 - timedelta(seconds=90)), T0, None) is None


def test_replay_of_used_step_refused():
    s = new_secret()
    code = current_code(s, T0)
    step = matching_step(s, code, T0, None)
    assert matching_step(s, code, T0, last_step=step) is None
    earlier = current_code(s, T0 - timedelta(seconds=30))
    assert matching_step(s, earlier, T0, last_step=step) is None


def test_malformed_codes_refused():
    s = new_secret()
    for bad in ["", "12345", "abcdef", "1234567", None]:
        assert matching_step(s, bad, T0, None) is None


def test_enrolment_uri_and_qr():
    s = new_secret()
    uri = provisioning_uri(s, "county410702")
    assert uri.startswith("otpauth://totp/") and f"secret={s}" in uri and "county410702" in uri
    assert qr_svg(s, "county410702").lstrip().startswith("<svg")
