"""English a switch away (X5) on the oversight dashboard, the reports page and the city admin's pages: no Chinese
chrome once a user switches; banks, counties, programmes, borrowers, people and written reasons stay as recorded
(translate="no"), and the official Chinese documents (bulletin, assessment, subsidy) stay Chinese."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from shoudai.db import session_scope
from shoudai.oversight.compensation import report_loss, set_share
from shoudai.oversight.reports.corrections import close_month, correct_loan
from shoudai.oversight.reports.service import import_report
from shoudai.oversight.targets import create_programme

from ..integration.oversight.factories import uscc
from .conftest import page_token
from .conftest import signed_in_fresh_step as signed_in
from .test_lists_pages_en import CJK, chrome_cjk, english, title_of
from .test_oversight_admin_pages import HEADERS, PAGES, SYSTEM, report


@pytest.fixture
def seeded(app, clock) -> str:
    """Last month: ICBC's 4 loans in 红旗区 (one guaranteed, with a loss claimed), CCB's 2 in 卫辉市; a programme for the
    year; the month closed with one correction."""
    period = (clock().date().replace(day=1) - date.resolution).strftime("%Y-%m")
    year = int(period[:4])
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for i in range(1, 4):
        w.writerow(["ICBC", uscc("410702", i), "", f"红旗商贸{i}", f"ICBC-{i}", f"{period}-05", "10", "12", "3.85", "信用",
                    "", ""])
    w.writerow(["ICBC", uscc("410702", 9), "", "红旗担保户", "ICBC-G1", f"{period}-06", "40", "12", "3.85",
                "政府性融资担保", "新乡市融资担保公司", "1.0"])
    with session_scope(app.state.engine) as s:
        a = import_report(s, buf.getvalue().encode("utf-8-sig"), bank_code="ICBC", period=period, file_name="工行.csv",
                          actor="test", now=clock())
        b = import_report(s, report(period, [("CCB", uscc("410781", i), f"CCB-{i}", "50") for i in (1, 2)]),
                          bank_code="CCB", period=period, file_name="ccb.csv", actor="test", now=clock())
        assert a.status == b.status == "applied", (a.problems, b.problems)
        create_programme(s, name="测试专项行动", starts_on=date(year, 1, 1), ends_on=date(year, 12, 31), households=100,
                         amount_fen=10_000 * 1_000_000, actor=SYSTEM, now=clock())
        set_share(s, clock().year, Decimal("0.3"), actor=SYSTEM, now=clock())
        report_loss(s, bank_code="ICBC", contract_no="ICBC-G1", loss_fen=10_000_00, reported_on=clock().date(),
                    actor="test", now=clock())
        close_month(s, period, actor=SYSTEM, now=clock())
        correct_loan(s, bank_code="CCB", contract_no="CCB-2", values=None, reason="重复报送", actor=SYSTEM, now=clock())
    return period


def admin_pages(period: str) -> list[str]:
    year = period[:4]
    return [f"/oversight?month={period}", "/oversight/reports", "/oversight/reports?batch=1",
            *[f"{p}?year={year}" for p in PAGES[:3]], f"/oversight/admin/corrections?month={period}",
            "/oversight/admin/corrections?bank=ICBC&contract=ICBC-1", *PAGES[3:]]


def test_oversight_pages_have_no_chinese_chrome_in_english(app, clock, seeded):
    admin = signed_in(app, clock, "admin")
    county, bank = signed_in(app, clock, "county410702"), signed_in(app, clock, "bankhq")
    visits = [(admin, p) for p in admin_pages(seeded)] + [(county, f"/oversight?month={seeded}"),
                                                           (bank, f"/oversight?month={seeded}"), (bank, "/oversight/reports")]
    for c, path in visits:
        zh = c.get(path)
        assert zh.status_code == 200 and chrome_cjk(zh.text), path  # the check sees Chinese chrome
    dropped = admin.get(f"/oversight/admin/assessment?year={seeded[:4]}").text.count("本年度无数据，未计分")
    for c in (admin, county, bank):
        english(c)
    for c, path in visits:
        r = c.get(path)
        assert r.status_code == 200, path
        assert chrome_cjk(r.text) == [], path
        assert not CJK.search(title_of(r.text)), (path, title_of(r.text))
    dash = admin.get(f"/oversight?month={seeded}").text
    assert "红旗区" in dash and "建设银行" in dash  # names are data
    assert '"households": "First-loan businesses"' in dash  # the charts' series names
    targets = admin.get(f"/oversight/admin/targets?year={seeded[:4]}").text
    assert "测试专项行动" in targets and "Whole city" in targets and "全市" not in targets
    assessment = admin.get(f"/oversight/admin/assessment?year={seeded[:4]}").text
    assert "Xinxiang: annual assessment of first loans to small businesses" in assessment
    assert "Indicators and points: First-loan businesses 30" in assessment and "value ÷ best" in assessment
    assert assessment.count("has no data this year") == dropped > 0  # the same notes as the Chinese page
    comp = admin.get("/oversight/admin/compensation").text
    assert "Pending" in comp and "新乡市融资担保公司" in comp and "红旗担保户" in comp
    fixes = admin.get(f"/oversight/admin/corrections?month={seeded}").text
    assert "重复报送" in fixes
    subsidy = admin.get(f"/oversight/admin/subsidy?year={seeded[:4]}").text
    assert "Loans of the year counted as first loans" in subsidy


def test_a_refused_upload_names_its_columns_in_english(app, clock, seeded):
    bank = english(signed_in(app, clock, "bankhq"))
    other = report(seeded, [("建设银行", uscc("410781", 7), "CCB-7", "5")])
    r = bank.post("/oversight/reports/upload", data={"period": seeded, "csrf_token": page_token(bank, "/oversight/reports")},
                  files={"file": ("ccb.csv", other, "text/csv")})
    assert r.status_code == 422 and chrome_cjk(r.text) == []
    problems = r.text[r.text.index('data-testid="problems"'):]
    assert "<td>2</td><td>Bank</td>" in problems and "与报送银行不一致" in problems  # the checker's reason is kept


def test_admin_forms_refuse_in_english_and_documents_stay_chinese(app, clock, seeded):
    admin = english(signed_in(app, clock, "admin"))
    year = seeded[:4]
    token = page_token(admin, f"/oversight/admin/targets?year={year}")
    pid = re.search(r'name="programme_id" value="(\d+)"', admin.get(f"/oversight/admin/targets?year={year}").text).group(1)
    r = admin.post("/oversight/admin/targets/set", data={"programme_id": pid, "year": year, "level": "bank",
                                                         "code": "ICBC", "households": "-1", "amount_wan": "1",
                                                         "csrf_token": token})
    assert "The target must be a whole number, 0 or more" in r.text and chrome_cjk(r.text) == []
    r = admin.post("/oversight/admin/assessment/weights", data={"year": year, "weight_amount": "x", "csrf_token": token})
    assert "Weights must be numbers" in r.text
    r = admin.post("/oversight/admin/subsidy/rule", data={"year": year, "rate_per_mille": "abc", "csrf_token": token})
    assert "The rate or a date is not valid" in r.text
    r = admin.post("/oversight/admin/corrections", data={"bank_code": "", "contract_no": "", "reason": "x",
                                                         "csrf_token": token})
    assert r.status_code == 422 and "Enter the bank and the contract number" in r.text
    r = admin.post("/oversight/admin/assessment/download", data={"year": year, "csrf_token": token})
    book = load_workbook(io.BytesIO(r.content))
    assert any(CJK.search(ws.title) for ws in book.worksheets)  # the official assessment stays Chinese
