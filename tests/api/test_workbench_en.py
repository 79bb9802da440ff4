"""English a switch away (X5) on the bank workbench and the 211 compliance page: no Chinese chrome once a user
switches; businesses, counties, banks, people and what the bank or business wrote stay as recorded (translate="no")."""

from __future__ import annotations

import io

import openpyxl
import pytest

from shoudai.db import session_scope
from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import sla, sweep
from shoudai.web.pages.workbench import HINT_KEYS

from .conftest import signed_in_fresh_step
from .test_lists_pages_en import CJK, chrome_cjk, english, title_of
from .test_workbench import Needs, post


@pytest.fixture
def needs(app, clock) -> Needs:
    return Needs(app, clock)


def walk(client, nb: int, steps: tuple[tuple[str, dict], ...]) -> None:
    page = f"/bank/needs/{nb}"
    for action, data in steps:
        assert post(client, f"{page}/{action}", data, page).status_code == 303, action


@pytest.fixture
def worked(app, clock, needs):
    """ICBC's needs in every kind of stage the need page draws, one with a breach swept; CCB's needs too."""
    month = clock().astimezone(SHANGHAI).strftime("%Y-%m")
    late = needs.push(banks=("ICBC", "CCB"))["ICBC"]
    clock.advance(days=10)
    with session_scope(app.state.engine) as s:
        assert sweep.sweep(s, now=clock())["answer"] == 2
    bank = signed_in_fresh_step(app, clock, "bankhq")
    ids = {"late": late}
    ids["pushed"] = needs.push()["ICBC"]
    ids["intent"] = needs.push()["ICBC"]
    walk(bank, ids["intent"], (("answer", {"condition": list(sla.CONDITION_HINTS[:2]), "extra": "提供购销合同"}),))
    ids["accepted"] = needs.push()["ICBC"]
    walk(bank, ids["accepted"], (("answer", {}), ("conditions-met", {}), ("accept", {})))
    ids["approved"] = needs.push()["ICBC"]
    walk(bank, ids["approved"], (("answer", {}), ("conditions-met", {}), ("accept", {}), ("decide", {"outcome": "approve"})))
    ids["declined"] = needs.push()["ICBC"]
    walk(bank, ids["declined"], (("decline", {"reason": "too_new", "note": "经营不足一年"}),))
    return {"bank": bank, "admin": signed_in_fresh_step(app, clock, "admin"),
            "officer": signed_in_fresh_step(app, clock, "officer"), "ids": ids, "month": month}


def pages(worked) -> list[tuple[str, str]]:
    ids = worked["ids"]
    return [("bank", "/bank/needs"), ("bank", "/bank/needs?stage=declined"), ("officer", "/bank/needs"),
            *[("bank", f"/bank/needs/{nb}") for nb in ids.values()],
            ("bank", f"/lending/compliance?month={worked['month']}"),
            ("admin", f"/lending/compliance?month={worked['month']}"), ("admin", "/lending/compliance")]


def test_workbench_and_compliance_have_no_chinese_chrome_in_english(worked):
    for who, path in pages(worked):
        zh = worked[who].get(path)
        assert zh.status_code == 200 and chrome_cjk(zh.text), (who, path)  # the check sees Chinese chrome
    for who in ("bank", "admin", "officer"):
        english(worked[who])
    for who, path in pages(worked):
        r = worked[who].get(path)
        assert r.status_code == 200, (who, path)
        assert chrome_cjk(r.text) == [], (who, path)
        assert not CJK.search(title_of(r.text)), (path, title_of(r.text))
    ids, bank = worked["ids"], worked["bank"]
    queue = bank.get("/bank/needs").text
    assert "Awaiting answer" in queue and "2 working days left" in queue and "红旗区测试商行" in queue
    declined = bank.get(f"/bank/needs/{ids['declined']}").text
    # The reason is a code (translated); the bank's note is data (kept).
    assert "In business too short a time" in declined and "经营不足一年" in declined and "经营时间过短" not in declined
    intent = bank.get(f"/bank/needs/{ids['intent']}").text
    assert "提供购销合同" in intent and "Unsecured (credit)" in intent and "Answer clock" not in intent
    pushed = bank.get(f"/bank/needs/{ids['pushed']}").text
    assert "Bank statements for the last 6 months" in pushed
    assert f'value="{sla.CONDITION_HINTS[0]}"' in pushed  # what is sent and stored stays the business's text
    assert set(sla.CONDITION_HINTS) == set(HINT_KEYS)  # an offered condition without a label would show in Chinese
    compliance = worked["admin"].get(f"/lending/compliance?month={worked['month']}").text
    assert "Answer clock (2 working days)" in compliance and "工商银行" in compliance
    assert '"rate": "On-time rate (%)"' in compliance  # the chart's series names


def test_refusals_are_shown_in_english(worked):
    bank, ids = english(worked["bank"]), worked["ids"]
    page = f"/bank/needs/{ids['accepted']}"
    r = post(bank, f"{page}/decide", {}, page)
    assert r.status_code == 422 and "Choose the decision" in r.text and "请选择" not in r.text
    r = post(bank, f"{page}/accept", {}, page)
    assert r.status_code == 409 and "not allowed at the current stage (Accepted, to decide)" in r.text
    assert chrome_cjk(r.text) == []
    page = f"/bank/needs/{ids['approved']}"
    r = post(bank, f"{page}/disburse", {"amount_wan": "0", "disbursed_on": "2026-11-01", "contract_no": "H1"}, page)
    assert r.status_code == 422 and "must be above 0" in r.text
    r = post(bank, f"/bank/needs/{ids['pushed']}/reveal", {"purpose": ""}, f"/bank/needs/{ids['pushed']}")
    assert r.status_code == 422 and "State the purpose" in r.text
    r = post(bank, "/bank/needs/bulk-answer", {"need_bank_id": [str(ids["pushed"]), str(ids["intent"])]})
    assert r.status_code == 409 and chrome_cjk(r.text) == []
    assert "Can be answered" in r.text and "Not allowed at the current stage (Answered, conditions pending)" in r.text
    # The same refusals in Chinese are the domain's words, as before.
    zh = worked["officer"]
    r = post(zh, "/bank/needs/bulk-answer", {"need_bank_id": [str(ids["pushed"]), str(ids["intent"])]})
    assert r.status_code == 409 and "当前阶段不允许此操作（当前：intent）" in r.text


def rows_of(content: bytes) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_excel_follows_the_users_language(worked):
    bank = worked["bank"]
    zh = rows_of(post(bank, "/bank/needs/export", {}).content)
    assert list(zh) == ["融资需求"] and zh["融资需求"][1][:3] == ("序号", "需求编号", "企业名称")
    english(bank)
    sheets = rows_of(post(bank, "/bank/needs/export", {}).content)
    (name, rows), = sheets.items()
    assert name == "Loan needs" and rows[0][0].startswith("Our bank's loan needs (")
    assert rows[1][:4] == ("No.", "Need no.", "Business", "County")
    assert not any(CJK.search(h) for h in rows[1])
    stages = {row[6] for row in rows[2:]}
    assert "Awaiting answer" in stages and not any(CJK.search(s) for s in stages)
    assert any(CJK.search(row[2]) for row in rows[2:])  # the business's name is data
    book = rows_of(post(bank, "/lending/compliance/export", {"month": worked["month"]}, "/lending/compliance").content)
    assert list(book) == ["211 compliance", "Breaches"]
    table, lines = book.values()
    assert table[1][:3] == ("No.", "Rank", "Bank") and not any(CJK.search(h) for h in table[1] + lines[1])
    assert lines[2][4] == "Answer clock (2 working days)" and lines[2][1] == "工商银行"
