"""On verification the enterprise's account exists (Q4), once per business, with no password that could work."""

from __future__ import annotations

from sqlalchemy import func, select

from shoudai.accounts import roles
from shoudai.accounts.auth import Outcome, login_password
from shoudai.accounts.enterprise import NO_PASSWORD
from shoudai.accounts.models import User
from shoudai.accounts.service import phone_of
from shoudai.audit.models import AuditEvent


def _accounts(session, uscc):
    return session.scalar(select(func.count()).select_from(User).where(User.enterprise_uscc == uscc))


def test_verification_creates_the_enterprise_account_once(session, kit):
    at = kit.sh(2026, 3, 2, 10)
    need = kit.submit(1, at=at).need
    assert _accounts(session, need.uscc) == 0  # a submitted, unverified need gives no account

    failed = kit.verify(need, at=at, entered="000000")
    assert not failed.verification.ok and _accounts(session, need.uscc) == 0

    assert kit.verify(need, at=kit.sh(2026, 3, 2, 10, 5)).verification.ok
    user = session.scalar(select(User).where(User.enterprise_uscc == need.uscc))
    assert user.role == roles.ENTERPRISE and user.display_name == need.name
    assert phone_of(user) == "13800138000"
    assert user.scope.allows_enterprise(need.uscc) and not user.scope.allows_enterprise(kit.make_uscc(2))
    created = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "account.enterprise_created")))
    assert [(e.object_id, e.actor) for e in created] == [(str(user.id), kit.ACTOR)]

    # Another need from the same business a month later: the same account.
    later = kit.sh(2026, 4, 10, 10)
    again = kit.submit(1, at=later, key="second-need-key").need
    assert kit.verify(again, at=later).verification.ok
    assert _accounts(session, need.uscc) == 1
    assert session.scalar(select(func.count()).select_from(AuditEvent)
                          .where(AuditEvent.action == "account.enterprise_created")) == 1


def test_the_account_cannot_sign_in_with_any_password(session, kit):
    at = kit.sh(2026, 3, 2, 10)
    need = kit.pushed_need(3, at=at)
    user = session.scalar(select(User).where(User.enterprise_uscc == need.uscc))
    assert user.password_hash == NO_PASSWORD
    for guess in ("", NO_PASSWORD, "Shoudai@2026demo"):
        assert login_password(session, user.username, guess, now=at, source="127.0.0.1").outcome == Outcome.BAD
