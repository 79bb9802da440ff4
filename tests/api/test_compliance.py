"""The 211 compliance page: figures equal the domain's, bank HQ sees its own bank only, breaches listed, Excel."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import openpyxl
import pytest

from shoudai.db import session_scope
from shoudai.kit.calendar import SHANGHAI
from shoudai.lending import compliance, sweep, views
from shoudai.lending.models import NeedBank

from .conftest import page_token, signed_in_fresh_step
from .test_workbench import Needs, post


@pytest.fixture
def needs(app, clock) -> Needs:
    return Needs(app, clock)


def cells(html: str, bank: str) -> dict[str, str]:
    row = re.search(rf'<tr data-testid="bank-{bank}">(.*?)</tr>', html, re.DOTALL).group(1)
    return dict(re.findall(r'data-testid="([a-z-]+)">(?:<b>)?([^<]*)', row))


def test_figures_equal_the_domain_and_each_bank_sees_its_own(app, clock, needs):
    month = clock().astimezone(SHANGHAI).strftime("%Y-%m")
    icbc = [needs.push(banks=("ICBC", "CCB")) for _ in range(3)]
    bank = signed_in_fresh_step(app, clock, "bankhq")
    first = icbc[0]["ICBC"]
    assert post(bank, f"/bank/needs/{first}/answer", {}, f"/bank/needs/{first}").status_code == 303
    # Ten days on every unanswered answer clock has run out; the sweep records the breaches.
    clock.advance(days=10)
    with session_scope(app.state.engine) as s:
        assert sweep.sweep(s, now=clock())["answer"] == 5  # ICBC's two silent tracks and CCB's three
    with session_scope(app.state.engine) as s:
        start, end = compliance.month_bounds(*map(int, month.split("-")))
        domain = {r["bank_code"]: r for r in views.compliance_by_bank(s, start=start, end=end)}
    assert domain["ICBC"]["pushed"] == 3 and domain["ICBC"]["answer_breaches"] == 2

    admin = signed_in_fresh_step(app, clock, "admin")
    html = admin.get(f"/lending/compliance?month={month}").text
    for code in ("ICBC", "CCB"):
        got = cells(html, code)
        d = domain[code]
        assert (int(got["pushed"]), int(got["answer-breaches"]), int(got["accept-breaches"]),
                int(got["decide-breaches"])) == (d["pushed"], d["answer_breaches"], d["accept_breaches"],
                                                 d["decide_breaches"])
        assert got["rate"] == f"{d['on_time_rate'] * 100:.1f}%"
    assert cells(html, "ICBC")["answered-on-time"] == "1"
    # Ranked: ICBC (1 of 3 on time) above CCB (0 of 3).
    assert html.index('data-testid="bank-ICBC"') < html.index('data-testid="bank-CCB"')
    assert html.count('-answer"') == 5 and 'data-cp=' in html  # five breaches listed, the chart's data

    bank = signed_in_fresh_step(app, clock, "bankhq")
    mine = bank.get(f"/lending/compliance?month={month}").text
    assert 'data-testid="bank-ICBC"' in mine and 'data-testid="bank-CCB"' not in mine
    assert mine.count('-answer"') == 2
    r = bank.post("/lending/compliance/export", data={"month": month, "csrf_token": page_token(bank, "/lending/compliance")})
    assert r.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    table, lines = (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
    assert len(table) == 3 and table[2][2] == "工商银行" and table[2][3] == 3
    assert len(lines) == 4 and {row[1] for row in lines[2:]} == {"工商银行"}


def test_other_months_and_roles(app, clock, needs):
    needs.push()
    admin = signed_in_fresh_step(app, clock, "admin")
    next_month = (clock().astimezone(SHANGHAI).replace(day=1) + timedelta(days=40)).strftime("%Y-%m")
    assert "本月暂无推送的需求" in admin.get(f"/lending/compliance?month={next_month}").text
    assert 'data-testid="bank-ICBC"' in admin.get("/lending/compliance?month=bad").text  # falls back to this month
    officer = signed_in_fresh_step(app, clock, "officer")
    assert officer.get("/lending/compliance").status_code == 403
    with session_scope(app.state.engine) as s:
        assert s.query(NeedBank).count() == 1
