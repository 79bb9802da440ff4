"""Passwords: a complexity rule and argon2id hashing at a cost chosen on purpose."""

from __future__ import annotations

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 10
MAX_LENGTH = 128

# argon2id, t=3, m=64 MiB, p=2: RFC 9106's second recommended setting (t=3, 64 MiB) with parallelism matched to
# our 2-core servers. About 100 ms per verify here: slow for an offline guesser (64 MiB per guess defeats GPUs),
# cheap for a person, and logins are rate-limited by the lockout anyway. Stronger than OWASP's minimum (19 MiB, t=2).
HASHER = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=2, hash_len=32, salt_len=16, type=Type.ID)
# Verified when the username is unknown, so a wrong name costs as much time as a wrong password.
_DUMMY_HASH = HASHER.hash("not-a-real-password-Aa1!")


def complexity_errors(password: str, username: str = "") -> list[str]:
    """Why `password` is not acceptable (empty list: it is). ≥10 chars and 3 of 4 classes (lower, upper, digit, other)."""
    errors = []
    if len(password) < MIN_LENGTH:
        errors.append(f"密码至少{MIN_LENGTH}位")
    if len(password) > MAX_LENGTH:
        errors.append(f"密码最多{MAX_LENGTH}位")
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    if classes < 3:
        errors.append("密码须包含大写字母、小写字母、数字、符号中的至少三类")
    if username and username.lower() in password.lower():
        errors.append("密码不得包含用户名")
    return errors


def hash_password(password: str, hasher: PasswordHasher = HASHER) -> str:
    """The argon2id hash of `password` (salted)."""
    return hasher.hash(password)


def verify_password(stored_hash: str | None, password: str, hasher: PasswordHasher = HASHER) -> bool:
    """True if `password` matches; an unknown user (None) still costs one full verify."""
    try:
        return hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str, hasher: PasswordHasher = HASHER) -> bool:
    """True when the hash was made with other parameters (rehash it at the next successful login)."""
    return hasher.check_needs_rehash(stored_hash)
