"""End to end after the commit: a pushed need's webhooks reach the bank signed; SMS reach the demo's log."""

import json
from datetime import datetime

from sqlalchemy.orm import Session
from stdnum.cn import uscc as stdnum_uscc

from shoudai.kit.calendar import SHANGHAI
from shoudai.kit.sms import FileGateway
from shoudai.lending import channels, delivery, identity, service
from shoudai.lending.forms import NeedForm
from shoudai.outbox import worker
from shoudai.outbox.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

AT = datetime(2026, 3, 2, 9, tzinfo=SHANGHAI)
SECRETS = {"HXRCB": "hxrcb-secret-0123456789", "PSBC": "psbc-secret-0123456789"}


def test_push_then_worker_delivers_signed_webhooks_and_sms(engine, fake_server, tmp_path):
    code = "92410782MA0000001" + stdnum_uscc.calc_check_digit("92410782MA0000001")
    record = identity.RegistryRecord(code, "辉县市测试商行", "410782", "individual", "个体工商户", "王*")
    registry = lambda s, u: record if u == code else None
    with Session(engine) as s, s.begin():
        ch = channels.create_channel(s, code="hx-tax", name="辉县税务", kind="tax_hall", actor="t", now=AT)
        for bank, secret in SECRETS.items():
            delivery.set_bank_endpoint(s, bank, fake_server.url + "/" + bank, secret, actor="admin", now=AT)
        form = NeedForm(uscc=code, name="辉县市测试商行", amount_wan="30", term_months="6", purpose="进货",
                        guarantee="credit", contact_name="王小明", contact_phone="13800138000",
                        banks=("HXRCB", "PSBC"), consent=True)
        need = service.submit_need(s, form, channel=ch, idempotency_key="e2e-key-0001", actor="web", now=AT,
                                   registry=registry).need
        otp = identity.issue_otp(s, "13800138000", uscc=code, actor="web", now=AT, code_source=lambda: "135790")
        claim = identity.IdentityClaim(code, "辉县市测试商行", "王小明", "13800138000", otp.id, "135790")
        result = service.verify_and_push(s, need, claim, verifier=identity.OtpRegistryVerifier(registry), actor="web",
                                         now=AT)
        assert result.pushed_to == ("HXRCB", "PSBC")
        ref = need.ref
    senders = delivery.default_senders(engine, tmp_path, gateway=FileGateway(tmp_path / "sms.log"), timeout=2)
    stats = worker.run_once(engine, senders, now=lambda: AT)
    assert stats.sent == 4 and stats.claimed == 4  # OTP SMS, 2 webhooks, pushed SMS
    by_bank = {r["path"].rsplit("/", 1)[1]: r for r in fake_server.requests}
    assert set(by_bank) == {"HXRCB", "PSBC"}
    for bank, req in by_bank.items():
        h = req["headers"]
        assert verify(SECRETS[bank], h[TIMESTAMP_HEADER], req["body"], h[SIGNATURE_HEADER],
                      now_epoch=int(AT.timestamp()))
        assert json.loads(req["body"])["need_ref"] == ref
    sms = [json.loads(x) for x in (tmp_path / "sms.log").read_text(encoding="utf-8").splitlines()]
    assert [m["phone"] for m in sms] == ["13800138000", "13800138000"]
    assert "135790" in sms[0]["text"] and ref in sms[1]["text"]
