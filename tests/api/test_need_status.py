"""The business's status page (Q6, Q7): sign-in by code, scope to one business, actions, rating, complaint, onward."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shoudai.db import session_scope
from shoudai.lending import actions, service, sla
from shoudai.lending.models import Need, NeedBank, NeedEvent
from shoudai.outbox.models import OutboxMessage
from shoudai.web.templating import bank_name

from ._need_kit import (
    OTP_ID_RE,
    REF_RE,
    TOKEN_RE,
    make_uscc,
    pushed_need,
    seed,
    send_code,
    status_login,
    submit,
)


def _need(app, ref):
    with session_scope(app.state.engine) as s:
        need = s.scalar(select(Need).where(Need.ref == ref))
        s.expunge(need)
        return need


def _tracks(app, ref) -> dict[str, NeedBank]:
    with session_scope(app.state.engine) as s:
        need = s.scalar(select(Need).where(Need.ref == ref))
        rows = service.tracks_of(s, need)
        for r in rows:
            s.expunge(r)
        return {r.bank_code: r for r in rows}


def _signed_in(app, clock, uscc) -> TestClient:
    c = TestClient(app)
    assert status_login(app, c, uscc).status_code == 303
    clock.advance(seconds=61)
    return c


def _token(client, path="/status") -> str:
    return TOKEN_RE.search(client.get(path).text).group(1)


def test_sign_in_needs_the_code_and_sees_only_its_own_business(app, client, clock):
    seed(app, clock)
    ref_a = pushed_need(app, client, clock, 1)
    ref_b = pushed_need(app, TestClient(app), clock, 2)
    assert client.get(f"/status/{ref_a}", follow_redirects=False).status_code == 303  # the form's client: no session
    # A wrong code does not sign in.
    stranger = TestClient(app)
    token = _token(stranger)
    r = stranger.post("/status/code", data={"csrf_token": token, "uscc": make_uscc(2), "phone": "13800138000"})
    otp_id = OTP_ID_RE.search(r.text).group(1)
    r = stranger.post("/status/login", data={"csrf_token": token, "uscc": make_uscc(2), "phone": "13800138000",
                                             "otp_id": otp_id, "otp_code": "999999" if otp_id else ""})
    assert r.status_code == 401 and "sd_biz" not in r.cookies
    clock.advance(seconds=61)
    b = _signed_in(app, clock, make_uscc(2))
    page = b.get("/status").text
    assert f'data-testid="need-{ref_b}"' in page and ref_a not in page
    assert b.get(f"/status/{ref_b}").status_code == 200
    assert b.get(f"/status/{ref_a}").status_code == 404  # business A's need does not exist for B
    track_a = _tracks(app, ref_a)["HXRCB"]
    r = b.post(f"/status/{ref_a}/withdraw", data={"csrf_token": _token(b), "track": str(track_a.id)})
    assert r.status_code == 404
    # Nor can B reach A's track through its own need.
    r = b.post(f"/status/{ref_b}/withdraw", data={"csrf_token": _token(b), "track": str(track_a.id)})
    assert r.status_code == 404
    assert _tracks(app, ref_a)["HXRCB"].stage == sla.PUSHED


def test_a_forged_or_stale_session_is_not_a_session(app, client, clock):
    seed(app, clock)
    ref = pushed_need(app, client, clock, 1)
    b = _signed_in(app, clock, make_uscc(1))
    assert b.get(f"/status/{ref}").status_code == 200
    clock.advance(minutes=31)  # idle longer than 30 minutes
    assert b.get(f"/status/{ref}", follow_redirects=False).status_code == 303
    forged = TestClient(app, cookies={"sd_biz": "v1:x:" + "A" * 40})
    assert "status-send" in forged.get("/status").text


def test_a_code_goes_only_to_a_known_contact_and_the_answer_does_not_tell(app, client, clock):
    seed(app, clock)
    pushed_need(app, client, clock, 1)
    c = TestClient(app)
    token = _token(c)

    def sent() -> int:
        with session_scope(app.state.engine) as s:
            return s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.topic == "sms.otp"))

    before = sent()
    r = c.post("/status/code", data={"csrf_token": token, "uscc": make_uscc(1), "phone": "13900139000"})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text
    assert sent() == before
    r = c.post("/status/code", data={"csrf_token": token, "uscc": make_uscc(1), "phone": "13800138000"})
    assert r.status_code == 200 and 'data-testid="code-sent"' in r.text
    assert sent() == before + 1


def test_the_bank_answer_shows_and_the_business_claims_the_conditions(app, client, clock):
    seed(app, clock)
    ref = pushed_need(app, client, clock, 1)
    track = _tracks(app, ref)["HXRCB"]
    with session_scope(app.state.engine) as s:
        actions.answer(s, track.id, ["近6个月银行流水", "纳税证明"], bank_code="HXRCB", actor="bank:hx", now=clock())
    b = _signed_in(app, clock, make_uscc(1))
    page = b.get(f"/status/{ref}").text
    assert "辉县农商银行已反馈初步意向" in page and "近6个月银行流水" in page
    assert 'data-testid="claim-HXRCB"' in page and 'data-testid="claim-PSBC"' not in page
    r = b.post(f"/status/{ref}/claim", data={"csrf_token": _token(b), "track": str(track.id)})
    assert r.status_code == 200 and 'data-testid="saved"' in r.text
    assert _tracks(app, ref)["HXRCB"].stage == sla.CLAIMED
    assert "企业告知已满足条件" in r.text  # on the timeline
    assert "：验证码+登记信息核验" in r.text  # the identity level reached, on the timeline too
    # Claiming again is not a step of this stage: refused in Chinese, nothing changes.
    r = b.post(f"/status/{ref}/claim", data={"csrf_token": _token(b), "track": str(track.id)})
    assert r.status_code == 409 and "当前阶段不允许此操作" in r.text


def test_withdrawing_consent_stops_every_bank(app, client, clock):
    seed(app, clock)
    ref = pushed_need(app, client, clock, 1)
    b = _signed_in(app, clock, make_uscc(1))
    r = b.post(f"/status/{ref}/consent", data={"csrf_token": _token(b)})
    assert r.status_code == 200 and 'data-testid="consent-withdrawn"' in r.text
    assert 'data-testid="withdraw-consent"' not in r.text
    need = _need(app, ref)
    assert need.consent_withdrawn_at is not None and need.status == service.CLOSED
    assert {t.stage for t in _tracks(app, ref).values()} == {sla.WITHDRAWN}
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(NeedEvent.actor).where(NeedEvent.need_id == need.id,
                                                      NeedEvent.kind == "consent_withdrawn")) == \
            f"enterprise:{make_uscc(1)}"


def test_rating_and_complaint_at_the_end(app, client, clock):
    seed(app, clock)
    ref = pushed_need(app, client, clock, 1)
    b = _signed_in(app, clock, make_uscc(1))
    assert 'data-testid="rating"' not in b.get(f"/status/{ref}").text  # nothing has ended yet
    tracks = _tracks(app, ref)
    for t in tracks.values():
        b.post(f"/status/{ref}/withdraw", data={"csrf_token": _token(b), "track": str(t.id)})
    page = b.get(f"/status/{ref}").text
    assert 'data-testid="rating"' in page
    r = b.post(f"/status/{ref}/rate", data={"csrf_token": _token(b), "stars": "9"})
    assert r.status_code == 409 and "评分须为 1–5 星" in r.text
    r = b.post(f"/status/{ref}/rate", data={"csrf_token": _token(b), "stars": "4", "comment": "反馈及时"})
    assert r.status_code == 200 and "您的评价：4 星" in r.text
    assert _need(app, ref).rating == 4
    r = b.post(f"/status/{ref}/complain", data={"csrf_token": _token(b), "text": "  "})
    assert r.status_code == 409 and "请填写投诉内容" in r.text
    r = b.post(f"/status/{ref}/complain", data={"csrf_token": _token(b), "text": "客户经理未回电",
                                                "track": str(tracks["PSBC"].id)})
    assert r.status_code == 200
    with session_scope(app.state.engine) as s:
        detail = json.loads(s.scalar(select(NeedEvent.detail).where(NeedEvent.kind == "complaint")))
    assert detail == {"text": "客户经理未回电", "bank": "PSBC"}


def test_a_decline_offers_the_next_bank_the_centre_and_a_plan(app, client, clock):
    seed(app, clock)
    ref = pushed_need(app, client, clock, 1)
    track = _tracks(app, ref)["HXRCB"]
    b = _signed_in(app, clock, make_uscc(1))
    assert 'data-testid="onward"' not in b.get(f"/status/{ref}").text
    with session_scope(app.state.engine) as s:
        actions.decline(s, track.id, "no_cash_flow", bank_code="HXRCB", actor="bank:hx", now=clock())
        nxt = actions.onward_options(s, s.scalar(select(Need).where(Need.ref == ref)), now=clock())["next_bank"]
    page = b.get(f"/status/{ref}").text
    assert 'data-testid="onward"' in page and "经营流水不足" in page
    assert f"转办至{bank_name(nxt)}" in page
    r = b.post(f"/status/{ref}/onward", data={"csrf_token": _token(b), "to": "bank", "track": str(track.id)})
    assert r.status_code == 200
    new = _tracks(app, ref)[nxt]
    assert new.routed_by == "rerouted" and new.rerouted_from_id == track.id and new.stage == sla.PUSHED
    r = b.post(f"/status/{ref}/onward", data={"csrf_token": _token(b), "to": "centre"})
    assert "已预约首贷续贷服务中心" in r.text and 'data-testid="onward-centre"' not in r.text
    r = b.post(f"/status/{ref}/onward", data={"csrf_token": _token(b), "to": "plan"})
    assert "已申请“一企一策”融资辅导" in r.text
    need = _need(app, ref)
    assert need.referred_to_centre_at is not None and need.plan_requested_at is not None


def test_consent_withdrawn_before_the_code_step_means_nothing_is_pushed(app, client, clock):
    seed(app, clock)
    r, token, _ = submit(client)
    ref = REF_RE.search(r.text).group(1)
    b = _signed_in(app, clock, make_uscc(1))
    assert 'data-testid="need-status">待验证<' in b.get(f"/status/{ref}").text
    b.post(f"/status/{ref}/consent", data={"csrf_token": _token(b)})
    r = send_code(client, token, ref)  # the form's tab, still open: no code, no push
    assert r.status_code == 200 and 'data-testid="withdrawn"' in r.text
    assert _tracks(app, ref) == {} and _need(app, ref).status == service.CLOSED


def test_the_code_page_does_not_tell_whether_the_phone_is_the_businesss_contact(app, client, clock):
    seed(app, clock)
    pushed_need(app, client, clock, 1)
    pages = []
    for phone in ("13800138000", "13900000000"):  # the need's contact, then a stranger's phone
        clock.advance(seconds=61)
        c = TestClient(app)
        r = c.post("/status/code", data={"csrf_token": _token(c), "uscc": make_uscc(1), "phone": phone})
        assert r.status_code == 200
        pages.append(OTP_ID_RE.search(r.text).group(1))
    # Both carry a sealed reference of the same shape (never a bare id or a 0 that would give the answer away).
    assert len(pages[0]) == len(pages[1]) and not any(p.isdigit() for p in pages) and pages[0] != pages[1]
