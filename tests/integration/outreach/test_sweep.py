"""`shoudai lists sweep-claims`: claims past their period become expired in one run, a second run finds none."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from shoudai.accounts import roles
from shoudai.audit.models import AuditEvent
from shoudai.audit.service import utc
from shoudai.cli.lists import app
from shoudai.config import get_settings
from shoudai.outreach import claims, sample
from shoudai.outreach.models import ACTIVE, EXPIRED, Claim

from .conftest import NOW, actor_of, make_user

runner = CliRunner()


def test_sweep_claims_expires_only_past_claims_and_is_idempotent(engine):
    now = datetime.now(UTC)
    with Session(engine) as s:
        v = sample.add_version(s, 2026, 5)
        hq = make_user(s, "icbc_hq", roles.BANK_HQ, bank="ICBC")
        # One claim made today (live), then two made 31 days ago for 30 days (past; made last, because every
        # claim sweeps first and would expire them itself).
        claims.claim_one(s, hq.scope, v, "S410702000002", actor=actor_of(hq), now=now, days=30)
        for key in ("S410702000000", "S410702000001"):
            claims.claim_one(s, hq.scope, v, key, actor=actor_of(hq), now=now - timedelta(days=31), days=30)
        s.commit()

    first = runner.invoke(app, ["sweep-claims"], catch_exceptions=False)
    assert first.exit_code == 0 and first.output.rstrip().endswith(": 2"), first.output
    again = runner.invoke(app, ["sweep-claims"], catch_exceptions=False)
    assert again.exit_code == 0 and again.output.rstrip().endswith(": 0"), again.output

    with Session(engine) as s:
        status = dict(s.execute(select(Claim.entity_key, Claim.status)).all())
        assert status == {"S410702000000": EXPIRED, "S410702000001": EXPIRED, "S410702000002": ACTIVE}
        ended = s.scalars(select(Claim).where(Claim.status == EXPIRED)).all()
        assert all(c.ended_at is not None for c in ended)
        runs = s.scalars(select(AuditEvent).where(AuditEvent.action == "outreach.sweep").order_by(AuditEvent.id)).all()
        assert [(e.actor, e.detail) for e in runs] == [("system:sweep-claims", '{"expired":2}'),
                                                       ("system:sweep-claims", '{"expired":0}')]


def test_claim_period_comes_from_settings(session, version, people, monkeypatch):
    monkeypatch.setenv("SHOUDAI_CLAIM_DAYS", "7")
    get_settings.cache_clear()
    try:
        c = claims.claim_one(session, people["icbc"].scope, version, "S410702000003",
                             actor=actor_of(people["icbc"]), now=NOW)
    finally:
        monkeypatch.delenv("SHOUDAI_CLAIM_DAYS")
        get_settings.cache_clear()
    assert utc(c.expires_at) == NOW + timedelta(days=7)
