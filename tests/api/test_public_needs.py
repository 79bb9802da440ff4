"""The public need API: one-time code, submission with Idempotency-Key, Chinese field errors, rate limits (both engines)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc as stdnum_uscc

from shoudai.db import session_scope
from shoudai.lending import channels, delivery, identity, service
from shoudai.lending.models import Need, NeedBank, OtpChallenge, RateBucket
from shoudai.outbox.models import OutboxMessage

PHONE = "13800138000"
CODE_RE = re.compile(r"验证码为 (\d{6})")


def make_uscc(n: int) -> str:
    first17 = f"92410782MA{n:07d}"
    return first17 + stdnum_uscc.calc_check_digit(first17)


@pytest.fixture
def setup(app):
    """A channel and one business on the newest list (registry cross-check: name + legal rep surname 王)."""
    from shoudai.registry.models import ImportBatch, ListEntry, ListVersion

    at = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope(app.state.engine) as s:
        channels.create_channel(s, code="hx-tax", name="辉县市税务局办税服务厅", kind="tax_hall", county_code="410782",
                                actor="test", now=at)
        delivery.set_bank_endpoint(s, "HXRCB", "https://hxrcb.example.cn/hook", "secret-" + "HXRCB" * 4,
                                   actor="admin", now=at)  # PSBC has no webhook: workbench and pull API only
        batch = ImportBatch(kind="registry", file_name="r.csv", sha256="0" * 64, file_format="csv", total_rows=1,
                            accepted_rows=1, rejected_rows=0, duplicate_rows=0, staged_path="x", actor="t", created_at=at)
        s.add(batch)
        s.flush()
        v = ListVersion(year=2026, engine="duckdb", registry_batch_id=batch.id, tax_batch_id=batch.id,
                        credit_batch_id=batch.id, sme_count=0, individual_count=1, new_count=1, carried_count=0,
                        removed_count=0, content_digest="d", built_by="t", built_at=at)
        s.add(v)
        s.flush()
        code = make_uscc(1)
        s.add(ListEntry(version_id=v.id, entity_key=code, list_kind="individual", uscc=code, name="辉县市测试商行1",
                        entity_kind="individual", county_code="410782", legal_rep_masked="王*", tier="C",
                        change="new", first_listed_year=2026, reasons="测试"))
    return app


def body(n=1, **over) -> dict:
    b = {"uscc": make_uscc(n), "name": f"辉县市测试商行{n}", "amount_wan": "50", "term_months": 12,
         "purpose": "进货周转", "guarantee": "credit", "contact_name": "王小明", "contact_phone": PHONE,
         "banks": ["HXRCB", "PSBC"], "consent": True, "channel": "hx-tax", "legal_rep": "王小明"}
    b.update(over)
    return b


def send_code(client, app, phone=PHONE, uscc=None) -> tuple[int, str]:
    """Ask for a code; read it back from the SMS in the outbox (what the phone would show)."""
    r = client.post("/api/v1/public/otp", json={"phone": phone, "uscc": uscc or make_uscc(1)})
    assert r.status_code == 201, r.text
    with session_scope(app.state.engine) as s:
        text = json.loads(s.scalars(select(OutboxMessage.payload).where(OutboxMessage.topic == "sms.otp")
                                    .order_by(OutboxMessage.id.desc()).limit(1)).one())["text"]
    return r.json()["challenge_id"], CODE_RE.search(text).group(1)


def post_need(client, payload, key="key-0000-0001"):
    return client.post("/api/v1/public/needs", json=payload, headers={"Idempotency-Key": key})


def count(app, model, *where) -> int:
    with session_scope(app.state.engine) as s:
        return s.scalar(select(func.count()).select_from(model).where(*where))


def test_submit_verifies_pushes_and_answers_after_commit(setup, client, clock):
    app = setup
    cid, code = send_code(client, app)
    r = post_need(client, body(otp_challenge_id=cid, otp_code=code))
    assert r.status_code == 201, r.text
    out = r.json()
    assert re.fullmatch(r"XQ[0-9A-Z]{10}", out["ref"]) and out["status"] == "open" and not out["merged"]
    assert out["identity_level"] == identity.REGISTRY and out["identity_level_name"] == "验证码+登记信息核验"
    assert out["banks"] == ["HXRCB", "PSBC"] == out["pushed_to"] and out["notes"] == []
    assert "set-cookie" not in r.headers  # cookie-free: no session, no CSRF token
    # The reply came after the commit: a new connection sees the need pushed, tracks and webhooks written.
    with session_scope(app.state.engine) as s:
        need = s.scalar(select(Need).where(Need.ref == out["ref"]))
        assert need.status == service.OPEN and need.source_addr == "testclient" and need.created_by == "public:need-api"
        assert sorted(s.scalars(select(NeedBank.bank_code).where(NeedBank.need_id == need.id))) == ["HXRCB", "PSBC"]
        topics = s.scalars(select(OutboxMessage.topic).where(OutboxMessage.topic != "sms.otp")).all()
        assert sorted(topics) == ["need.pushed", "sms.need_pushed"]


def test_a_submission_leaves_its_timeline_and_an_unbroken_audit_chain(setup, client):
    """The timeline and audit rows a submission holds back until its end (write_behind, audit.batched) are there."""
    from shoudai.audit.models import AuditEvent
    from shoudai.audit.service import verify_chain
    from shoudai.lending.models import NeedEvent

    app = setup
    cid, code = send_code(client, app)
    wrong = post_need(client, body(otp_challenge_id=cid, otp_code="000000" if code != "000000" else "111111"))
    assert wrong.status_code == 422
    r = post_need(client, body(otp_challenge_id=cid, otp_code=code))
    assert r.status_code == 201, r.text
    with session_scope(app.state.engine) as s:
        need = s.scalar(select(Need).where(Need.ref == r.json()["ref"]))
        steps = s.execute(select(NeedEvent.kind, NeedEvent.need_bank_id).where(NeedEvent.need_id == need.id)
                          .order_by(NeedEvent.id)).all()
        assert [k for k, _ in steps] == ["submitted", "verification", "verification", "pushed", "pushed"]
        assert all(bank_id for k, bank_id in steps if k == "pushed")
        actions = s.scalars(select(AuditEvent.action).where(AuditEvent.action != "lending.otp_sent")
                            .order_by(AuditEvent.id)).all()
        assert actions[-6:] == ["lending.submitted", "lending.verification", "lending.verification",
                                "account.enterprise_created", "lending.pushed", "lending.pushed"]
        assert verify_chain(s).ok


def test_a_retry_with_the_same_key_answers_the_same_need_without_a_duplicate(setup, client):
    app = setup
    cid, code = send_code(client, app)
    first = post_need(client, body(otp_challenge_id=cid, otp_code=code))
    again = post_need(client, body(otp_challenge_id=cid, otp_code=code))
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["ref"] == first.json()["ref"] and again.json()["pushed_to"] == []
    assert count(app, Need) == 1 and count(app, NeedBank) == 2


def test_the_same_key_with_another_body_is_a_conflict(setup, client):
    app = setup
    cid, code = send_code(client, app)
    assert post_need(client, body(otp_challenge_id=cid, otp_code=code)).status_code == 201
    r = post_need(client, body(amount_wan="80", otp_challenge_id=cid, otp_code=code))
    assert r.status_code == 409 and r.json()["code"] == "idempotency_conflict"
    assert set(r.json()["errors"]) == {"amount_wan"} and "Idempotency-Key" in r.json()["detail"]
    assert count(app, Need) == 1


def test_field_errors_are_chinese_and_name_the_field(setup, client):
    r = client.post("/api/v1/public/needs", json=body(uscc="91410700XXXXXXXXX1", amount_wan="-1", consent=False,
                                                      banks="HXRCB", otp_code="", colour="red"))
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors["uscc"] == "统一社会信用代码格式或校验位不正确"
    assert errors["amount_wan"].startswith("金额须为") and errors["consent"].startswith("须同意")
    assert errors["banks"] == "银行须为银行代码的列表" and errors["otp_code"] == "请填写短信验证码"
    assert errors["otp_challenge_id"] == "请先获取短信验证码" and "Idempotency-Key" in errors
    assert errors["colour"] == "未知字段：colour"
    bad = client.post("/api/v1/public/needs", content=b"{not json", headers={"Idempotency-Key": "k" * 10,
                                                                                "content-type": "application/json"})
    assert bad.status_code == 400 and bad.json()["detail"] == "请求内容须为 JSON 对象"
    r = post_need(client, body(channel="no-such", otp_challenge_id=1, otp_code="123456"))
    assert r.status_code == 422 and r.json()["errors"] == {"channel": "渠道不存在或已停用"}
    assert count(setup, Need) == 0


def test_a_wrong_code_is_counted_and_the_same_key_completes_with_the_right_one(setup, client, clock):
    app = setup
    cid, code = send_code(client, app)
    wrong = "000000" if code != "000000" else "111111"
    r = post_need(client, body(otp_challenge_id=cid, otp_code=wrong))
    assert r.status_code == 422 and r.json()["errors"] == {"otp_code": "验证码不正确"}
    with session_scope(app.state.engine) as s:  # the refusal committed the attempt and the unverified need
        assert s.get(OtpChallenge, cid).attempts == 1
        need = s.scalar(select(Need))
        assert need.status == service.SUBMITTED and need.identity_level == identity.NONE
    r = post_need(client, body(otp_challenge_id=cid, otp_code=code))
    assert r.status_code == 201 and r.json()["ref"] == need.ref and r.json()["status"] == "open"
    assert count(app, Need) == 1
    reused = post_need(client, body(otp_challenge_id=cid, otp_code=code), key="key-0000-0002")
    # A second submission of the same business within 30 days folds into the first; the used code is refused.
    assert reused.status_code == 422 and reused.json()["errors"] == {"otp_challenge_id": "该验证码已使用，请重新获取"}
    assert count(app, Need, Need.merged_into_id.is_(None)) == 1
    clock.advance(seconds=61)  # past the per-phone burst limit
    cid2, code2 = send_code(client, app)
    merged = post_need(client, body(otp_challenge_id=cid2, otp_code=code2), key="key-0000-0002")
    assert merged.status_code == 201 and merged.json()["ref"] == need.ref and merged.json()["merged"]
    again = post_need(client, body(otp_challenge_id=cid2, otp_code=code2), key="key-0000-0002")
    assert again.status_code == 200 and again.json()["ref"] == need.ref and again.json()["merged"]
    assert count(app, Need, Need.merged_into_id.is_(None)) == 1 and count(app, NeedBank) == 2


def test_registry_mismatch_still_pushes_at_phone_level_with_a_note(setup, client):
    app = setup
    cid, code = send_code(client, app, uscc=make_uscc(2))
    r = post_need(client, body(2, otp_challenge_id=cid, otp_code=code))
    assert r.status_code == 201
    assert r.json()["identity_level"] == identity.PHONE
    assert r.json()["notes"] == ["未在本市名单中找到该信用代码，已按手机验证码认证"]


def test_otp_rate_limit_answers_429_with_retry_after_and_the_count_sticks(setup, client, clock):
    app = setup
    otp = {"phone": PHONE, "uscc": make_uscc(1)}
    send_code(client, app)
    r = client.post("/api/v1/public/otp", json=otp)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 1 <= int(r.headers["Retry-After"]) <= 61 and "秒后再试" in r.json()["detail"]
    for _ in range(identity.LIMITS["otp_phone"].count - 1):
        clock.advance(seconds=61)
        assert client.post("/api/v1/public/otp", json=otp).status_code == 201
    clock.advance(seconds=61)
    r = client.post("/api/v1/public/otp", json=otp)  # the burst check passes (and counts), the hourly one refuses
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 3000
    assert count(app, OtpChallenge) == identity.LIMITS["otp_phone"].count
    with session_scope(app.state.engine) as s:  # the refused request's counting was committed, not rolled back
        burst = s.get(RateBucket, f"otp_phone_burst:{identity.phone_index(PHONE)}")
        assert service.utc(burst.window_start) == clock() and burst.hits == 1
    bad = client.post("/api/v1/public/otp", json={"phone": "12345", "uscc": "X"})
    assert bad.status_code == 422 and bad.json()["errors"] == {"uscc": "统一社会信用代码格式或校验位不正确"}
    bad = client.post("/api/v1/public/otp", json={"phone": "12345", "uscc": make_uscc(1)})
    assert bad.status_code == 422 and bad.json()["errors"] == {"phone": "请输入 11 位手机号"}


def test_submission_spam_per_business_answers_429(setup, client):
    app = setup
    for i in range(service.SUBMIT_LIMITS["uscc"].count):
        r = post_need(client, body(otp_challenge_id=999999, otp_code="123456"), key=f"spam-key-{i:04d}")
        assert r.status_code == 422 and "otp_challenge_id" in r.json()["errors"]  # recorded, not verified
    r = post_need(client, body(otp_challenge_id=999999, otp_code="123456"), key="spam-key-9999")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 3600
    with session_scope(app.state.engine) as s:
        assert s.get(RateBucket, f"submit_uscc:{make_uscc(1)}").hits == service.SUBMIT_LIMITS["uscc"].count
    # Retrying a recorded key is not a new submission; it is refused here by the other limit, code checks per phone.
    r = post_need(client, body(otp_challenge_id=999999, otp_code="123456"), key="spam-key-0000")
    assert r.status_code == 429
    with session_scope(app.state.engine) as s:
        assert s.get(RateBucket, f"submit_uscc:{make_uscc(1)}").hits == service.SUBMIT_LIMITS["uscc"].count
        verify = s.get(RateBucket, f"verify_phone:{identity.phone_index(PHONE)}")
        assert verify.hits == identity.LIMITS["verify_phone"].count
    assert count(app, Need) == service.SUBMIT_LIMITS["uscc"].count


def test_simultaneous_retries_of_one_key_make_one_need(setup):
    from concurrent.futures import ThreadPoolExecutor

    from fastapi.testclient import TestClient

    app = setup
    cid, code = send_code(TestClient(app), app)
    payload = body(otp_challenge_id=cid, otp_code=code)

    def send(_):
        return post_need(TestClient(app), payload, key="race-key-0001")

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(send, range(4)))
    assert sorted(r.status_code for r in answers) == [200, 200, 200, 201]
    assert len({r.json()["ref"] for r in answers}) == 1
    assert count(app, Need) == 1 and count(app, NeedBank) == 2


def test_hostile_values_are_field_errors_not_server_errors(setup, client):
    raw = json.dumps(body(name="辉县\x00商行", purpose="周转" * 300, otp_challenge_id=10**30, otp_code="1",
                          term_months="@", amount_wan=["50"])).replace('"@"', "1e400")  # JSON allows it: inf
    r = client.post("/api/v1/public/needs", content=raw.encode(),
                    headers={"Idempotency-Key": "hostile-0001", "content-type": "application/json"})
    assert r.status_code == 422
    errors = r.json()["errors"]
    assert errors["name"] == "企业名称含有无效字符或过长" and errors["purpose"] == "资金用途含有无效字符或过长"
    assert errors["otp_challenge_id"] == "验证码编号须为正整数" and errors["amount_wan"] == "金额须为文本"
    assert errors["term_months"] == "期限须为 1–360 个月"
    assert client.post("/api/v1/public/needs", json=[1, 2], headers={"Idempotency-Key": "k" * 10}).status_code == 400
    assert count(setup, Need) == 0


def test_openapi_describes_the_bodies_and_the_key_header(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    need = paths["/api/v1/public/needs"]["post"]
    schema = need["requestBody"]["content"]["application/json"]["schema"]
    assert {"uscc", "otp_challenge_id", "otp_code", "consent"} <= set(schema["required"])
    assert [p["name"] for p in need["parameters"]] == ["Idempotency-Key"]
    assert "/api/v1/public/otp" in paths
    assert not any("status" in p for p in paths if p.startswith("/api/v1/public/"))  # no unauthenticated status read
