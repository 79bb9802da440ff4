"""The monthly bulletin (T3) on the hand-made dataset: figures, workbook, PDF text, CSV."""

from __future__ import annotations

import csv
import subprocess
from datetime import UTC, datetime
from decimal import Decimal

import openpyxl
import pytest

from shoudai.oversight.bulletin import compute_bulletin
from shoudai.oversight.bulletin_export import write_bulletin

from .dataset import HQ, WH, add_211_tracks, load

NOW = datetime(2024, 4, 3, tzinfo=UTC)


@pytest.fixture
def bulletin(session, admin, bank_user):
    load(session, admin, bank_user)
    add_211_tracks(session)
    return compute_bulletin(session, "2024-03", now=NOW)


def test_figures_by_unit(bulletin):
    units = {u.code: u for u in bulletin.units}
    hq, wh = units[HQ], units[WH]
    # 红旗区: March B 50; 2024 A 30 + B 50; since 2022-12 also E 20
    assert (hq.month_households, hq.month_amount_fen) == (1, 50_000_000)
    assert (hq.ytd_households, hq.ytd_amount_fen) == (2, 80_000_000)
    assert (hq.cum_households, hq.cum_amount_fen) == (3, 100_000_000)
    assert hq.households_completion == Decimal("20.00") and hq.amount_completion == Decimal("16.00")
    assert (hq.list_size, hq.listed_households, hq.conversion_rate) == (2, 2, Decimal("100.00"))
    # 卫辉市: C 12.5 + F 8 in March; A's second loan (ABC, 10) is not a first loan anywhere
    assert (wh.month_households, wh.month_amount_fen, wh.cum_households) == (2, 20_500_000, 2)
    assert wh.households_completion == Decimal("50.00") and wh.amount_completion == Decimal("20.50")
    assert wh.conversion_rate == Decimal("50.00")
    assert (wh.rank, hq.rank) == (1, 2)
    assert {u.rank for u in bulletin.units if u.code not in (HQ, WH)} == {3}
    # 211: two ICBC tracks of HQ businesses, one in time (5 h) and one late (30 h)
    assert hq.sla.in_time_pct == Decimal("50.00") and hq.sla.median_hours == Decimal("17.5")
    assert wh.sla is None


def test_figures_by_bank_and_totals(bulletin):
    banks = {b.code: b for b in bulletin.banks}
    icbc, abc = banks["ICBC"], banks["ABC"]
    assert (icbc.month_households, icbc.month_amount_fen) == (2, 62_500_000)
    assert (icbc.ytd_households, icbc.cum_households, icbc.cum_amount_fen) == (2, 3, 82_500_000)
    assert icbc.households_completion == Decimal("25.00") and icbc.amount_completion == Decimal("20.83")
    assert icbc.conversion_rate == Decimal("66.67")
    assert (abc.month_households, abc.month_amount_fen, abc.ytd_amount_fen) == (1, 8_000_000, 38_000_000)
    assert abc.households_completion == Decimal("40.00") and abc.amount_completion == Decimal("19.00")
    assert (abc.rank, icbc.rank) == (1, 2)
    assert icbc.sla.in_time_pct == Decimal("50.00") and abc.sla is None
    t = bulletin.bank_total
    assert (t.month_households, t.month_amount_fen) == (3, 70_500_000)
    assert (t.ytd_households, t.ytd_amount_fen, t.cum_households, t.cum_amount_fen) == (4, 100_500_000, 5, 120_500_000)
    assert bulletin.unit_total.cum_amount_fen == t.cum_amount_fen
    assert bulletin.title == "新乡市小微企业和个体工商户首贷拓展工作通报（2024年3月）"
    assert bulletin.summary.startswith("2024年3月，全市新增首贷3户、70.50万元；本年累计4户、100.50万元")
    # 5 of 20,000 households = 0.03 %; 120.5 of 2,000,000 万元 = 0.01 %
    assert bulletin.summary.endswith("分别完成总目标（20,000户、2,000,000.00万元）的0.03%和0.01%。")


def test_files(bulletin, tmp_path):
    paths = write_bulletin(bulletin, tmp_path)
    wb = openpyxl.load_workbook(paths["xlsx"])
    assert wb.sheetnames == ["县区通报", "银行通报", "说明"]
    ws = wb["县区通报"]
    assert ws["A1"].value == bulletin.title and "A1:Q1" in {str(r) for r in ws.merged_cells.ranges}
    assert ws.freeze_panes == "C5"
    assert ws["C3"].value == "当月新增" and ws["C4"].value == "户数" and ws["D4"].value == "金额"
    rows = {r[1]: r for r in ws.iter_rows(min_row=5, values_only=True)}
    hq = rows["红旗区"]
    assert hq[0] == 2 and hq[2] == 1 and Decimal(str(round(hq[3], 6))) == Decimal(50)
    assert Decimal(str(round(hq[7], 6))) == Decimal(100) and hq[10] == pytest.approx(0.20) and hq[14] == pytest.approx(1.0)
    assert rows["卫辉市"][-2] == "无数据" and rows["卫辉市"][0] == 1
    assert Decimal(str(round(rows["合计"][7], 6))) == Decimal("120.5")
    assert ws.cell(5, 4).number_format == "#,##0.00" and ws.cell(5, 11).number_format == "0.00%"
    assert ws.cell(5, 1).border.left.style == "thin"
    banks = {r[1]: r for r in wb["银行通报"].iter_rows(min_row=5, values_only=True)}
    assert Decimal(str(round(banks["工商银行"][3], 6))) == Decimal("62.5")

    text = subprocess.run(["pdftotext", "-layout", str(paths["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in (bulletin.title, "一、各县（市、区）首贷拓展情况", "二、各金融机构首贷拓展情况", "说明", "红旗区",
                    "工商银行", "无数据"):
        assert heading in text, heading
    assert "120.50" in text and "全市新增首贷3户" in text

    with open(paths["by_county"], encoding="utf-8-sig") as f:
        county = {r["县（市、区）"]: r for r in csv.DictReader(f)}
    assert county["红旗区"]["当月新增金额(万元)"] == "50.00" and county["红旗区"]["户数目标完成率(%)"] == "20.00"
    assert county["卫辉市"]["211按时率(%)"] == "无数据"
    with open(paths["by_bank"], encoding="utf-8-sig") as f:
        bank = {r["金融机构"]: r for r in csv.DictReader(f)}
    assert bank["工商银行"]["专项行动以来累计金额(万元)"] == "82.50" and bank["农业银行"]["排名"] == "1"


def test_no_lending_tables_means_no_data():
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from shoudai.oversight.sla import sla_figures

    with Session(create_engine("sqlite://")) as s:
        assert sla_figures(s, NOW, NOW) is None


def test_targets_are_split_by_list_size(session, admin):
    from sqlalchemy import select

    from shoudai.oversight.errors import OversightError
    from shoudai.oversight.models import Target
    from shoudai.oversight.targets import compute_targets, ensure_default_programme, progress, set_target

    from .dataset import A, B, C, D
    from .factories import add_list

    p = ensure_default_programme(session, actor=admin, now=NOW)
    with pytest.raises(OversightError, match="尚无2024年适用的无贷户名单"):
        compute_targets(session, p.id, 2024, actor=admin, now=NOW)
    add_list(session, 2024, [(A, HQ, "sme"), (B, HQ, "sme"), (C, WH, "individual"), (D, "410702", "sme")])
    set_target(session, p.id, 2024, "bank", "BOC", households=100, amount_fen=10**9, actor=admin, now=NOW)
    compute_targets(session, p.id, 2024, actor=admin, bank_weights={"ICBC": 3, "ABC": 1}, now=NOW)
    units = {t.code: t for t in session.scalars(select(Target).where(Target.level == "unit", Target.year == 2024))}
    # the 2024 city target (6,486 households, 648,649 万元) by list size 3 : 1 (HQ : WH), nothing elsewhere
    assert (units[HQ].households, units[WH].households) == (4865, 1621)
    assert (units[HQ].amount_fen, units[WH].amount_fen) == (486_487 * 10**6, 162_162 * 10**6)
    assert sum(t.households for t in units.values()) == 6486 and units["410703"].households == 0
    banks = {t.code: t for t in session.scalars(select(Target).where(Target.level == "bank", Target.year == 2024))}
    assert banks["ICBC"].households == 4865 and banks["ABC"].households == 1621
    assert banks["BOC"].households == 100 and banks["BOC"].basis == "edited"  # the admin's own figure is kept
    rows = {r.code: r for r in progress(session, p.id, 2024, "unit")}
    assert rows[HQ].target_households == 4865 and rows[HQ].households == 0


def test_programmes_are_editable_and_later_ones_add_their_own(session, admin, bank_user):
    from datetime import date

    from shoudai.oversight.errors import PermissionDenied
    from shoudai.oversight.targets import (
        create_programme,
        ensure_default_programme,
        programme_for,
        targets,
        update_programme,
    )

    p = ensure_default_programme(session, actor=admin, now=NOW)
    assert ensure_default_programme(session, actor=admin, now=NOW).id == p.id
    assert (p.households_target, p.amount_target_fen) == (20_000, 200 * 10**8 * 100)  # 200 亿元 in fen
    with pytest.raises(PermissionDenied):
        update_programme(session, p.id, households_target=1, actor=bank_user)
    update_programme(session, p.id, households_target=25_000, actor=admin, now=NOW)
    years = {y: t.households for y in (2022, 2023, 2024, 2025) for t in targets(session, p.id, y, "city").values()}
    assert sum(years.values()) == 25_000 and years[2022] == 676  # 25,000 × 1/37 = 675.7
    later = create_programme(session, name="第二期", starts_on=date(2026, 1, 1), ends_on=date(2027, 12, 31),
                             households=8_000, amount_fen=10**12, actor=admin, now=NOW)
    assert programme_for(session, date(2026, 6, 1)).id == later.id
    assert programme_for(session, date(2025, 6, 1)).id == p.id
    assert targets(session, later.id, 2027, "city")[""].households == 4_000
