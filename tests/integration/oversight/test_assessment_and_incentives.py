"""Annual assessment (T4), fee subsidy (I1), re-lending and re-discount (I2, I3), compensation (I4), by hand."""

from __future__ import annotations

import subprocess
from datetime import UTC, date, datetime
from decimal import Decimal

import openpyxl
import pytest

from shoudai.oversight.assessment import Indicator, compute_assessment, set_scheme
from shoudai.oversight.assessment_export import write_assessment
from shoudai.oversight.compensation import decide_claim, ledger, report_loss, set_share
from shoudai.oversight.errors import OversightError, PermissionDenied
from shoudai.oversight.relending import add_bill, rediscount_queue, relending_volumes
from shoudai.oversight.subsidy import set_rule, statements, write_statements

from .dataset import GUARANTOR, HQ, WH, A, C, F, add_211_tracks, load
from .factories import uscc

NOW = datetime(2025, 1, 10, tzinfo=UTC)
D2 = Decimal("0.01")


@pytest.fixture
def data(session, admin, bank_user):
    load(session, admin, bank_user)
    add_211_tracks(session)


def test_assessment_default_scheme(session, data, tmp_path):
    a = compute_assessment(session, 2024, now=NOW)
    units = {u.code: u for u in a.units}
    hq, wh = units[HQ], units[WH]
    # 2024: HQ 2 households / 80 万元, WH 3 / 60.5; conversion 100 % both; 211 only HQ (50 %);
    # growth only HQ (2023: 1 → 2024: 2, +100 %) — alone on min-max it gets the full 10.
    assert hq.points == {"households": Decimal("20.00"), "amount": Decimal("30.00"), "conversion": Decimal("15.00"),
                         "sla": Decimal("15.00"), "growth": Decimal("10.00")}
    assert wh.points == {"households": Decimal("30.00"), "amount": Decimal("22.69"), "conversion": Decimal("15.00"),
                         "sla": Decimal("0.00"), "growth": Decimal("0.00")}
    assert (hq.total, wh.total) == (Decimal("90.00"), Decimal("67.69"))
    assert (hq.rank, wh.rank) == (1, 2) and {u.rank for u in a.units[2:]} == {3}
    banks = {b.code: b for b in a.banks}
    # ICBC 3 / 102.5 万元, all listed, 211 50 %, growth 1 → 3; ABC 2 / 38, half listed
    assert banks["ICBC"].total == Decimal("100.00")
    assert banks["ABC"].points["amount"] == Decimal("11.12") and banks["ABC"].points["conversion"] == Decimal("7.50")
    assert banks["ABC"].total == Decimal("38.62")

    paths = write_assessment(a, tmp_path)
    ws = openpyxl.load_workbook(paths["xlsx"])["县区考核"]
    rows = {r[1]: r for r in ws.iter_rows(min_row=5, values_only=True)}
    assert rows["红旗区"][0] == 1 and rows["红旗区"][-1] == pytest.approx(90.0)
    assert rows["卫辉市"][-1] == pytest.approx(67.69) and rows["卫辉市"][8] == "无数据" and rows["卫辉市"][9] == 0
    text = subprocess.run(["pdftotext", str(paths["pdf"]), "-"], capture_output=True, text=True, check=True).stdout
    assert "年度考核结果（2024年）" in text and "一、各县（市、区）年度考核得分及排名" in text


def test_assessment_custom_weights(session, data, admin, bank_user):
    with pytest.raises(PermissionDenied):
        set_scheme(session, 2024, [Indicator("households", Decimal(1))], actor=bank_user)
    with pytest.raises(OversightError):
        set_scheme(session, 2024, [Indicator("profit", Decimal(1))], actor=admin)
    set_scheme(session, 2024, [Indicator("households", Decimal(50)), Indicator("amount", Decimal(50))], actor=admin)
    banks = {b.code: b for b in compute_assessment(session, 2024, now=NOW).banks}
    # ABC: 50 × 2/3 = 33.33, 50 × 38/102.5 = 18.54
    assert banks["ABC"].total == Decimal("51.87") and banks["ICBC"].total == Decimal("100.00")


def test_subsidy_statement_adds_up_to_the_fen(session, data, admin):
    sts = {s.bank_code: s for s in statements(session, 2024)}
    # ICBC: (50 + 12.5 + 40) 万元 = 1,025,000 yuan × 0.5‰ = 512.50 yuan
    assert sts["ICBC"].base_fen == 102_500_000 and sts["ICBC"].subsidy_fen == 51_250
    assert [ln.subsidy_fen for ln in sts["ICBC"].lines] == [25_000, 6_250, 20_000]
    # ABC: A 30 + F 8 (A's second loan is not a first loan) = 380,000 yuan → 190.00 yuan
    assert sts["ABC"].subsidy_fen == 19_000 and len(sts["ABC"].lines) == 2
    assert sts["BOC"].subsidy_fen == 0 and sts["BOC"].lines == ()
    # 0.333‰: exact shares 16,650 + 4,162.5 + 13,320 = 34,132.5 → total 34,133; the half fen goes to C's line
    set_rule(session, 2024, rate_per_mille=Decimal("0.333"), actor=admin)
    icbc = statements(session, 2024, "ICBC")[0]
    assert icbc.subsidy_fen == 34_133 and [ln.subsidy_fen for ln in icbc.lines] == [16_650, 4_163, 13_320]
    set_rule(session, 2024, rate_per_mille=Decimal("0.5"), eligible="listed_first", actor=admin)
    assert statements(session, 2024, "ABC")[0].subsidy_fen == 15_000  # only A (listed)


def test_subsidy_2022_rule_and_workbook(session, data, tmp_path):
    assert statements(session, 2022)[0].rule.window_from == date(2022, 12, 1)
    paths = write_statements(session, 2024, tmp_path)
    wb = openpyxl.load_workbook(paths["xlsx"])
    summary = {r[0]: r for r in wb["汇总"].iter_rows(min_row=5, values_only=True)}
    assert summary["工商银行"][3] == pytest.approx(512.50) and summary["合计"][3] == pytest.approx(702.50)
    assert "工商银行" in wb.sheetnames and "舍入规则" in str(wb["说明"]["A5"].value)


def test_relending_volumes(session, data):
    rows = {(r.bank_code, r.period): (r.loans, r.amount_fen) for r in relending_volumes(session, 2024)}
    assert rows == {("ABC", "2024-01"): (1, 30_000_000), ("ICBC", "2024-03"): (2, 62_500_000),
                    ("ICBC", "2024-04"): (1, 40_000_000)}


def test_rediscount_queue_order(session, data, bank_user):
    other = uscc("410703", 77)
    d = date(2024, 6, 1)

    def bill(no, drawer, discounter, yuan, day):
        return add_bill(session, bill_no=no, bank_code="ICBC", drawer_name="出票人", drawer_uscc=drawer,
                        discounter_name="贴现人", discounter_uscc=discounter, face_value_fen=yuan * 100,
                        issued_on=date(2024, 5, 1), due_on=date(2024, 11, 1), discounted_on=day, actor=bank_user)

    bill("P1", other, None, 500_000, date(2024, 6, 1))  # not a first-loan business: last
    bill("P2", other, C, 3_000_000, date(2024, 5, 20))  # discounter C is a first-loan SME, face > 2M
    bill("P3", A, None, 2_000_000, date(2024, 6, 3))  # drawer A, exactly 2M counts as ≤ 2M
    bill("P4", A, None, 100_000, date(2024, 6, 2))
    bill("P5", F, None, 100_000, date(2024, 5, 2))  # F: first loan but not on a list → size unknown, no priority
    assert [q.bill.bill_no for q in rediscount_queue(session)] == ["P4", "P3", "P2", "P5", "P1"]
    assert [q.priority for q in rediscount_queue(session)] == [0, 0, 1, 2, 2]
    with pytest.raises(OversightError):
        bill("P6", other, None, 1, d.replace(month=12))


def test_compensation_claims_and_ledger(session, data, admin, bank_user):
    with pytest.raises(OversightError, match="尚未配置"):
        report_loss(session, bank_code="ICBC", contract_no="I-C", loss_fen=10_000_000, reported_on=date(2025, 3, 1),
                    actor=bank_user)
    set_share(session, 2025, Decimal("0.3"), actor=admin)
    with pytest.raises(OversightError, match="政府性融资担保"):
        report_loss(session, bank_code="ICBC", contract_no="I-B", loss_fen=1, reported_on=date(2025, 3, 1),
                    actor=bank_user)
    claim = report_loss(session, bank_code="ICBC", contract_no="I-C", loss_fen=3_333_333,
                        reported_on=date(2025, 3, 1), actor=bank_user)
    assert claim.claim_fen == 1_000_000 and claim.status == "pending"  # 33,333.33 yuan × 30 % = 9,999.999 → 10,000.00
    with pytest.raises(OversightError, match="已有"):
        report_loss(session, bank_code="ICBC", contract_no="I-C", loss_fen=1, reported_on=date(2025, 3, 2),
                    actor=bank_user)
    with pytest.raises(PermissionDenied):
        decide_claim(session, claim.id, approve=True, actor=bank_user)
    [row] = ledger(session)
    assert (row.bank_code, row.guarantor, row.loans, row.amount_fen, row.avg_fee_e4) == (
        "ICBC", GUARANTOR, 1, 12_500_000, 8_000)
    assert (row.loss_fen, row.pending_fen, row.approved_fen) == (3_333_333, 1_000_000, 0)
    decide_claim(session, claim.id, approve=True, actor=admin)
    assert ledger(session)[0].approved_fen == 1_000_000 and claim.decided_by == "city.admin"
    with pytest.raises(OversightError):
        decide_claim(session, claim.id, approve=False, note="x", actor=admin)
