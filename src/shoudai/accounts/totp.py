"""TOTP second factor (RFC 6238, 30 s, 6 digits) with one step of clock drift and no code reuse."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

ISSUER = "首贷通"
DRIFT_STEPS = 1


def new_secret() -> str:
    """A fresh random base32 secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(secret: str, username: str) -> str:
    """The provisioning URI as an inline SVG QR code."""
    return segno.make(provisioning_uri(secret, username), error="m").svg_inline(scale=4, border=2)


def current_code(secret: str, at: datetime) -> str:
    """The code an authenticator shows at `at`."""
    return pyotp.TOTP(secret).at(at)


def matching_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step `code` belongs to (within ±1 step of `at`), or None; a step at or before `last_step` is refused."""
    code = (code or "").strip().replace(" ", "")
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None
