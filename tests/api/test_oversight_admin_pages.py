"""City admin oversight pages: targets with progress and hand edits, assessment weights and ranks, subsidy statements
and workbook, recorded corrections; all refused to a county officer and a bank HQ."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from shoudai.audit.actor import Actor
from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope
from shoudai.oversight.compensation import report_loss, set_share
from shoudai.oversight.models import CompensationClaim, FirstLoan, LoanCorrection
from shoudai.oversight.reports.corrections import close_month
from shoudai.oversight.reports.service import import_report
from shoudai.oversight.subsidy import statements
from shoudai.oversight.targets import create_programme

from ..integration.oversight.factories import uscc
from .conftest import page_token
from .conftest import signed_in_fresh_step as signed_in

HEADERS = ["金融机构", "借款人统一社会信用代码", "借款人证件号码", "借款人名称", "合同编号", "发放日期", "金额(万元)",
           "期限(月)", "年利率(%)", "担保方式", "担保机构", "担保费率(%)"]
PAGES = ("/oversight/admin/targets", "/oversight/admin/assessment", "/oversight/admin/subsidy",
         "/oversight/admin/corrections", "/oversight/admin/compensation")
SYSTEM = Actor.system("test")


def report(period: str, rows: list[tuple[str, str, str, str]]) -> bytes:
    """A 首贷发放明细 CSV from (bank, uscc, contract no., amount 万元) rows, disbursed on the 5th of `period`."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for bank, code, contract, amount in rows:
        w.writerow([bank, code, "", f"企业{code[-4:]}", contract, f"{period}-05", amount, "12", "3.85", "信用", "", ""])
    return buf.getvalue().encode("utf-8-sig")


@pytest.fixture
def seeded(app, clock) -> str:
    """ICBC: 4 loans of 10 万元 in 红旗区; CCB: 3 loans of 777.7777 万元 in 卫辉市; last month; a programme for its year."""
    period = (clock().date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    year = int(period[:4])
    with session_scope(app.state.engine) as s:
        a = import_report(s, report(period, [("ICBC", uscc("410702", i), f"ICBC-{i}", "10") for i in range(1, 5)]),
                          bank_code="ICBC", period=period, file_name="icbc.csv", actor="test", now=clock())
        b = import_report(s, report(period, [("CCB", uscc("410781", i), f"CCB-{i}", "777.7777") for i in (1, 2, 3)]),
                          bank_code="CCB", period=period, file_name="ccb.csv", actor="test", now=clock())
        assert a.status == b.status == "applied", (a.problems, b.problems)
        create_programme(s, name="测试专项行动", starts_on=date(year, 1, 1), ends_on=date(year, 12, 31), households=100,
                         amount_fen=10_000 * 1_000_000, actor=SYSTEM, now=clock())
    return period


def test_pages_are_for_the_city_admin_only(app, clock, seeded):
    admin = signed_in(app, clock, "admin")
    for path in PAGES:
        r = admin.get(path)
        assert r.status_code == 200, path
        assert 'data-testid="admin-nav"' in r.text
        assert 'data-testid="nav-oversight-admin"' in r.text
    for name in ("county410702", "bankhq"):
        c = signed_in(app, clock, name)
        token = page_token(c)
        assert 'nav-oversight-admin' not in c.get("/").text
        for path in PAGES:
            assert c.get(path).status_code == 403, (name, path)
        for path, data in (("/oversight/admin/targets/set", {"programme_id": "1", "year": "2026", "level": "bank",
                                                              "code": "ICBC", "households": "1", "amount_wan": "1"}),
                           ("/oversight/admin/assessment/weights", {"year": "2026", "weight_households": "1"}),
                           ("/oversight/admin/assessment/download", {"year": "2026"}),
                           ("/oversight/admin/subsidy/download", {"year": "2026"}),
                           ("/oversight/admin/corrections", {"bank_code": "ICBC", "contract_no": "ICBC-1",
                                                             "reason": "x", "withdraw": "1"})):
            assert c.post(path, data={**data, "csrf_token": token}).status_code == 403, (name, path)
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(FirstLoan).where(FirstLoan.contract_no == "ICBC-1")) is not None


def test_target_edit_changes_progress(app, clock, seeded):
    year = seeded[:4]
    c = signed_in(app, clock, "admin")
    r = c.get(f"/oversight/admin/targets?year={year}")
    assert "测试专项行动" in r.text
    assert 'data-testid="hh-pct-bank-ICBC">—<' in r.text  # no bank target yet
    token = page_token(c, f"/oversight/admin/targets?year={year}")
    pid = re.search(r'name="programme_id" value="(\d+)"', r.text).group(1)
    r = c.post("/oversight/admin/targets/set", data={"programme_id": pid, "year": year, "level": "bank", "code": "ICBC",
                                                     "households": "8", "amount_wan": "80", "csrf_token": token},
               follow_redirects=False)
    assert r.status_code == 303 and "msg=saved" in r.headers["location"]
    r = c.get(f"/oversight/admin/targets?year={year}")
    assert 'data-testid="hh-pct-bank-ICBC">50.00%<' in r.text  # 4 of 8 households
    with session_scope(app.state.engine) as s:
        ev = s.scalars(select(AuditEvent).where(AuditEvent.action == "oversight.target.edited")).all()
        assert [e.actor for e in ev] == ["admin"]
    bad = c.post("/oversight/admin/targets/set", data={"programme_id": pid, "year": year, "level": "bank",
                                                       "code": "ICBC", "households": "-1", "amount_wan": "80",
                                                       "csrf_token": token}, follow_redirects=False)
    assert "error=" in bad.headers["location"]
    assert 'data-testid="hh-pct-bank-ICBC">50.00%<' in c.get(f"/oversight/admin/targets?year={year}").text


def rank(text: str, key: str, code: str) -> str:
    return re.search(rf'data-testid="rank-{key}-{code}">(\d*)<', text).group(1)


def test_weights_change_the_ranking(app, clock, seeded):
    year = seeded[:4]
    c = signed_in(app, clock, "admin")
    url = f"/oversight/admin/assessment?year={year}"
    token = page_token(c, url)

    def weigh(**weights) -> str:
        r = c.post("/oversight/admin/assessment/weights",
                   data={"year": year, "csrf_token": token, **{f"weight_{k}": v for k, v in weights.items()}})
        assert r.status_code == 200 and 'data-testid="msg"' in r.text
        return r.text

    text = weigh(households="100")  # ICBC has more first-loan households (4 against 3)
    assert rank(text, "banks", "ICBC") == "1" and rank(text, "banks", "CCB") == "2"
    assert rank(text, "units", "410702") == "1"
    text = weigh(amount="100")  # CCB lent far more
    assert rank(text, "banks", "CCB") == "1" and rank(text, "banks", "ICBC") == "2"
    assert rank(text, "units", "410781") == "1"
    r = c.post("/oversight/admin/assessment/weights", data={"year": year, "csrf_token": token, "weight_amount": "x"})
    assert 'data-testid="error"' in r.text and rank(r.text, "banks", "CCB") == "1"  # refused, the scheme stays
    r = c.post("/oversight/admin/assessment/download", data={"year": year, "csrf_token": token})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    wb = load_workbook(io.BytesIO(r.content))
    assert len(wb.sheetnames) >= 2


def test_subsidy_statement_and_workbook_agree(app, clock, seeded):
    year = seeded[:4]
    c = signed_in(app, clock, "admin")
    r = c.get(f"/oversight/admin/subsidy?year={year}")
    # 3 × 777.7777 万元 = 23,333,331 元 × 0.5‰ = 11,666.6655 → 11,666.67 元 (half up, to the fen)
    assert 'data-testid="subsidy-CCB">11,666.67<' in r.text
    assert 'data-testid="subsidy-ICBC">200.00<' in r.text
    assert 'data-testid="subsidy-total">11,866.67<' in r.text
    with session_scope(app.state.engine) as s:
        total_fen = sum(st.subsidy_fen for st in statements(s, int(year)))
    assert total_fen == 1_186_667
    token = page_token(c, f"/oversight/admin/subsidy?year={year}")
    r = c.post("/oversight/admin/subsidy/download", data={"year": year, "csrf_token": token})
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    ws = load_workbook(io.BytesIO(r.content))["汇总"]
    total_row = next(row for row in ws.iter_rows(values_only=True) if "合计" in row)
    assert Decimal(str(total_row[-1])) == Decimal(total_fen) / 100
    with session_scope(app.state.engine) as s:
        assert s.scalars(select(AuditEvent).where(AuditEvent.action == "oversight.subsidy.export")).all()


def test_correction_is_recorded_with_its_reason(app, clock, seeded):
    with session_scope(app.state.engine) as s:
        close_month(s, seeded, actor=SYSTEM, now=clock())
    c = signed_in(app, clock, "admin")
    r = c.get("/oversight/admin/corrections?bank=ICBC&contract=ICBC-1")
    assert r.status_code == 200 and 'data-testid="found"' in r.text and seeded in r.text
    assert 'name="amount" value="10' in r.text  # prefilled from the loan
    token = page_token(c, "/oversight/admin/corrections")
    values = {"uscc": uscc("410702", 1), "name": "企业更正", "disbursed_on": f"{seeded}-05", "amount": "12.5",
              "term": "12", "rate": "3.85", "guarantee_type": "信用"}
    r = c.post("/oversight/admin/corrections", data={"bank_code": "ICBC", "contract_no": "ICBC-1", **values,
                                                     "reason": "", "csrf_token": token})
    assert r.status_code == 422 and 'data-testid="error"' in r.text  # no reason, no correction
    assert 'value="企业更正"' in r.text  # the form keeps what was typed
    r = c.post("/oversight/admin/corrections", data={"bank_code": "ICBC", "contract_no": "ICBC-1", **values,
                                                     "reason": "银行报送金额有误", "csrf_token": token})
    assert r.status_code == 200 and 'data-testid="msg"' in r.text
    assert "银行报送金额有误" in r.text and "ICBC-1" in r.text
    with session_scope(app.state.engine) as s:
        fixes = s.scalars(select(LoanCorrection)).all()
        assert [(f.contract_no, f.reason, f.actor) for f in fixes] == [("ICBC-1", "银行报送金额有误", "admin")]
        loan = s.scalar(select(FirstLoan).where(FirstLoan.contract_no == "ICBC-1"))
        assert loan.amount_fen == 12_500_000
    r = c.get(f"/oversight/admin/corrections?month={seeded}")
    assert "银行报送金额有误" in r.text


def test_compensation_claim_is_approved_and_shows_in_the_ledger(app, clock, seeded):
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    w.writerow(["ICBC", uscc("410702", 9), "", "企业担保", "ICBC-G1", f"{seeded}-06", "40", "12", "3.85",
                "政府性融资担保", "新乡市融资担保公司", "1.0"])
    today = clock().date()
    with session_scope(app.state.engine) as s:
        r = import_report(s, buf.getvalue().encode("utf-8-sig"), bank_code="ICBC", period=seeded, file_name="g.csv",
                          actor="test", now=clock())
        assert r.status == "applied", r.problems
        set_share(s, today.year, Decimal("0.3"), actor=SYSTEM, now=clock())
        claim_id = report_loss(s, bank_code="ICBC", contract_no="ICBC-G1", loss_fen=10_000_00, reported_on=today,
                               actor="test", now=clock()).id
    c = signed_in(app, clock, "admin")
    r = c.get("/oversight/admin/compensation")
    assert f'data-testid="status-{claim_id}">待审批' in r.text and 'data-testid="pending-ICBC">3,000.00<' in r.text
    token = page_token(c, "/oversight/admin/compensation")
    url = f"/oversight/admin/compensation/{claim_id}/decide"
    r = c.post(url, data={"decision": "reject", "note": "", "csrf_token": token}, follow_redirects=False)
    assert "error=" in r.headers["location"]  # a rejection needs a reason
    r = c.post(url, data={"decision": "approve", "note": "材料齐全", "csrf_token": token})
    assert r.status_code == 200 and f'data-testid="status-{claim_id}">已批准' in r.text
    assert 'data-testid="approved-ICBC">3,000.00<' in r.text and 'data-testid="pending-ICBC">0.00<' in r.text
    with session_scope(app.state.engine) as s:
        claim = s.get(CompensationClaim, claim_id)
        assert (claim.status, claim.decided_by) == ("approved", "admin")
    r = c.post(url, data={"decision": "approve", "csrf_token": token}, follow_redirects=False)
    assert "error=" in r.headers["location"]  # decided once only


def test_subsidy_rule_changes_the_statement(app, clock, seeded):
    year = seeded[:4]
    c = signed_in(app, clock, "admin")
    token = page_token(c, f"/oversight/admin/subsidy?year={year}")
    r = c.post("/oversight/admin/subsidy/rule", data={"year": year, "rate_per_mille": "1", "eligible": "first",
                                                      "csrf_token": token})
    assert r.status_code == 200 and 'data-testid="msg"' in r.text
    assert 'data-testid="subsidy-ICBC">400.00<' in r.text  # 40 万元 × 1‰
    r = c.post("/oversight/admin/subsidy/rule", data={"year": year, "rate_per_mille": "abc", "csrf_token": token})
    assert 'data-testid="error"' in r.text and 'data-testid="subsidy-ICBC">400.00<' in r.text


def test_withdrawal_is_a_correction_and_compute_without_lists_is_explained(app, clock, seeded):
    year = seeded[:4]
    c = signed_in(app, clock, "admin")
    token = page_token(c, "/oversight/admin/corrections")
    r = c.post("/oversight/admin/corrections", data={"bank_code": "ICBC", "contract_no": "ICBC-2", "withdraw": "1",
                                                     "reason": "重复报送", "csrf_token": token})
    assert r.status_code == 200 and "重复报送" in r.text
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(FirstLoan).where(FirstLoan.contract_no == "ICBC-2")) is None
        fix = s.scalar(select(LoanCorrection))
        assert (fix.reason, fix.after) == ("重复报送", None) and "ICBC-2" in fix.before
    r = c.get(f"/oversight/admin/targets?year={year}")
    pid = re.search(r'name="programme_id" value="(\d+)"', r.text).group(1)
    r = c.post("/oversight/admin/targets/compute", data={"programme_id": pid, "year": year, "csrf_token": token})
    assert 'data-testid="error"' in r.text and "名单" in r.text  # no 无贷户名单 yet: nothing to split by
    assert 'data-testid="hh-pct-unit-410702">—<' in r.text
