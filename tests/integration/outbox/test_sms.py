"""SMS gateways: the demo's file gateway and the HTTP adapter against a local fake provider."""

import json

import pytest

from shoudai.config import get_settings
from shoudai.kit.sms import FileGateway, HttpGateway, SmsError, gateway_from_env


def test_file_gateway_appends_json_lines(tmp_path):
    gw = FileGateway(tmp_path / "sms.log")
    gw.send("13800138000", "【首贷通】验证码 123456")
    gw.send("13900139000", "第二条")
    lines = [json.loads(x) for x in (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()]
    assert [x["phone"] for x in lines] == ["13800138000", "13900139000"]
    assert lines[0]["text"] == "【首贷通】验证码 123456"


def test_file_gateway_refuses_a_bad_number(tmp_path):
    with pytest.raises(SmsError) as err:
        FileGateway(tmp_path / "sms.log").send("12345", "x")
    assert not err.value.retryable
    assert not (tmp_path / "sms.log").exists()


def test_http_gateway_posts_json_with_the_token(fake_server):
    receipt = HttpGateway(fake_server.url, "tok-1", timeout=2).send("13800138000", "你好")
    assert receipt.message_id == "m-1"
    req = fake_server.requests[0]
    assert req["headers"]["Authorization"] == "Bearer tok-1"
    assert json.loads(req["body"]) == {"phone": "13800138000", "text": "你好", "sign": "首贷通"}


@pytest.mark.parametrize("status,retryable", [(503, True), (429, True), (400, False)])
def test_http_gateway_errors_say_whether_to_retry(fake_server, status, retryable):
    fake_server.fail_first, fake_server.fail_status = 1, status
    with pytest.raises(SmsError) as err:
        HttpGateway(fake_server.url, timeout=2).send("13800138000", "x")
    assert err.value.retryable is retryable


def test_http_gateway_times_out(fake_server):
    fake_server.delay = 2.0
    with pytest.raises(SmsError, match="timed out") as err:
        HttpGateway(fake_server.url, timeout=0.3).send("13800138000", "x")
    assert err.value.retryable


def test_http_gateway_unreachable_is_retryable():
    with pytest.raises(SmsError, match="unreachable") as err:
        HttpGateway("http://127.0.0.1:9/none", timeout=0.5).send("13800138000", "x")
    assert err.value.retryable


def test_gateway_from_env(tmp_path, monkeypatch):
    monkeypatch.delenv("SHOUDAI_SMS_URL", raising=False)
    get_settings.cache_clear()
    assert isinstance(gateway_from_env(tmp_path), FileGateway)
    monkeypatch.setenv("SHOUDAI_SMS_URL", "http://127.0.0.1:1/x")
    get_settings.cache_clear()
    try:
        assert isinstance(gateway_from_env(tmp_path), HttpGateway)
    finally:
        monkeypatch.delenv("SHOUDAI_SMS_URL")
        get_settings.cache_clear()
