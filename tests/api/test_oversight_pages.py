"""Oversight pages and API: scoped dashboard (no other county's or bank's figures), bulletin downloads, bank report
upload for the user's own bank only, month closing, CSRF on every POST, POST /api/v1/first-loans."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import select

from shoudai.accounts.demo import DEMO_PASSWORD, demo_totp_secret
from shoudai.accounts.scope import ScopeSpec
from shoudai.accounts.service import create_user
from shoudai.audit.actor import Actor
from shoudai.audit.models import AuditEvent
from shoudai.db import session_scope
from shoudai.oversight.models import FirstLoan
from shoudai.oversight.reports.service import import_report

from ..integration.oversight.factories import uscc
from .conftest import page_token
from .conftest import signed_in_fresh_step as signed_in

HEADERS = ["金融机构", "借款人统一社会信用代码", "借款人证件号码", "借款人名称", "合同编号", "发放日期", "金额(万元)",
           "期限(月)", "年利率(%)", "担保方式", "担保机构", "担保费率(%)"]
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]+)"')


def report(rows: list[tuple[str, str, str, str]]) -> bytes:
    """A 首贷发放明细 CSV from (bank, uscc, contract no., amount 万元) rows, disbursed on the 5th of PERIOD."""
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for bank, code, contract, amount in rows:
        w.writerow([bank, code, "", f"企业{code[-4:]}", contract, f"{PERIOD}-05", amount, "12", "3.85", "信用", "", ""])
    return buf.getvalue().encode("utf-8-sig")


PERIOD = ""  # set per test from the clock: last month, so every disbursement date is in the past


@pytest.fixture
def period(clock) -> str:
    global PERIOD
    PERIOD = (clock().date().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    return PERIOD


@pytest.fixture
def seeded(app, clock, period):
    """ICBC: 2 loans in 红旗区 (410702), 30 + 20 万元; CCB: 3 loans in 卫辉市 (410781), 777 万元 each."""
    with session_scope(app.state.engine) as s:
        a = import_report(s, report([("ICBC", uscc("410702", i), f"ICBC-{i}", a) for i, a in ((1, "30"), (2, "20"))]),
                          bank_code="ICBC", period=period, file_name="icbc.csv", actor="test", now=clock())
        b = import_report(s, report([("CCB", uscc("410781", i), f"CCB-{i}", "777") for i in (1, 2, 3)]),
                          bank_code="CCB", period=period, file_name="ccb.csv", actor="test", now=clock())
        assert a.status == b.status == "applied", (a.problems, b.problems)
    return period


def test_admin_sees_the_whole_city(app, clock, seeded):
    c = signed_in(app, clock, "admin")
    r = c.get(f"/oversight?month={seeded}")
    assert r.status_code == 200
    assert 'data-testid="cum-households">5<' in r.text
    assert "红旗区" in r.text and "卫辉市" in r.text and "建设银行" in r.text
    assert 'data-testid="downloads"' in r.text


def test_county_officer_sees_only_its_county(app, clock, seeded):
    c = signed_in(app, clock, "county410702")
    r = c.get(f"/oversight?month={seeded}")
    assert r.status_code == 200
    assert 'data-testid="cum-households">2<' in r.text and 'data-testid="month-amount">50.00万元' in r.text
    assert "红旗区" in r.text
    # BOLA: another county's and its bank's figures are nowhere on the page (cards, charts, bulletin table)
    assert "卫辉市" not in r.text and "410781" not in r.text and "建设银行" not in r.text and "2,331" not in r.text
    assert 'data-testid="downloads"' not in r.text
    assert c.post("/oversight/bulletin/download", data={"month": seeded, "kind": "xlsx",
                                                        "csrf_token": page_token(c)}).status_code == 403


def test_bank_hq_sees_only_its_bank(app, clock, seeded):
    c = signed_in(app, clock, "bankhq")
    r = c.get(f"/oversight?month={seeded}")
    assert r.status_code == 200 and 'data-testid="cum-households">2<' in r.text
    assert "建设银行" not in r.text and "2,331" not in r.text and "卫辉市" not in r.text


def test_other_roles_are_refused(app, clock):
    for name in ("officer", "clerk", "enterprise"):
        c = signed_in(app, clock, name)
        assert c.get("/oversight").status_code == 403, name
        assert c.get("/oversight/reports").status_code == 403, name


def test_downloads_open(app, clock, seeded):
    c = signed_in(app, clock, "admin")
    token = page_token(c, "/oversight")
    files = {}
    for kind in ("xlsx", "pdf", "by_county.csv", "by_bank.csv"):
        r = c.post("/oversight/bulletin/download", data={"month": seeded, "kind": kind, "csrf_token": token})
        assert r.status_code == 200, kind
        assert "attachment" in r.headers["content-disposition"]
        files[kind] = r.content
    wb = load_workbook(io.BytesIO(files["xlsx"]))
    cells = [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert any("首贷拓展工作通报" in v for v in cells) and "红旗区" in cells and "2331" in cells
    assert files["pdf"].startswith(b"%PDF")
    by_county = files["by_county.csv"].decode("utf-8-sig")
    assert "红旗区" in by_county and "卫辉市" in by_county
    assert "建设银行" in files["by_bank.csv"].decode("utf-8-sig")
    with session_scope(app.state.engine) as s:
        kinds = s.scalars(select(AuditEvent.detail).where(AuditEvent.action == "oversight.bulletin.export")).all()
    assert len(kinds) == 4


def test_every_post_needs_the_csrf_token(app, clock, seeded):
    admin = signed_in(app, clock, "admin")
    assert admin.post("/oversight/bulletin/download", data={"month": seeded, "kind": "xlsx"}).status_code == 403
    assert admin.post("/oversight/months/close", data={"month": seeded, "csrf_token": "x" * 43}).status_code == 403
    bank = signed_in(app, clock, "bankhq")
    r = bank.post("/oversight/reports/upload", data={"period": seeded},
                  files={"file": ("a.csv", report([("ICBC", uscc("410702", 9), "ICBC-9", "1")]), "text/csv")})
    assert r.status_code == 403
    assert bank.post("/api/v1/first-loans", json={}, headers={"Idempotency-Key": "k"}).status_code == 403
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(FirstLoan).where(FirstLoan.contract_no == "ICBC-9")) is None


def test_bank_uploads_for_its_own_bank_only(app, clock, period):
    bank = signed_in(app, clock, "bankhq")
    token = page_token(bank, "/oversight/reports")
    before = bank.get(f"/oversight?month={period}").text  # the bulletin table is cached: it must not go stale
    assert re.search(r'data-code="ICBC"><td>\d*</td><td>[^<]+</td><td>0</td>', before)
    good = report([("工商银行", uscc("410702", 5), "ICBC-5", "12.5"), ("ICBC", uscc("410702", 6), "ICBC-6", "8")])
    r = bank.post("/oversight/reports/upload", data={"period": period, "csrf_token": token, "bank_code": "CCB"},
                  files={"file": ("icbc.csv", good, "text/csv")})
    assert r.status_code == 200 and "新增 <b>2</b> 笔" in r.text
    with session_scope(app.state.engine) as s:
        assert sorted(s.scalars(select(FirstLoan.bank_code))) == ["ICBC", "ICBC"]  # the form's bank_code is ignored
    after = bank.get(f"/oversight?month={period}").text
    assert re.search(r'data-code="ICBC"><td>\d*</td><td>[^<]+</td><td>2</td>', after)
    assert 'data-testid="cum-households">2<' in after
    again = bank.post("/oversight/reports/upload", data={"period": period, "csrf_token": token},
                      files={"file": ("icbc.csv", good, "text/csv")})
    assert "未变 <b>2</b> 笔" in again.text and "内容相同" in again.text
    # A file of another bank's loans is refused whole, with row, column and Chinese reason
    other = report([("建设银行", uscc("410781", 7), "CCB-7", "5")])
    r = bank.post("/oversight/reports/upload", data={"period": period, "csrf_token": token},
                  files={"file": ("ccb.csv", other, "text/csv")})
    assert r.status_code == 422 and "与报送银行不一致" in r.text and "<td>2</td><td>金融机构</td>" in r.text
    for name in ("admin", "county410702"):
        c = signed_in(app, clock, name)
        r = c.post("/oversight/reports/upload", data={"period": period, "csrf_token": page_token(c)},
                   files={"file": ("ccb.csv", other, "text/csv")})
        assert r.status_code == 403, name
    with session_scope(app.state.engine) as s:
        assert s.scalar(select(FirstLoan).where(FirstLoan.contract_no == "CCB-7")) is None


def test_admin_closes_a_month_then_uploads_are_refused(app, clock, seeded):
    admin = signed_in(app, clock, "admin")
    r = admin.post("/oversight/months/close", data={"month": seeded, "csrf_token": page_token(admin)},
                   follow_redirects=False)
    assert r.status_code == 303
    page = admin.get(r.headers["location"]).text
    assert "已关账" in page and seeded in page and 'data-testid="corrections"' in page
    again = admin.post("/oversight/months/close", data={"month": seeded, "csrf_token": page_token(admin)})
    assert again.status_code == 422 and "已经关账" in again.text
    bank = signed_in(app, clock, "bankhq")
    assert bank.post("/oversight/months/close", data={"month": seeded, "csrf_token": page_token(bank)}).status_code == 403
    r = bank.post("/oversight/reports/upload", data={"period": seeded, "csrf_token": page_token(bank)},
                  files={"file": ("a.csv", report([("ICBC", uscc("410702", 8), "ICBC-8", "1")]), "text/csv")})
    assert r.status_code == 422 and "已关账" in r.text


def loan(contract: str, period: str, amount: str = "25", n: int = 11) -> dict:
    return {"borrower_uscc": uscc("410702", n), "borrower_name": "某某商贸有限公司", "contract_no": contract,
            "disbursed_on": f"{period}-05", "amount_wan": amount, "term_months": 12, "annual_rate_pct": "3.85",
            "guarantee_type": "信用"}


def api_client(app, clock, username="bankhq") -> tuple[TestClient, dict]:
    c = signed_in(app, clock, username)
    return c, {"X-CSRF-Token": META_TOKEN.search(c.get("/").text).group(1)}


def test_api_submits_idempotently(app, clock, period):
    c, h = api_client(app, clock)
    r = c.post("/api/v1/first-loans", json=loan("API-1", period), headers={**h, "Idempotency-Key": "k-1"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["change"] == "inserted" and body["verdict"] == "first" and body["replayed"] is False
    replay = c.post("/api/v1/first-loans", json=loan("API-1", period), headers={**h, "Idempotency-Key": "k-1"})
    assert replay.status_code == 200 and replay.json()["replayed"] is True and replay.json()["loan_id"] == body["loan_id"]
    conflict = c.post("/api/v1/first-loans", json=loan("API-1", period, "26"), headers={**h, "Idempotency-Key": "k-1"})
    assert conflict.status_code == 409 and "幂等键" in conflict.json()["detail"]
    with session_scope(app.state.engine) as s:
        rows = s.scalars(select(FirstLoan).where(FirstLoan.contract_no == "API-1")).all()
        assert [(x.bank_code, x.amount_fen) for x in rows] == [("ICBC", 25_0000_00)]


def test_api_validation_and_closed_month(app, clock, period):
    c, h = api_client(app, clock)
    bad = {**loan("API-2", period), "amount_wan": "-3", "borrower_uscc": "123"}
    r = c.post("/api/v1/first-loans", json=bad, headers={**h, "Idempotency-Key": "k-2"})
    assert r.status_code == 422 and re.search(r"[\u4e00-\u9fff]", r.json()["detail"])
    other_bank = {**loan("API-3", period), "bank": "建设银行"}
    r = c.post("/api/v1/first-loans", json=other_bank, headers={**h, "Idempotency-Key": "k-3"})
    assert r.status_code == 422 and "与报送银行不一致" in r.json()["detail"]
    assert c.post("/api/v1/first-loans", json=loan("API-4", period), headers=h).status_code == 422  # no key
    admin = signed_in(app, clock, "admin")
    admin.post("/oversight/months/close", data={"month": period, "csrf_token": page_token(admin)})
    r = c.post("/api/v1/first-loans", json=loan("API-5", period), headers={**h, "Idempotency-Key": "k-5"})
    assert r.status_code == 409 and "已关账" in r.json()["detail"]
    county, hc = api_client(app, clock, "county410702")
    r = county.post("/api/v1/first-loans", json=loan("API-6", period), headers={**hc, "Idempotency-Key": "k-6"})
    assert r.status_code == 403
    with session_scope(app.state.engine) as s:
        assert s.scalars(select(FirstLoan.contract_no)).all() == []


def test_bank_uploads_an_xlsx_and_sees_per_loan_findings(app, clock, period):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    ws.append(["ICBC", uscc("410702", 21), "", "甲商贸", "X-1", f"{period}-05", "40", "12", "3.85", "信用", "", ""])
    ws.append(["ICBC", uscc("410702", 21), "", "甲商贸", "X-2", f"{period}-06", "10", "12", "3.85", "信用", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    bank = signed_in(app, clock, "bankhq")
    r = bank.post("/oversight/reports/upload", data={"period": period, "csrf_token": page_token(bank, "/oversight/reports")},
                  files={"file": ("icbc.xlsx", buf.getvalue(), "application/octet-stream")})
    assert r.status_code == 200 and "新增 <b>2</b> 笔" in r.text
    findings = r.text[r.text.index('data-testid="findings"'):]
    assert "X-2" in findings and "不计为首贷" in findings  # the same borrower's second loan is not a first loan
    batch = re.search(r'href="/oversight/reports\?batch=(\d+)"', r.text).group(1)
    assert "不计为首贷" in bank.get(f"/oversight/reports?batch={batch}").text
    # the city admin may open this file's findings; another bank's HQ may not (nor see it listed)
    assert signed_in(app, clock, "admin").get(f"/oversight/reports?batch={batch}").status_code == 200
    ccb = ccb_user(app, clock)
    assert ccb.get(f"/oversight/reports?batch={batch}").status_code == 403
    assert "icbc.xlsx" not in ccb.get("/oversight/reports").text


def ccb_user(app, clock) -> TestClient:
    """A second bank's HQ user (建设银行)."""
    with session_scope(app.state.engine) as s:
        create_user(s, actor=Actor.system("test"), username="ccbhq", display_name="建设银行新乡分行", role="bank_hq",
                    scope=ScopeSpec(bank_code="CCB"), password=DEMO_PASSWORD, now=clock(),
                    totp_secret=demo_totp_secret("ccbhq"), phone="13800001111")
    return signed_in(app, clock, "ccbhq")
