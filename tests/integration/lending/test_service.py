"""Submitting, verifying and pushing needs on a real database (both engines)."""

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from shoudai.kit.crypto import decrypt_field
from shoudai.lending import identity, service, sla
from shoudai.lending.common import LendingError
from shoudai.lending.forms import FormError
from shoudai.lending.models import Need, NeedEvent
from shoudai.outbox.models import OutboxMessage


def _outbox(session, topic=None):
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    if topic:
        stmt = stmt.where(OutboxMessage.topic == topic)
    return list(session.scalars(stmt))


def test_submit_verify_push_creates_tracks_clocks_and_messages(session, kit):
    at = kit.sh(2026, 3, 2, 9)
    res = kit.submit(at=at)
    need = res.need
    assert res.created and not res.merged and need.status == service.SUBMITTED
    assert need.county_code == "410782" and need.channel_id == kit.channel.id
    assert decrypt_field(need.contact_phone_enc, identity.PHONE_CONTEXT) == "13800138000"
    assert "13800138000" not in need.contact_phone_enc
    assert json.loads(need.consent_banks) == ["HXRCB", "PSBC"]
    result = kit.verify(need, at=at)
    assert result.verification.level == identity.REGISTRY and result.pushed_to == ("HXRCB", "PSBC")
    assert need.status == service.OPEN and need.identity_level == identity.REGISTRY
    rows = service.tracks_of(session, need)
    assert [r.stage for r in rows] == [sla.PUSHED, sla.PUSHED]
    assert all(service.utc(r.answer_due_at) == kit.sh(2026, 3, 4, 23, 59).replace(second=59) for r in rows)
    hooks = _outbox(session, "need.pushed")
    assert sorted(h.destination for h in hooks) == ["HXRCB", "PSBC"]
    body = json.loads(hooks[0].payload)
    assert body["need_ref"] == need.ref and body["amount_wan"] == "50.00" and "contact" not in hooks[0].payload
    sms = _outbox(session, "sms.need_pushed")
    assert len(sms) == 1 and "13800138000" not in sms[0].payload
    assert "已推送至辉县农商银行、邮储银行" in json.loads(sms[0].payload)["text"]
    kinds = session.scalars(select(NeedEvent.kind).where(NeedEvent.need_id == need.id).order_by(NeedEvent.id)).all()
    assert kinds == ["submitted", "verification", "pushed", "pushed"]


def test_a_retry_with_the_same_key_returns_the_same_need(session, kit):
    at = kit.sh(2026, 3, 2)
    first = kit.submit(at=at, key="retry-key-0001")
    again = kit.submit(at=at + timedelta(seconds=5), key="retry-key-0001", amount_wan="999")
    assert again.need.id == first.need.id and not again.created
    assert session.scalar(select(func.count()).select_from(Need)) == 1


def test_a_second_need_within_30_days_is_merged_after_that_it_is_new(session, kit):
    at = kit.sh(2026, 3, 2)
    first = kit.pushed_need(at=at)
    second = kit.submit(at=at + timedelta(days=29), key="second-key-01", amount_wan="80")
    assert second.merged and second.need.id == first.id
    assert first.amount_wan == 50  # already pushed: banks keep working on what they got; the timeline notes it
    merged = session.scalar(select(Need).where(Need.idempotency_key == "second-key-01"))
    assert merged.status == service.MERGED and merged.merged_into_id == first.id
    retry = kit.submit(at=at + timedelta(days=29, minutes=1), key="second-key-01")
    assert retry.need.id == first.id and not retry.created
    third = kit.submit(at=at + timedelta(days=31), key="third-key-001")
    assert not third.merged and third.need.id != first.id


def test_an_unpushed_need_takes_the_newer_details(session, kit):
    at = kit.sh(2026, 3, 2)
    first = kit.submit(at=at).need
    kit.submit(at=at + timedelta(hours=1), key="second-key-02", amount_wan="80", banks=("ICBC",))
    assert first.amount_wan == 80 and json.loads(first.consent_banks) == ["ICBC"]


def test_recommend_for_me_names_the_banks_in_the_consent(session, kit):
    need = kit.submit(at=kit.sh(2026, 3, 2), banks=(), recommend_for_me=True).need
    banks = json.loads(need.consent_banks)
    assert len(banks) == 3 and banks[0] == "HXRCB"  # Huixian's own rural bank first
    assert json.loads(need.requested_banks) == []


def test_form_errors_are_reported_per_field(session, kit):
    with pytest.raises(FormError) as err:
        kit.submit(at=kit.sh(2026, 3, 2), uscc="91410700XXXXXXXXX1", amount_wan="-1", banks=("A", "B", "C", "D"),
                   consent=False, contact_phone="123")
    assert set(err.value.errors) >= {"uscc", "amount_wan", "banks", "consent", "contact_phone"}


def test_wrong_codes_count_and_lock_the_challenge(session, kit):
    at = kit.sh(2026, 3, 2)
    need = kit.submit(at=at).need
    for i in range(identity.OTP_MAX_ATTEMPTS):
        result = kit.verify(need, at=at + timedelta(minutes=2 * i), entered="000000")
        assert result.verification.problems == ("otp_wrong",) and result.pushed_to == ()
    ch = identity.issue_otp(session, "13800138000", uscc=need.uscc, actor="t", now=at + timedelta(minutes=70),
                            code_source=lambda: "111111")
    for _ in range(identity.OTP_MAX_ATTEMPTS):
        identity.check_otp(session, ch.id, "13800138000", "999999", now=at + timedelta(minutes=71))
    assert identity.check_otp(session, ch.id, "13800138000", "111111", now=at + timedelta(minutes=71)) == (
        False, "otp_locked")
    assert need.status == service.SUBMITTED and service.tracks_of(session, need) == []


def test_codes_expire_and_are_single_use(session, kit):
    at = kit.sh(2026, 3, 2)
    ch = identity.issue_otp(session, "13800138000", uscc=None, actor="t", now=at, code_source=lambda: "123456")
    assert ch.code_hash and "123456" not in ch.code_hash
    assert identity.check_otp(session, ch.id, "13800138000", "123456", now=at + timedelta(minutes=6)) == (
        False, "otp_expired")
    assert identity.check_otp(session, ch.id, "13900139000", "123456", now=at) == (False, "otp_unknown")
    assert identity.check_otp(session, ch.id, "13800138000", "123456", now=at + timedelta(minutes=4)) == (True, None)
    assert identity.check_otp(session, ch.id, "13800138000", "123456", now=at + timedelta(minutes=4)) == (
        False, "otp_used")


def test_otp_rate_limits_per_phone_address_and_code(session, kit):
    at = kit.sh(2026, 3, 2)
    identity.issue_otp(session, "13800138000", uscc=None, actor="t", now=at)
    with pytest.raises(identity.RateLimited) as err:
        identity.issue_otp(session, "13800138000", uscc=None, actor="t", now=at + timedelta(seconds=30))
    assert 1 <= err.value.retry_after <= 31
    for i in range(1, 5):
        identity.issue_otp(session, "13800138000", uscc=None, actor="t", now=at + timedelta(minutes=2 * i))
    with pytest.raises(identity.RateLimited):  # 5 per hour per phone
        identity.issue_otp(session, "13800138000", uscc=None, actor="t", now=at + timedelta(minutes=12))
    identity.issue_otp(session, "13800138000", uscc=None, actor="t", now=at + timedelta(hours=1, minutes=1))
    for i in range(20):
        identity.issue_otp(session, f"139{i:08d}", uscc=None, actor="t", source_addr="10.0.0.9", now=at)
    with pytest.raises(identity.RateLimited):  # 20 per hour per source address
        identity.issue_otp(session, "13700000000", uscc=None, actor="t", source_addr="10.0.0.9", now=at)
    code = kit.make_uscc(7)
    for i in range(10):
        identity.issue_otp(session, f"136{i:08d}", uscc=code, actor="t", now=at)
    with pytest.raises(identity.RateLimited):  # 10 per hour per credit code
        identity.issue_otp(session, "13500000000", uscc=code, actor="t", now=at)


def test_registry_mismatch_reaches_phone_level_only(session, kit):
    at = kit.sh(2026, 3, 2)
    need = kit.submit(at=at).need
    result = kit.verify(need, at=at, legal_rep="李四")
    assert result.verification.level == identity.PHONE
    assert result.verification.problems == ("legal_rep_mismatch",)
    assert result.pushed_to == ("HXRCB", "PSBC") and need.identity_level == identity.PHONE


def test_verification_must_match_the_need(session, kit):
    at = kit.sh(2026, 3, 2)
    need = kit.submit(at=at).need
    claim = identity.IdentityClaim(need.uscc, need.name, "王小明", "13900000000", None, None)
    with pytest.raises(LendingError):
        service.verify_and_push(session, need, claim, verifier=identity.OtpRegistryVerifier(kit.registry),
                                actor="t", now=at)


def test_registry_lookup_reads_the_newest_list_version(session):
    from shoudai.registry.models import ImportBatch, ListEntry, ListVersion

    at = service.utc(__import__("datetime").datetime(2026, 1, 1))
    batch = ImportBatch(kind="registry", file_name="r.csv", sha256="0" * 64, file_format="csv", total_rows=1,
                        accepted_rows=1, rejected_rows=0, duplicate_rows=0, staged_path="x", actor="t", created_at=at)
    session.add(batch)
    session.flush()
    code = "92410782MA00000011"
    for year, name in ((2024, "旧名称商行"), (2025, "辉县市新名称商行")):
        v = ListVersion(year=year, engine="duckdb", registry_batch_id=batch.id, tax_batch_id=batch.id,
                        credit_batch_id=batch.id, sme_count=0, individual_count=1, new_count=1, carried_count=0,
                        removed_count=0, content_digest="d", built_by="t", built_at=at)
        session.add(v)
        session.flush()
        session.add(ListEntry(version_id=v.id, entity_key=code, list_kind="individual", uscc=code, name=name,
                              entity_kind="individual", county_code="410782", legal_rep_masked="王*", tier="C",
                              change="new", first_listed_year=year, reasons="测试"))
    session.flush()
    rec = identity.db_registry_lookup(session, code)
    assert rec.name == "辉县市新名称商行" and rec.legal_rep_masked == "王*"
    assert identity.db_registry_lookup(session, "92410782MA00000029") is None
    claim = identity.IdentityClaim(code, "辉县市新名称商行", "王 小明", "13800138000")
    assert identity.registry_matches(rec, claim) == ()
    assert identity.registry_matches(rec, identity.IdentityClaim(code, "别的名字", "张三", "1")) == (
        "name_mismatch", "legal_rep_mismatch")


def test_pushing_unverified_or_withdrawn_is_refused(session, kit):
    need = kit.submit(at=kit.sh(2026, 3, 2)).need
    with pytest.raises(LendingError, match="身份核验"):
        service.push(session, need, actor="t", now=kit.sh(2026, 3, 2))


def test_spring_festival_push_due_on_the_24th(session, kit):
    need = kit.pushed_need(at=kit.sh(2026, 2, 13, 17))
    row = service.tracks_of(session, need)[0]
    assert service.utc(row.answer_due_at).astimezone(kit.sh(2026, 1, 1).tzinfo).date() == date(2026, 2, 24)
    assert not row.answer_due_provisional


def test_form_spam_is_limited_per_address(session, kit):
    at = kit.sh(2026, 3, 2)
    for i in range(30):
        service.submit_need(session, kit.form(100 + i), channel=kit.channel, idempotency_key=f"spam-key-{i:04d}",
                            actor="web", now=at, source_addr="10.1.1.1", registry=kit.registry)
    with pytest.raises(identity.RateLimited):
        service.submit_need(session, kit.form(200), channel=kit.channel, idempotency_key="spam-key-last",
                            actor="web", now=at, source_addr="10.1.1.1", registry=kit.registry)
    # A retry of an accepted submission is not a new submission: it is answered, not limited.
    again = service.submit_need(session, kit.form(100), channel=kit.channel, idempotency_key="spam-key-0000",
                                actor="web", now=at, source_addr="10.1.1.1", registry=kit.registry)
    assert not again.created
