"""Account administration: create, edit, disable, reset — each audited in the same transaction."""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from shoudai.accounts import lockout, roles, sessions, totp
from shoudai.accounts.models import User
from shoudai.accounts.passwords import complexity_errors, hash_password, verify_password
from shoudai.accounts.scope import ScopeError, ScopeSpec
from shoudai.audit.actor import Actor
from shoudai.audit.service import record
from shoudai.kit.crypto import blind_index, decrypt_field, encrypt_field

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9_.\-]{2,63}$")
PHONE_CTX = "app_user.phone"
TOTP_CTX = "app_user.totp_secret"


class AccountError(ValueError):
    """An account change was refused; `errors` are messages for the admin (Chinese)."""

    def __init__(self, errors: list[str] | str):
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors))


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def normalise_phone(phone: str | None) -> str | None:
    """Digits only, +86 dropped; None for empty. Mainland mobiles have 11 digits."""
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits or None


def _scope_detail(u: User) -> dict:
    return {"role": u.role, "counties": u.county_codes, "bank": u.bank_code, "branch": u.branch_code,
            "uscc": u.enterprise_uscc}


def _apply_scope(user: User, role: str, scope: ScopeSpec) -> None:
    try:
        spec = scope.validated(role)
    except ScopeError as exc:
        raise AccountError(str(exc)) from None
    user.role = role
    user.county_codes = ",".join(spec.county_codes)
    user.bank_code, user.branch_code, user.enterprise_uscc = spec.bank_code, spec.branch_code, spec.enterprise_uscc


def _apply_phone(user: User, phone: str | None) -> None:
    for column, value in phone_columns(phone).items():
        setattr(user, column, value)


def phone_columns(phone: str | None) -> dict[str, str | None]:
    """A user's phone as stored: encrypted, plus its blind index for look-ups."""
    phone = normalise_phone(phone)
    if phone is not None and not (7 <= len(phone) <= 15):
        raise AccountError("手机号格式不正确")
    return {"phone_enc": encrypt_field(phone, PHONE_CTX) if phone else None,
            "phone_bidx": blind_index(phone) if phone else None}


def phone_of(user: User) -> str | None:
    """The user's phone in clear (callers show it masked unless the viewer may see it)."""
    return decrypt_field(user.phone_enc, PHONE_CTX) if user.phone_enc else None


def totp_secret_of(user: User) -> str | None:
    """The user's TOTP secret in clear (for verification and enrolment display only)."""
    return decrypt_field(user.totp_secret_enc, TOTP_CTX) if user.totp_secret_enc else None


def find_by_phone(session: Session, phone: str) -> User | None:
    """Exact look-up through the blind index; the phone itself is never compared in clear."""
    norm = normalise_phone(phone)
    return session.scalar(select(User).where(User.phone_bidx == blind_index(norm))) if norm else None


def get_by_username(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == normalise_username(username)))


def create_user(
    session: Session, *, actor: Actor, username: str, display_name: str, role: str, scope: ScopeSpec,
    password: str, now: datetime, phone: str | None = None, totp_secret: str | None = None,
    prehashed: str | None = None,
) -> tuple[User, str | None]:
    """Create an account; staff get a TOTP secret (returned once, for enrolment). Raises AccountError.

    `prehashed` (the argon2 hash of `password`) lets demo seeding hash a shared password once.
    """
    name = normalise_username(username)
    errors = []
    if not USERNAME_RE.match(name):
        errors.append("用户名须为3-64位小写字母、数字或 _ . -")
    elif get_by_username(session, name) is not None:
        errors.append("用户名已存在")
    if not (display_name or "").strip():
        errors.append("姓名/名称不能为空")
    errors += complexity_errors(password, name)
    try:
        scope.validated(role)
    except ScopeError as exc:
        errors.append(str(exc))
    if errors:
        raise AccountError(errors)
    user = User(username=name, display_name=display_name.strip()[:100], created_at=now, created_by=actor.username,
                updated_at=now, password_changed_at=now, disabled=False)
    _apply_scope(user, role, scope)
    _apply_phone(user, phone)
    user.password_hash = prehashed or hash_password(password)
    secret = totp_secret or (totp.new_secret() if roles.is_staff(role) else None)
    user.totp_secret_enc = encrypt_field(secret, TOTP_CTX) if secret else None
    session.add(user)
    session.flush()
    record(session, actor, "user.create", object_type="user", object_id=user.id, at=now,
           detail={"username": name, **_scope_detail(user), "phone_set": bool(user.phone_enc)})
    return user, secret


def update_user(
    session: Session, user_id: int, *, actor: Actor, display_name: str, role: str, scope: ScopeSpec,
    phone: str | None, now: datetime, keep_phone: bool = False,
) -> User:
    """Change name, role, scope and phone; role/scope changes apply at the user's next request."""
    user = _get(session, user_id)
    before = _scope_detail(user)
    if not (display_name or "").strip():
        raise AccountError("姓名/名称不能为空")
    user.display_name = display_name.strip()[:100]
    _apply_scope(user, role, scope)
    if roles.is_staff(role) and not user.totp_secret_enc:
        user.totp_secret_enc = encrypt_field(totp.new_secret(), TOTP_CTX)
    phone_changed = False
    if not keep_phone:
        old = user.phone_bidx
        _apply_phone(user, phone)
        phone_changed = old != user.phone_bidx
    user.updated_at = now
    session.flush()
    record(session, actor, "user.update", object_type="user", object_id=user.id, at=now,
           detail={"username": user.username, "before": before, "after": _scope_detail(user),
                   "phone_changed": phone_changed})
    return user


def set_disabled(session: Session, user_id: int, *, actor: Actor, disabled: bool, now: datetime) -> User:
    """Disable (ending every session of the user at once) or re-enable an account."""
    user = _get(session, user_id)
    if disabled and actor.user_id == user.id:
        raise AccountError("不能停用自己的账户")
    user.disabled = disabled
    user.disabled_at = now if disabled else None
    user.updated_at = now
    ended = sessions.end_all_for_user(session, user.id, "disabled", now) if disabled else 0
    session.flush()
    record(session, actor, "user.disable" if disabled else "user.enable", object_type="user", object_id=user.id,
           at=now, detail={"username": user.username, "sessions_ended": ended})
    return user


def reset_password(session: Session, user_id: int, *, actor: Actor, new_password: str, now: datetime) -> User:
    """Set a new password (complexity-checked) and end the user's sessions."""
    user = _get(session, user_id)
    errors = complexity_errors(new_password, user.username)
    if errors:
        raise AccountError(errors)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = user.updated_at = now
    ended = sessions.end_all_for_user(session, user.id, "password_reset", now)
    session.flush()
    record(session, actor, "user.reset_password", object_type="user", object_id=user.id, at=now,
           detail={"username": user.username, "sessions_ended": ended})
    return user


def change_own_password(session: Session, user: User, *, current: str, new: str, now: datetime,
                        source: str | None, keep_session: str | None = None) -> None:
    """A user changes its own password: the current one is checked (wrong guesses count towards lockout),
    the new one must meet the rule and differ; the user's other sessions end."""
    actor = Actor(user.username, user.role, user.id, source)
    if lockout.lock_remaining(lockout.load(session, user.username, source), now):
        raise AccountError("尝试次数过多，请稍后再试")
    if not verify_password(user.password_hash, current):
        lockout.register_failure(session, user.username, source, now)
        record(session, actor, "user.change_password", object_type="user", object_id=user.id, outcome="failure",
               at=now, detail={"reason": "current_password"})
        raise AccountError("当前密码不正确")
    errors = complexity_errors(new, user.username)
    if new == current:
        errors.append("新密码不能与当前密码相同")
    if errors:
        raise AccountError(errors)
    user.password_hash = hash_password(new)
    user.password_changed_at = user.updated_at = now
    ended = sessions.end_all_for_user(session, user.id, "password_change", now, keep=keep_session)
    session.flush()
    record(session, actor, "user.change_password", object_type="user", object_id=user.id, at=now,
           detail={"other_sessions_ended": ended})


def reset_totp(session: Session, user_id: int, *, actor: Actor, now: datetime) -> tuple[User, str]:
    """Issue a new TOTP secret (old authenticator stops working) and end the user's sessions."""
    user = _get(session, user_id)
    secret = totp.new_secret()
    user.totp_secret_enc = encrypt_field(secret, TOTP_CTX)
    user.totp_last_step = None
    user.updated_at = now
    ended = sessions.end_all_for_user(session, user.id, "totp_reset", now)
    session.flush()
    record(session, actor, "user.reset_totp", object_type="user", object_id=user.id, at=now,
           detail={"username": user.username, "sessions_ended": ended})
    return user, secret


def list_users(session: Session, *, q: str = "", role: str = "", limit: int = 50,
               offset: int = 0) -> tuple[list[User], int]:
    """One page of accounts (by username), filtered by text and role, and the total."""
    stmt = select(User)
    if q.strip():
        like = f"%{q.strip().lower()}%"
        # lower() on both sides: LIKE is case-sensitive on PostgreSQL, not on SQLite.
        cols = (User.username, User.display_name, User.county_codes, User.bank_code, User.branch_code,
                User.enterprise_uscc)
        stmt = stmt.where(or_(*(func.lower(c).like(like) for c in cols)))
    if role:
        stmt = stmt.where(User.role == role)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(User.username).limit(limit).offset(offset)).all()
    return list(rows), total


def _get(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise AccountError("账户不存在")
    return user
