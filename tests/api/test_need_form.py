"""The need form behind a loan code (Q2, Q3) through the pages: pre-fill, field errors, the code step, limits, retries."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import func, select

from shoudai.db import session_scope
from shoudai.lending import channels, identity, routing
from shoudai.lending.models import Channel, Need, NeedBank, OtpChallenge
from shoudai.web.templating import bank_name

from ._need_kit import (
    CHANNEL,
    KEY_RE,
    OTP_ID_RE,
    REF_RE,
    TOKEN_RE,
    biz_name,
    form_data,
    last_code,
    make_uscc,
    open_form,
    pushed_need,
    seed,
    send_code,
    submit,
    verify,
)


def _count(app, model) -> int:
    with session_scope(app.state.engine) as s:
        return s.scalar(select(func.count()).select_from(model))


def test_the_qr_url_opens_the_form_and_an_unknown_channel_is_404(app, client, clock):
    seed(app, clock)
    path = urlsplit(channels.channel_url(CHANNEL)).path
    r = client.get(path)
    assert r.status_code == 200
    assert "辉县市税务局办税服务厅" in r.text and 'name="idempotency_key"' in r.text
    # The consent block names the purpose and the data shared (PIPL Art. 23).
    assert "个人信息保护法" in r.text and "联系人姓名及手机号" in r.text
    # A public page: the footer says where the data goes, not the staff-only warning of the back office.
    assert "仅用于向您授权的银行" in r.text and "仅限授权人员" not in r.text
    assert client.get("/q/no-such-code").status_code == 404


def test_credit_code_prefills_name_type_and_county(app, client, clock):
    seed(app, clock)
    r = client.get(f"/q/{CHANNEL}/lookup", params={"uscc": make_uscc(1).lower()}, headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert f'value="{biz_name(1)}"' in r.text
    assert 'data-testid="biz-type">个体工商户<' in r.text and 'data-testid="biz-county">辉县市<' in r.text
    miss = client.get(f"/q/{CHANNEL}/lookup", params={"uscc": make_uscc(99)})
    assert 'data-testid="registry-miss"' in miss.text and biz_name(99) not in miss.text


def test_errors_are_shown_next_to_the_field_that_is_wrong(app, client, clock):
    seed(app, clock)
    bad = make_uscc(1)[:-1] + ("0" if make_uscc(1)[-1] != "0" else "1")
    r, _, key = submit(client, uscc=bad, purpose="", banks=["ICBC", "ABC", "BOC", "CCB"], consent="")
    assert r.status_code == 422
    assert 'data-testid="error-uscc"' in r.text and "校验位不正确" in r.text
    assert 'data-testid="error-purpose"' in r.text and "请填写资金用途" in r.text
    assert 'data-testid="error-banks"' in r.text and "1–3 家银行" in r.text
    assert 'data-testid="error-consent"' in r.text
    assert 'data-testid="error-amount_wan"' not in r.text  # only the wrong fields are marked
    # What was typed stays, with the same key (a corrected resubmission is still one need).
    assert 'value="50"' in r.text and KEY_RE.search(r.text).group(1) == key
    assert _count(app, Need) == 0


def test_wrong_code_is_refused_and_counted_then_the_right_one_pushes(app, client, clock):
    seed(app, clock)
    r, token, _ = submit(client)
    assert r.status_code == 200 and "手机验证" in r.text
    ref = REF_RE.search(r.text).group(1)
    r = send_code(client, token, ref)
    assert 'data-testid="code-sent"' in r.text and "138****8000" in r.text
    otp_id = OTP_ID_RE.search(r.text).group(1)
    code = last_code(app)
    wrong = "000000" if code != "000000" else "111111"
    r = verify(client, token, ref, otp_id, wrong)
    assert r.status_code == 422 and 'data-testid="error-otp"' in r.text and "验证码不正确" in r.text
    with session_scope(app.state.engine) as s:
        assert s.get(OtpChallenge, int(otp_id)).attempts == 1  # the failed try was committed
        assert s.scalar(select(Need).where(Need.ref == ref)).status == "submitted"
    r = verify(client, token, ref, otp_id, code)
    assert r.status_code == 200 and 'data-testid="done"' in r.text
    assert f'data-testid="ref">{ref}<' in r.text and 'href="/status"' in r.text
    with session_scope(app.state.engine) as s:
        need = s.scalar(select(Need).where(Need.ref == ref))
        assert need.status == "open" and need.identity_level == identity.REGISTRY
        assert s.get(Channel, need.channel_id).code == CHANNEL  # the channel is recorded
        banks = s.scalars(select(NeedBank.bank_code).where(NeedBank.need_id == need.id)).all()
        assert sorted(banks) == ["HXRCB", "PSBC"]


def test_a_retried_post_is_one_need(app, client, clock):
    seed(app, clock)
    token, key = open_form(client)
    data = {**form_data(), "csrf_token": token, "idempotency_key": key}
    first = client.post(f"/q/{CHANNEL}", data=data)
    again = client.post(f"/q/{CHANNEL}", data=data)
    assert first.status_code == again.status_code == 200
    assert REF_RE.search(first.text).group(1) == REF_RE.search(again.text).group(1)
    assert _count(app, Need) == 1


def test_recommend_for_me_names_the_banks_before_and_after(app, client, clock):
    seed(app, clock)
    expected = [bank_name(c) for c in routing.recommend(make_uscc(1), "410782", 50)]
    frag = client.get(f"/q/{CHANNEL}/recommend", params={"uscc": make_uscc(1), "amount_wan": "50"})
    assert [line.strip() for line in frag.text.split("</li>") if line.strip()] == [f"<li>{n}" for n in expected]
    r, _, _ = submit(client, banks=[], recommend_for_me="1")
    assert r.status_code == 200
    assert 'data-testid="consent-names">' + "、".join(expected) + "<" in r.text


def test_codes_too_often_get_a_plain_chinese_429(app, client, clock):
    seed(app, clock)
    r, token, _ = submit(client)
    ref = REF_RE.search(r.text).group(1)
    assert send_code(client, token, ref).status_code == 200
    again = send_code(client, token, ref)  # within the minute: one code a minute per phone
    assert again.status_code == 429 and "操作太频繁" in again.text and "分钟后再试" in again.text
    assert int(again.headers["Retry-After"]) > 0
    assert _count(app, OtpChallenge) == 1


def test_guessing_codes_is_stopped_and_the_count_survives_each_refusal(app, client, clock):
    seed(app, clock)
    r, token, _ = submit(client)
    ref = REF_RE.search(r.text).group(1)
    otp_id = OTP_ID_RE.search(send_code(client, token, ref).text).group(1)
    limit = identity.LIMITS["verify_phone"].count
    codes = [f"{i:06d}" for i in range(limit + 1) if f"{i:06d}" != last_code(app)][: limit]
    for code in codes:  # every wrong guess answers 422 — and still counts
        assert verify(client, token, ref, otp_id, code).status_code == 422
    r = verify(client, token, ref, otp_id, last_code(app))
    assert r.status_code == 429 and "操作太频繁" in r.text
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(Need).where(Need.ref == ref)).status == "submitted"


def test_forms_without_the_csrf_token_are_refused(app, client, clock):
    seed(app, clock)
    client.get(f"/q/{CHANNEL}")
    r = client.post(f"/q/{CHANNEL}", data={**form_data(), "idempotency_key": "k" * 20})
    assert r.status_code == 403
    assert TOKEN_RE.search(client.get(f"/q/{CHANNEL}").text)  # the page still carries one
    assert _count(app, Need) == 0


def test_a_second_need_within_30_days_is_merged_not_pushed_twice(app, client, clock):
    seed(app, clock)
    first = pushed_need(app, client, clock)
    r, _, _ = submit(client, amount_wan="80", banks=["ICBC"])
    assert r.status_code == 200 and 'data-testid="merged"' in r.text and first in r.text
    assert 'data-testid="done"' in r.text  # the need it joined is already with its banks: no second code step
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(func.count()).select_from(NeedBank)) == 2
        assert s.scalar(select(Need.status).where(Need.ref != first)) == "merged"


def test_the_form_speaks_english_after_the_language_switch(app, client, clock):
    seed(app, clock)
    token, _ = open_form(client)
    client.post("/lang", data={"csrf_token": token, "lang": "en", "next": f"/q/{CHANNEL}"})
    page = client.get(f"/q/{CHANNEL}").text
    assert "Tell us your financing need" in page and "Consent to share" in page
    assert "融资需求登记" not in page
