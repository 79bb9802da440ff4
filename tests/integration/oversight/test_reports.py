"""First-loan reports (T2): checks with row/column/reason, atomic files, updates not duplicates, month closing."""

from __future__ import annotations

import io
import json
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select

from shoudai.oversight.errors import IdempotencyConflict, MonthClosed, OversightError, PermissionDenied
from shoudai.oversight.models import FirstLoan, ListConversion, LoanCorrection, ReportFinding
from shoudai.oversight.reports.corrections import close_month, correct_loan
from shoudai.oversight.reports.service import import_report, submit_loan

from .factories import HEADERS, add_list, loan_row, report_csv, uscc

HQ = "410702"
A, B, C = uscc(HQ, 1), uscc("410781", 2), uscc(HQ, 3, "2")


@pytest.fixture
def listed(session):
    return add_list(session, 2024, [(A, HQ, "sme"), (B, "410781", "sme")])


def _import(session, data, actor, clock, bank="ICBC", period="2024-03", name="icbc-2024-03.csv"):
    return import_report(session, data, bank_code=bank, period=period, file_name=name, actor=actor, now=clock)


def test_a_good_file_is_applied_with_findings(session, listed, bank_user, clock):
    data = report_csv([
        loan_row("工商银行", A, "ICBC-001", "2024-03-05", "50"),
        loan_row("ICBC", C, "ICBC-002", "2024/3/6", "12.5", guarantee="政府性融资担保", guarantor="新乡市中小企业融资担保公司", fee="0.8"),
        loan_row("中国工商银行新乡分行", B, "ICBC-003", "20240307", "3.25"),
    ])
    res = _import(session, data, bank_user, clock)
    assert res.status == "applied", res.problems
    assert (res.inserted, res.updated, res.unchanged) == (3, 0, 0)
    loans = {ln.contract_no: ln for ln in session.scalars(select(FirstLoan))}
    assert loans["ICBC-001"].amount_fen == 50_000_000 and loans["ICBC-002"].amount_fen == 12_500_000
    assert loans["ICBC-002"].guarantee_fee_e4 == 8_000 and loans["ICBC-002"].rate_e4 == 38_500
    assert loans["ICBC-001"].verdict == "first" and loans["ICBC-001"].relending_eligible
    assert loans["ICBC-002"].list_entry_id is None and not loans["ICBC-002"].relending_eligible
    assert loans["ICBC-002"].county_code == HQ  # from the code's registering office
    assert loans["ICBC-003"].county_code == "410781"  # from the list entry
    # conversions link list entries to loans; the entries themselves are untouched
    assert session.scalar(select(func.count()).select_from(ListConversion)) == 2
    msgs = {(f.row_no, f.message) for f in res.findings}
    assert (2, "借款人在小微企业无贷户名单内（红旗区）") in msgs
    assert any(r == 3 and "不在无贷户名单内" in m for r, m in msgs)
    assert session.scalar(select(func.count()).select_from(ReportFinding)) == len(res.findings)


def test_bad_rows_reject_the_whole_file_with_row_column_reason(session, listed, bank_user, clock):
    bad_code = A[:-1] + ("0" if A[-1] != "0" else "1")
    data = report_csv([
        loan_row("ICBC", A, "ICBC-001", "2024-03-05", "50"),
        loan_row("ICBC", bad_code, "ICBC-002", "2024-03-05", "-1"),
        loan_row("ICBC", B, "ICBC-003", "2024-02-30", "1.0000001"),
        loan_row("建设银行", B, "ICBC-004", "2024-04-01", "1", guarantee="政府性融资担保"),
        loan_row("ICBC", C, "ICBC-001", "2024-03-05", "1"),
    ])
    res = _import(session, data, bank_user, clock)
    assert res.status == "rejected"
    got = {(p.row_no, p.column, p.message) for p in res.problems}
    assert (3, "借款人统一社会信用代码", "统一社会信用代码校验位错误") in got
    assert (3, "金额(万元)", "金额必须大于0") in got
    assert (4, "发放日期", "“2024-02-30”不是有效日期（应如2023-05-06、2023/5/6或20230506）") in got
    assert any(r == 4 and c == "金额(万元)" and "分" in m for r, c, m in got)
    assert (5, "金融机构", "“建设银行”与报送银行不一致") in got
    assert (5, "发放日期", "发放日期不在报送月份（2024年3月）内") in got
    assert (5, "担保机构", "担保方式为政府性融资担保时必须填写担保机构") in got
    assert (6, "合同编号", "与第2行合同编号重复") in got
    assert str(res.problems[0]).startswith("第3行【")
    assert session.scalar(select(func.count()).select_from(FirstLoan)) == 0  # nothing applied


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
def test_encodings_and_header_aliases(session, listed, bank_user, clock, encoding):
    headers = ["备注", "银行名称", "统一社会信用代码", "客户名称", "借款合同编号", "放款日期", "发放金额（万元）", "贷款期限(月)",
               "执行利率(%)", "担保方式"]
    rows = [["x", "ICBC", A, "甲公司", "C-1", "2024年3月5日", "１０", "6", "4", "信用贷款"]]
    res = _import(session, report_csv(rows, headers, encoding), bank_user, clock)
    assert res.status == "applied", res.problems
    loan = session.scalar(select(FirstLoan))
    assert (loan.amount_fen, loan.guarantee_type, loan.disbursed_on) == (10_000_000, "信用", date(2024, 3, 5))


def test_xlsx_with_a_title_row_and_date_cells(session, listed, bank_user, clock):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["工商银行2024年3月首贷发放明细"])
    ws.append(HEADERS)
    ws.append(["ICBC", A, None, "甲公司", "X-1", date(2024, 3, 9), 7.5, 12, 3.6, "抵押", None, None])
    buf = io.BytesIO()
    wb.save(buf)
    res = _import(session, buf.getvalue(), bank_user, clock, name="m.xlsx")
    assert res.status == "applied", res.problems
    loan = session.scalar(select(FirstLoan))
    assert loan.disbursed_on == date(2024, 3, 9) and loan.amount_fen == 7_500_000 and loan.rate_e4 == 36_000
    assert loan.row_no == 3


def test_unusable_files(session, bank_user, clock):
    assert _import(session, b"", bank_user, clock).problems[0].message == "文件为空"
    res = _import(session, report_csv([], ["金融机构", "借款人名称"]), bank_user, clock)
    assert res.status == "rejected" and "缺少必填列" in res.problems[0].message
    assert "合同编号" in res.problems[0].message


def test_same_contract_is_an_update_never_a_second_loan(session, listed, bank_user, clock):
    _import(session, report_csv([loan_row("ICBC", A, "K-1", "2024-03-05", "50")]), bank_user, clock)
    res = _import(session, report_csv([loan_row("ICBC", A, "K-1", "2024-03-05", "60")]), bank_user, clock)
    assert (res.inserted, res.updated) == (0, 1)
    assert any("按更新处理" in f.message for f in res.findings)
    again = _import(session, report_csv([loan_row("ICBC", A, "K-1", "2024-03-05", "60")]), bank_user, clock)
    assert again.unchanged == 1
    loans = session.scalars(select(FirstLoan)).all()
    assert len(loans) == 1 and loans[0].amount_fen == 60_000_000 and loans[0].revision == 2


def test_borrower_first_lent_by_another_bank_is_not_a_first_loan(session, listed, bank_user, clock):
    _import(session, report_csv([loan_row("ICBC", A, "I-1", "2024-03-05", "50")]), bank_user, clock)
    res = _import(session, report_csv([loan_row("ABC", A, "A-1", "2024-03-20", "30")]), bank_user, clock,
                  bank="ABC")
    assert res.status == "applied"
    abc = session.scalar(select(FirstLoan).where(FirstLoan.bank_code == "ABC"))
    assert abc.verdict == "not_first" and not abc.relending_eligible
    assert "由工商银行发放首贷（合同I-1），本笔不计为首贷" in abc.findings
    assert any(f.level == "warning" and "不计为首贷" in f.message for f in res.findings)
    # an earlier loan reported later takes the first place, and the conversion follows it
    _import(session, report_csv([loan_row("BOC", A, "B-1", "2024-03-01", "5")]), bank_user, clock, bank="BOC")
    verdicts = dict(session.execute(select(FirstLoan.bank_code, FirstLoan.verdict)).all())
    assert verdicts == {"BOC": "first", "ICBC": "not_first", "ABC": "not_first"}
    conv = session.scalar(select(ListConversion))
    assert conv.bank_code == "BOC"


def test_month_closing_and_corrections(session, listed, admin, bank_user, clock):
    _import(session, report_csv([loan_row("ICBC", A, "K-1", "2024-03-05", "50")]), bank_user, clock)
    with pytest.raises(PermissionDenied):
        close_month(session, "2024-03", actor=bank_user, now=clock)
    close_month(session, "2024-03", actor=admin, now=clock)
    res = _import(session, report_csv([loan_row("ICBC", A, "K-1", "2024-03-05", "55")]), bank_user, clock)
    assert res.status == "rejected" and "已关账" in res.problems[0].message
    # a later month cannot move a closed month's contract either
    res = _import(session, report_csv([loan_row("ICBC", A, "K-1", "2024-04-02", "55")]), bank_user, clock,
                  period="2024-04")
    assert res.status == "rejected" and "已关账" in res.problems[0].message
    with pytest.raises(OversightError, match="原因"):
        correct_loan(session, bank_code="ICBC", contract_no="K-1", values={}, reason=" ", actor=admin, now=clock)
    fix = correct_loan(session, bank_code="ICBC", contract_no="K-1",
                       values={"uscc": A, "name": "甲公司", "disbursed_on": "2024-03-05", "amount": "55", "term": "12",
                               "rate": "3.85", "guarantee_type": "信用"},
                       reason="银行来函更正金额", actor=admin, now=clock)
    assert json.loads(fix.before)["amount_fen"] == 50_000_000 and json.loads(fix.after)["amount_fen"] == 55_000_000
    assert fix.actor == "city.admin" and fix.reason == "银行来函更正金额"
    assert session.scalar(select(FirstLoan.amount_fen)) == 55_000_000
    correct_loan(session, bank_code="ICBC", contract_no="K-1", values=None, reason="重复报送，撤销", actor=admin, now=clock)
    assert session.scalar(select(func.count()).select_from(FirstLoan)) == 0
    assert session.scalar(select(func.count()).select_from(ListConversion)) == 0
    assert session.scalar(select(func.count()).select_from(LoanCorrection)) == 2


def test_api_submission_is_idempotent(session, listed, bank_user, clock):
    body = {"bank": "ICBC", "borrower_uscc": A, "borrower_name": "甲公司", "contract_no": "API-1",
            "disbursed_on": "2024-04-02", "amount_wan": "20", "term_months": 12, "annual_rate_pct": "3.9",
            "guarantee_type": "信用"}
    first = submit_loan(session, body, bank_code="ICBC", idempotency_key="k1", actor=bank_user, now=clock)
    again = submit_loan(session, body, bank_code="ICBC", idempotency_key="k1", actor=bank_user, now=clock)
    assert first.loan_id == again.loan_id and again.replayed and first.verdict == "first"
    with pytest.raises(IdempotencyConflict):
        submit_loan(session, {**body, "amount_wan": "21"}, bank_code="ICBC", idempotency_key="k1", actor=bank_user,
                    now=clock)
    upd = submit_loan(session, {**body, "amount_wan": "21"}, bank_code="ICBC", idempotency_key="k2",
                      actor=bank_user, now=clock)
    assert upd.change == "updated" and upd.loan_id == first.loan_id
    with pytest.raises(OversightError, match="金额"):
        submit_loan(session, {**body, "amount_wan": "0"}, bank_code="ICBC", idempotency_key="k3", actor=bank_user,
                    now=clock)
    assert session.scalar(select(func.count()).select_from(FirstLoan)) == 1


def test_api_refuses_a_closed_month(session, listed, admin, bank_user, clock):
    close_month(session, "2024-04", actor=admin, now=clock)
    body = {"bank": "ICBC", "borrower_uscc": A, "borrower_name": "甲公司", "contract_no": "API-1",
            "disbursed_on": "2024-04-02", "amount_wan": "20", "term_months": 12, "annual_rate_pct": "3.9",
            "guarantee_type": "信用"}
    with pytest.raises(MonthClosed):
        submit_loan(session, body, bank_code="ICBC", idempotency_key="k1", actor=bank_user, now=clock)


def test_individual_business_booked_to_its_operator(session, bank_user, clock):
    from shoudai.kit.codes import resident_id_check_char

    pid = "41070219800101123"
    pid += resident_id_check_char(pid)
    res = _import(session, report_csv([loan_row("ICBC", "", "P-1", "2024-03-05", "5", person=pid,
                                                name="张三（个体）")]), bank_user, clock)
    assert res.status == "applied", res.problems
    loan = session.scalar(select(FirstLoan))
    assert loan.borrower_key.startswith("P:") and pid not in loan.borrower_key
    assert loan.borrower_id_enc and pid not in loan.borrower_id_enc and loan.borrower_id_masked.startswith("410")


@pytest.mark.postgres
def test_two_banks_reporting_one_borrower_at_once_leave_one_first_loan(db_url, backend, bank_user, clock):
    """Concurrent transactions on PostgreSQL: the register lock makes the second see the first's loan."""
    if backend != "postgres":
        pytest.skip("concurrency is PostgreSQL's question")
    import threading

    from shoudai.db import make_engine, session_scope

    engine = make_engine(db_url)
    barrier = threading.Barrier(2)
    errors = []

    def report(bank, contract, day):
        try:
            with session_scope(engine) as s:
                barrier.wait()
                res = _import(s, report_csv([loan_row(bank, A, contract, day, "10")]), bank_user, clock, bank=bank)
                assert res.status == "applied"
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=report, args=a) for a in (("ICBC", "I-9", "2024-03-05"),
                                                                 ("ABC", "A-9", "2024-03-06"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with session_scope(engine) as s:
        verdicts = dict(s.execute(select(FirstLoan.bank_code, FirstLoan.verdict)).all())
    engine.dispose()
    assert verdicts == {"ICBC": "first", "ABC": "not_first"}
