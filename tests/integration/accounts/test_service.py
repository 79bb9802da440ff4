"""Account administration on a real database: encryption at rest, blind index, scope rules, audit rows."""

import pytest
from sqlalchemy import select, text

from shoudai.accounts import roles, sessions
from shoudai.accounts.models import User
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import (
    AccountError,
    find_by_phone,
    list_users,
    phone_of,
    reset_password,
    reset_totp,
    set_disabled,
    totp_secret_of,
    update_user,
)
from shoudai.audit.models import AuditEvent
from shoudai.kit.crypto import blind_index

from .conftest import ADMIN, T0


def test_create_encrypts_phone_and_totp_secret(session, make_user):
    user, secret = make_user(phone="+86 138-0373-1234")
    raw = session.execute(text("SELECT phone_enc, phone_bidx, totp_secret_enc FROM app_user WHERE id=:i"),
                          {"i": user.id}).one()
    assert "13803731234" not in raw.phone_enc and raw.phone_enc.startswith("v1:")
    assert raw.phone_bidx == blind_index("13803731234")
    assert secret and secret not in raw.totp_secret_enc
    assert phone_of(user) == "13803731234" and totp_secret_of(user) == secret
    assert find_by_phone(session, "13803731234").id == user.id
    assert find_by_phone(session, "13803739999") is None


def test_staff_get_totp_enterprise_does_not(session, make_user):
    _, staff_secret = make_user("staff1", roles.BANK_HQ, ScopeSpec(bank_code="ICBC"))
    _, ent_secret = make_user("ent1", roles.ENTERPRISE, ScopeSpec(enterprise_uscc="91410702MA44DE7M01"))
    assert staff_secret and ent_secret is None


def test_create_is_audited_without_secrets(session, make_user):
    user, _ = make_user(phone="13803731234")
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert ev.object_id == str(user.id) and ev.actor == ADMIN.username and ev.source == "10.0.0.1"
    assert "13803731234" not in ev.detail and "Xinxiang" not in ev.detail
    assert '"counties":"410702"' in ev.detail


def test_refusals(session, make_user):
    make_user("dup")
    with pytest.raises(AccountError, match="已存在"):
        make_user("DUP")
    with pytest.raises(AccountError, match="至少10位"):
        make_user("weak", password="Ab1!")
    with pytest.raises(AccountError, match="县区"):
        make_user("nocounty", scope=ScopeSpec())
    with pytest.raises(AccountError, match="用户名"):
        make_user("有中文")
    assert session.scalar(select(User).where(User.username == "weak")) is None


def test_update_scope_and_role(session, make_user):
    user, _ = make_user()
    update_user(session, user.id, actor=ADMIN, display_name="李四", role=roles.COUNTY_OFFICER,
                scope=ScopeSpec(county_codes=("410703", "410702")), phone=None, now=T0)
    assert user.scope.county_codes == ("410702", "410703") and user.display_name == "李四"
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.update")).one()
    assert '"before"' in ev.detail and "410703" in ev.detail


def test_disable_ends_all_sessions_at_once(session, make_user):
    user, _ = make_user()
    tokens = [sessions.start(session, user, stage=sessions.STAGE_FULL, now=T0)[0] for _ in range(3)]
    assert all(sessions.resolve(session, t, now=T0) for t in tokens)
    set_disabled(session, user.id, actor=ADMIN, disabled=True, now=T0)
    assert all(sessions.resolve(session, t, now=T0) is None for t in tokens)
    assert sessions.open_sessions(session, user.id) == []
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.disable")).one()
    assert '"sessions_ended":3' in ev.detail
    set_disabled(session, user.id, actor=ADMIN, disabled=False, now=T0)
    assert not user.disabled and all(sessions.resolve(session, t, now=T0) is None for t in tokens)


def test_admin_cannot_disable_self(session, make_user):
    user, _ = make_user("boss", roles.CITY_ADMIN, ScopeSpec())
    me = ADMIN.__class__(user.username, user.role, user_id=user.id)
    with pytest.raises(AccountError):
        set_disabled(session, user.id, actor=me, disabled=True, now=T0)


def test_reset_password_and_totp_end_sessions(session, make_user):
    user, secret = make_user()
    token, _ = sessions.start(session, user, stage=sessions.STAGE_FULL, now=T0)
    reset_password(session, user.id, actor=ADMIN, new_password="Another-Pass-9", now=T0)
    assert sessions.resolve(session, token, now=T0) is None
    token, _ = sessions.start(session, user, stage=sessions.STAGE_FULL, now=T0)
    _, new_secret = reset_totp(session, user.id, actor=ADMIN, now=T0)
    assert new_secret != secret and totp_secret_of(user) == new_secret
    assert sessions.resolve(session, token, now=T0) is None


def test_list_users_filters_and_pages(session, make_user):
    for i in range(7):
        make_user(f"user{i}", display_name=f"用户{i}")
    make_user("bank1", roles.BANK_HQ, ScopeSpec(bank_code="ICBC"))
    rows, total = list_users(session, role=roles.COUNTY_OFFICER, limit=5)
    assert total == 7 and len(rows) == 5
    rows, total = list_users(session, q="icbc")
    assert [u.username for u in rows] == ["bank1"]
