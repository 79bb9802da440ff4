"""Field encryption (AES-256-GCM with a key id, so keys can rotate) and the blind index for exact look-ups (X2)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shoudai.config import Settings, get_settings

# Stored form: "v1:<kid>:<base64url(nonce || ciphertext+tag)>". The kid is derived from the key itself, so
# a stored value names the key that can open it and old keys can stay on the key ring while data is re-encrypted.
FORMAT = "v1"
NONCE_BYTES = 12


class CryptoError(ValueError):
    """A value cannot be decrypted: unknown key id, tampered data, or not a token at all."""


def key_id(key: bytes) -> str:
    """A short public name for a key (first 8 hex digits of its SHA-256)."""
    return hashlib.sha256(b"shoudai-field-key|" + key).hexdigest()[:8]


def _decode_key(b64: str) -> bytes:
    try:
        key = base64.b64decode(b64.strip(), validate=True)
    except binascii.Error as exc:
        raise CryptoError("field key is not valid base64") from exc
    if len(key) < 32:
        raise CryptoError(f"field key must be at least 32 bytes, got {len(key)}")
    # The shipped demo key decodes to 35 bytes; longer keys are condensed rather than refused.
    return key if len(key) == 32 else hashlib.sha256(b"shoudai-field-key-derive|" + key).digest()


@dataclass(frozen=True)
class FieldCipher:
    """Encrypts with the current key; decrypts with any key on the ring."""

    current: bytes
    retired: tuple[bytes, ...] = ()

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> FieldCipher:
        """The cipher for the configured key; `field_keys_retired` (comma-separated base64), if set, stays readable."""
        settings = settings or get_settings()
        retired_raw = getattr(settings, "field_keys_retired", "") or ""
        retired = tuple(_decode_key(k) for k in retired_raw.split(",") if k.strip())
        return cls(_decode_key(settings.field_key), retired)

    @property
    def current_kid(self) -> str:
        return key_id(self.current)

    def _ring(self) -> dict[str, bytes]:
        ring = {key_id(k): k for k in self.retired}
        ring[key_id(self.current)] = self.current
        return ring

    def encrypt(self, plaintext: str, context: str = "") -> str:
        """Encrypt `plaintext`; `context` (e.g. "user.phone") is bound as associated data, so values cannot be swapped."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = AESGCM(self.current).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
        body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii")
        return f"{FORMAT}:{self.current_kid}:{body}"

    def decrypt(self, token: str, context: str = "") -> str:
        """The plaintext of a value made by `encrypt` with the same context."""
        try:
            fmt, kid, body = token.split(":", 2)
        except ValueError as exc:
            raise CryptoError("not an encrypted field value") from exc
        if fmt != FORMAT:
            raise CryptoError(f"unknown format {fmt!r}")
        key = self._ring().get(kid)
        if key is None:
            raise CryptoError(f"no key with id {kid} on the key ring")
        try:
            raw = base64.urlsafe_b64decode(body.encode("ascii"))
            return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], context.encode("utf-8")).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError) as exc:
            raise CryptoError("value was tampered with or belongs to another field") from exc

    def needs_reencrypt(self, token: str) -> bool:
        """True if `token` was made with a retired key (re-encrypt it during rotation)."""
        parts = token.split(":", 2)
        return len(parts) != 3 or parts[1] != self.current_kid


def encrypt_field(plaintext: str, context: str = "", settings: Settings | None = None) -> str:
    """Encrypt one value with the configured key."""
    return FieldCipher.from_settings(settings).encrypt(plaintext, context)


def decrypt_field(token: str, context: str = "", settings: Settings | None = None) -> str:
    """Decrypt one value with the configured key ring."""
    return FieldCipher.from_settings(settings).decrypt(token, context)


def blind_index(value: str, settings: Settings | None = None) -> str:
    """Keyed SHA-256 for exact look-up of an encrypted value.

    Deliberately sha256(key + "|" + value) and not HMAC: the list build computes the same in SQL with DuckDB's
    sha256(), which has no HMAC. Normalise `value` (e.g. strip, upper-case) before calling, identically on both sides.
    """
    settings = settings or get_settings()
    return hashlib.sha256((settings.blind_index_key + "|" + value).encode()).hexdigest()
