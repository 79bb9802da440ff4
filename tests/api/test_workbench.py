"""The bank workbench through the pages: queue order and colours, every 211 step, bulk answer, BOLA, Excel masking."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest
from sqlalchemy import select
from stdnum.cn import uscc as stdnum_uscc

from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope
from shoudai.kit.calendar import end_of_day
from shoudai.lending import channels, identity, service, sla
from shoudai.lending.forms import NeedForm
from shoudai.lending.models import Need, NeedBank
from shoudai.lending.tracks import to_track
from shoudai.reference.calendar_store import load_calendar

from .conftest import page_token, signed_in_fresh_step

ACTOR = "test:workbench"


def make_uscc(n: int) -> str:
    first17 = f"92410702MA{n:07d}"
    return first17 + stdnum_uscc.calc_check_digit(first17)


class Needs:
    """Pushes needs through the lending services (submit, verify, push), as a business on the form would."""

    def __init__(self, app, clock):
        self.app, self.clock, self.n = app, clock, 0
        with session_scope(app.state.engine) as s:
            channels.create_channel(s, code="wb-test", name="首贷服务中心", kind="first_loan_centre",
                                    county_code="410702", actor=ACTOR, now=clock())

    def push(self, banks=("ICBC",), county="410702", contact="王小明") -> dict[str, int]:
        """A new pushed need; returns its track ids by bank code."""
        self.n += 1
        n, now, phone = self.n, self.clock(), f"1390373{self.n:04d}"
        uscc, name = make_uscc(n), f"红旗区测试商行{n}"

        def registry(session, code):
            return identity.RegistryRecord(code, name, county, "individual", "个体工商户", contact[0] + "*")

        form = NeedForm(uscc=uscc, name=name, amount_wan="50", term_months="12", purpose="进货周转",
                        guarantee="credit", contact_name=contact, contact_phone=phone, banks=tuple(banks),
                        consent=True)
        with session_scope(self.app.state.engine) as s:
            need = service.submit_need(s, form, channel="wb-test", idempotency_key=f"wb-key-{n:04d}", actor=ACTOR,
                                       now=now, registry=registry).need
            otp = identity.issue_otp(s, phone, uscc=uscc, actor=ACTOR, now=now, code_source=lambda: "246810")
            claim = identity.IdentityClaim(uscc, name, contact, phone, otp.id, "246810")
            result = service.verify_and_push(s, need, claim, verifier=identity.OtpRegistryVerifier(registry),
                                             actor=ACTOR, now=now)
            assert result.verification.ok, result.verification
            return {r.bank_code: r.id for r in service.tracks_of(s, need)}

    def row(self, need_bank_id: int) -> NeedBank:
        with session_scope(self.app.state.engine) as s:
            row = s.get(NeedBank, need_bank_id)
            s.expunge(row)
            return row

    def ref(self, need_bank_id: int) -> str:
        with session_scope(self.app.state.engine) as s:
            return s.get(Need, s.get(NeedBank, need_bank_id).need_id).ref


@pytest.fixture
def needs(app, clock) -> Needs:
    return Needs(app, clock)


@pytest.fixture
def bank(app, clock):
    return signed_in_fresh_step(app, clock, "bankhq")


def refs_in_order(html: str) -> list[str]:
    return re.findall(r'data-testid="row-(XQ[0-9A-Z]+)"', html)


def urgency_of(html: str, ref: str) -> str:
    return re.search(rf'data-testid="row-{ref}" data-urgency="([a-z_]+)"', html).group(1)


def post(client, path: str, data: dict | None = None, token_from: str = "/bank/needs"):
    return client.post(path, data={**(data or {}), "csrf_token": page_token(client, token_from)},
                       follow_redirects=False)


def test_queue_is_ordered_by_the_running_deadline_and_only_this_banks(app, clock, needs, bank):
    first = needs.push()["ICBC"]
    clock.advance(days=3)
    second = needs.push(banks=("ICBC", "CCB"))
    other_only = needs.push(banks=("CCB",))
    bank = signed_in_fresh_step(app, clock, "bankhq")
    # Answering the first stops its clock: a track waiting on the business (no clock) goes after the running ones.
    assert post(bank, f"/bank/needs/{first}/answer", {"condition": sla.CONDITION_HINTS[0]},
                f"/bank/needs/{first}").status_code == 303
    third = needs.push()["ICBC"]
    html = bank.get("/bank/needs").text
    assert refs_in_order(html) == [needs.ref(second["ICBC"]), needs.ref(third), needs.ref(first)]
    assert needs.ref(other_only["CCB"]) not in html
    # The newest push has its whole answer clock left: 2 working days (or hours, if pushed on its due day: never).
    assert re.search(rf'data-testid="row-{needs.ref(third)}".*?剩余 2 个工作日', html, re.DOTALL)
    # The officer of the same bank sees the same bank-wide queue (tracks carry no branch or assignee).
    officer = signed_in_fresh_step(app, clock, "officer")
    assert refs_in_order(officer.get("/bank/needs").text) == refs_in_order(html)


def test_urgency_colours_follow_the_clock_and_filters_agree(app, clock, needs):
    nb = needs.push()["ICBC"]
    ref = needs.ref(nb)
    bank = signed_in_fresh_step(app, clock, "bankhq")
    assert urgency_of(bank.get("/bank/needs").text, ref) == "ok"
    with session_scope(app.state.engine) as s:
        cal = load_calendar(s)
        deadline = to_track(s.get(NeedBank, nb)).deadline
    warn = sla.warn_day(deadline, cal)
    seen = []
    for at, expected in ((end_of_day(warn) - timedelta(hours=1), "due_soon"),
                         (deadline.due_at + timedelta(hours=1), "breached")):
        clock.t = at
        bank = signed_in_fresh_step(app, clock, "bankhq")
        html = bank.get("/bank/needs").text
        seen.append(urgency_of(html, ref))
        assert f'class="urg-{expected}"' in html
        for u in ("breached", "due_soon", "ok", "idle"):  # the SQL filter agrees with sla.urgency
            assert (ref in bank.get(f"/bank/needs?urgency={u}").text) == (u == expected), u
    assert seen == ["due_soon", "breached"]
    assert "已超时 1 天" in bank.get(f"/bank/needs/{nb}").text


def test_every_step_through_the_pages_to_disbursement(app, clock, needs, bank):
    nb = needs.push()["ICBC"]
    page = f"/bank/needs/{nb}"
    html = bank.get(page).text
    assert 'data-testid="answer-form"' in html and 'data-testid="accept"' not in html
    assert "王*" in html and "王小明" not in html  # the contact is masked until a purpose is stated
    r = post(bank, f"{page}/answer", {"condition": list(sla.CONDITION_HINTS[:2]), "extra": "提供购销合同\n"}, page)
    assert r.status_code == 303 and r.headers["location"] == f"{page}?done=answered"
    row = needs.row(nb)
    assert row.stage == sla.INTENT and '"提供购销合同"' in row.conditions
    # A step that the stage does not allow is refused with a Chinese message, and nothing changes.
    r = post(bank, f"{page}/accept", {}, page)
    assert r.status_code == 409 and "当前阶段不允许此操作" in r.text and needs.row(nb).stage == sla.INTENT
    for action, stage in (("conditions-met", sla.CONDITIONS_MET), ("accept", sla.ACCEPTED)):
        assert post(bank, f"{page}/{action}", {}, page).status_code == 303
        assert needs.row(nb).stage == stage
    r = post(bank, f"{page}/decide", {"outcome": "approve"}, page)
    assert r.status_code == 303 and needs.row(nb).stage == sla.APPROVED
    r = post(bank, f"{page}/disburse", {"amount_wan": "0", "disbursed_on": "2026-11-01", "contract_no": "H1"}, page)
    assert r.status_code == 422 and "大于 0" in r.text
    r = post(bank, f"{page}/disburse", {"amount_wan": "48.5", "disbursed_on": "2026-11-01", "contract_no": "HT-001"},
             page)
    assert r.status_code == 303
    row = needs.row(nb)
    assert (row.stage, str(row.disbursed_amount_wan), row.contract_no) == (sla.DISBURSED, "48.50", "HT-001")
    html = bank.get(page).text
    assert "本需求在本行已办结" in html and "放款" in html and html.count("<li>") >= 6  # the timeline


def test_business_claim_is_confirmed_or_rejected(app, clock, needs, bank):
    from shoudai.lending import actions

    ids = [needs.push()["ICBC"] for _ in range(2)]
    for nb in ids:
        assert post(bank, f"/bank/needs/{nb}/answer", {}, f"/bank/needs/{nb}").status_code == 303
        with session_scope(app.state.engine) as s:
            row = s.get(NeedBank, nb)
            actions.claim_conditions_met(s, s.get(Need, row.need_id), nb, actor="enterprise", now=clock())
    assert 'data-testid="confirm-claim"' in bank.get(f"/bank/needs/{ids[0]}").text
    assert post(bank, f"/bank/needs/{ids[0]}/confirm-claim", {}, f"/bank/needs/{ids[0]}").status_code == 303
    assert post(bank, f"/bank/needs/{ids[1]}/reject-claim", {"note": "缺纳税证明"},
                f"/bank/needs/{ids[1]}").status_code == 303
    assert (needs.row(ids[0]).stage, needs.row(ids[1]).stage) == (sla.CONDITIONS_MET, sla.INTENT)


def test_a_decline_needs_a_reason_code(app, clock, needs, bank):
    nb = needs.push()["ICBC"]
    page = f"/bank/needs/{nb}"
    r = post(bank, f"{page}/decline", {"reason": "", "note": "不符合"}, page)
    assert r.status_code == 422 and "请选择拒绝原因" in r.text
    row = needs.row(nb)
    assert row.stage == sla.PUSHED and row.decline_note is None  # the refused step left nothing behind
    assert post(bank, f"{page}/decline", {"reason": "no_cash_flow"}, page).status_code == 303
    assert (needs.row(nb).stage, needs.row(nb).decline_reason) == (sla.DECLINED, "no_cash_flow")
    # At the decision too: declining without a reason is refused.
    nb2 = needs.push()["ICBC"]
    p2 = f"/bank/needs/{nb2}"
    for action in ("answer", "conditions-met", "accept"):
        assert post(bank, f"{p2}/{action}", {}, p2).status_code == 303
    assert post(bank, f"{p2}/decide", {"outcome": "decline"}, p2).status_code == 422
    assert needs.row(nb2).stage == sla.ACCEPTED
    assert post(bank, f"{p2}/decide", {"outcome": "decline", "reason": "credit_record"}, p2).status_code == 303
    assert needs.row(nb2).stage == sla.DECLINED


ROUTES = ("answer", "decline", "conditions-met", "confirm-claim", "reject-claim", "accept", "decide", "disburse",
          "reveal")


def test_another_banks_need_is_404_on_every_route(app, clock, needs, bank):
    theirs = needs.push(banks=("CCB",))["CCB"]
    mine = needs.push()["ICBC"]
    assert bank.get(f"/bank/needs/{theirs}").status_code == 404
    assert bank.get("/bank/needs/999999").status_code == 404
    for route in ROUTES:
        data = {"reason": "other", "outcome": "decline", "purpose": "核实联系方式", "amount_wan": "1",
                "disbursed_on": "2026-11-01", "contract_no": "X"}
        assert post(bank, f"/bank/needs/{theirs}/{route}", data).status_code == 404, route
    r = post(bank, "/bank/needs/bulk-answer", {"need_bank_id": [str(mine), str(theirs)]})
    assert r.status_code == 404
    assert needs.row(theirs).stage == sla.PUSHED and needs.row(mine).stage == sla.PUSHED
    # Other roles do not get the workbench at all.
    county = signed_in_fresh_step(app, clock, "county410702")
    assert county.get("/bank/needs").status_code == 403
    assert county.get(f"/bank/needs/{mine}").status_code == 403


def test_bulk_answer_is_all_or_nothing_and_reported_per_row(app, clock, needs, bank):
    a, b, c = (needs.push()["ICBC"] for _ in range(3))
    assert post(bank, f"/bank/needs/{c}/answer", {}, f"/bank/needs/{c}").status_code == 303
    r = post(bank, "/bank/needs/bulk-answer", {"need_bank_id": [str(a), str(b), str(c)],
                                               "condition": sla.CONDITION_HINTS[1]})
    assert r.status_code == 409
    ref_c = needs.ref(c)
    assert f'class="wb-bad" data-testid="bulk-{ref_c}"><td>{ref_c}</td><td>当前阶段不允许此操作' in r.text
    assert 'class="wb-ok" data-testid="bulk-' + needs.ref(a) in r.text
    assert (needs.row(a).stage, needs.row(b).stage) == (sla.PUSHED, sla.PUSHED)
    r = post(bank, "/bank/needs/bulk-answer", {"need_bank_id": [str(a), str(b)], "condition": sla.CONDITION_HINTS[1],
                                               "extra": "法人到场"})
    assert r.status_code == 303
    html = bank.get(r.headers["location"]).text
    assert needs.ref(a) in html and "已答复 2 条" in html
    for nb in (a, b):
        row = needs.row(nb)
        assert row.stage == sla.INTENT and sla.CONDITION_HINTS[1] in row.conditions and "法人到场" in row.conditions
    assert post(bank, "/bank/needs/bulk-answer", {}).status_code == 422  # nothing ticked


def _sheet(content: bytes):
    return list(openpyxl.load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def test_export_is_masked_and_a_stated_purpose_unmasks_for_bank_hq_only(app, clock, needs, bank):
    needs.push(contact="欧阳娜娜")
    r = post(bank, "/bank/needs/export", {})
    assert r.status_code == 200 and r.headers["content-disposition"].startswith("attachment")
    rows = _sheet(r.content)
    assert rows[2][-2:] == ("欧阳*", "139****0001")
    r = post(bank, "/bank/needs/export", {"purpose": "电话回访企业"})
    assert _sheet(r.content)[2][-2:] == ("欧阳娜娜", "13903730001")
    officer = signed_in_fresh_step(app, clock, "officer")
    r = post(officer, "/bank/needs/export", {"purpose": "电话回访企业"})
    assert _sheet(r.content)[2][-2:] == ("欧阳*", "139****0001")
    with session_scope(app.state.engine) as s:
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.action.in_(
            ("workbench.export", "pii.reveal"))))]
    assert actions.count("workbench.export") == 3 and actions.count("pii.reveal") == 1


def test_reveal_on_the_need_page_needs_a_purpose_and_is_audited(app, clock, needs, bank):
    nb = needs.push()["ICBC"]
    page = f"/bank/needs/{nb}"
    r = post(bank, f"{page}/reveal", {"purpose": ""}, page)
    assert r.status_code == 422 and "王小明" not in r.text
    r = post(bank, f"{page}/reveal", {"purpose": "约企业面谈"}, page)
    assert r.status_code == 200 and "王小明 13903730001" in r.text
    with session_scope(app.state.engine) as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "pii.reveal")).one()
        assert (ev.object_type, ev.object_id, ev.actor) == ("need_bank", str(nb), "bankhq")


def test_a_deadline_in_an_unpublished_year_is_flagged(app, clock, needs):
    from datetime import datetime

    from shoudai.kit.calendar import SHANGHAI, WorkCalendar

    unknown = next(y for y in range(clock().year, clock().year + 50) if not WorkCalendar().library_knows(y))
    clock.t = max(clock(), datetime(unknown - 1, 12, 30, 10, tzinfo=SHANGHAI))
    nb = needs.push()["ICBC"]
    bank = signed_in_fresh_step(app, clock, "bankhq")
    row = re.search(rf'data-testid="row-{needs.ref(nb)}".*?</tr>', bank.get("/bank/needs").text, re.DOTALL).group(0)
    assert "临时日历" in row
    assert 'data-testid="provisional"' in bank.get(f"/bank/needs/{nb}").text


def test_a_late_refusal_in_a_bulk_answer_undoes_the_rows_already_answered(app, clock, needs, bank, monkeypatch):
    from shoudai.lending import actions
    from shoudai.lending.common import LendingError

    a, b = needs.push()["ICBC"], needs.push()["ICBC"]
    real = actions.answer

    def racing(session, need_bank_id, *args, **kw):
        if need_bank_id == b:  # as if another officer answered b between the check and the write
            raise LendingError("bad_transition", "当前阶段不允许此操作")
        return real(session, need_bank_id, *args, **kw)

    monkeypatch.setattr(actions, "answer", racing)
    r = post(bank, "/bank/needs/bulk-answer", {"need_bank_id": [str(a), str(b)]})
    assert r.status_code == 409 and 'data-testid="bulk-results"' in r.text
    assert (needs.row(a).stage, needs.row(b).stage) == (sla.PUSHED, sla.PUSHED)


def test_the_timeline_shows_this_banks_steps_only(app, clock, needs, bank):
    from shoudai.lending import actions

    tracks = needs.push(banks=("ICBC", "CCB"))
    with session_scope(app.state.engine) as s:
        actions.decline(s, tracks["CCB"], "too_new", "经营不足一年", bank_code="CCB", actor="ccb.officer", now=clock())
    html = bank.get(f"/bank/needs/{tracks['ICBC']}").text
    timeline = re.search(r'data-testid="timeline">(.*?)</ol>', html, re.DOTALL).group(1)
    assert "推送至本行" in timeline and "企业提交需求" in timeline
    assert "拒绝" not in timeline and "ccb.officer" not in html and "经营不足一年" not in html


def test_after_consent_is_withdrawn_the_contact_is_gone(app, clock, needs, bank):
    from shoudai.lending import actions

    nb = needs.push()["ICBC"]
    with session_scope(app.state.engine) as s:
        actions.withdraw_consent(s, s.get(Need, s.get(NeedBank, nb).need_id), actor="enterprise", now=clock())
    ref = needs.ref(nb)
    assert ref not in bank.get("/bank/needs").text  # closed tracks leave the working queue
    row = re.search(rf'data-testid="row-{ref}".*?</tr>', bank.get("/bank/needs?stage=withdrawn").text,
                    re.DOTALL).group(0)
    assert "已撤回授权" in row and "139" not in row
    page = f"/bank/needs/{nb}"
    html = bank.get(page).text
    assert 'data-testid="consent-withdrawn"' in html and "139" not in html and 'data-testid="answer"' not in html
    r = post(bank, f"{page}/reveal", {"purpose": "核实联系方式"}, page)
    assert r.status_code == 409 and "13903730001" not in r.text
    assert post(bank, f"{page}/answer", {}, page).status_code == 409
