"""Revealing personal data: staff only, purpose required, audited in the same transaction."""

import pytest
from sqlalchemy import select

from shoudai.audit.actor import Actor
from shoudai.audit.models import AuditEvent
from shoudai.audit.pii import RevealRefused, reveal

OFFICER = Actor("li", "county_officer", user_id=7, source="10.0.0.7")


def test_reveal_with_purpose_is_audited(session):
    value = reveal(session, OFFICER, kind="id_number", value="410702199001011234", purpose="核对贷款申请",
                   object_type="person", object_id=42)
    assert value == "410702199001011234"
    ev = session.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal")).one()
    assert ev.actor == "li" and ev.object_id == "42" and "核对贷款申请" in ev.detail
    assert "410702199001011234" not in ev.detail, "the audit row must not itself leak the value"


def test_reveal_refused_without_purpose_or_for_enterprise(session):
    with pytest.raises(RevealRefused):
        reveal(session, OFFICER, kind="phone", value="13800001111", purpose=" ", object_type="user", object_id=1)
    with pytest.raises(RevealRefused):
        reveal(session, Actor("ent", "enterprise"), kind="phone", value="1", purpose="想看看别人的",
               object_type="user", object_id=1)
    assert session.scalars(select(AuditEvent)).first() is None
