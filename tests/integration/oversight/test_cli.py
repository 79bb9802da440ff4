"""`shoudai oversight …` and `shoudai bulletin` end to end on a fresh database."""

import csv
from pathlib import Path

from sqlalchemy import create_engine, func, select
from typer.testing import CliRunner

from shoudai.cli import app
from shoudai.oversight.models import FirstLoan

DATA = Path(__file__).parents[2] / "data" / "oversight"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def loans(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.scalar(select(func.count()).select_from(FirstLoan))
    finally:
        engine.dispose()


def test_import_close_and_bulletin(db_url, tmp_path):
    bad = run("oversight", "import-report", DATA / "icbc-2024-03-bad.csv", "--bank", "ICBC", "--month", "2024-03")
    assert bad.exit_code == 2
    assert "第2行【借款人统一社会信用代码】：统一社会信用代码校验位错误" in bad.output
    assert "第3行【发放日期】：发放日期不在报送月份（2024年3月）内" in bad.output
    assert "第4行【担保机构】" in bad.output and loans(db_url) == 0

    ok = run("oversight", "import-report", DATA / "icbc-2024-03.csv", "--bank", "ICBC", "--month", "2024-03")
    assert ok.exit_code == 0, ok.output
    assert "新增3笔" in ok.output and loans(db_url) == 3
    again = run("oversight", "import-report", DATA / "icbc-2024-03.csv", "--bank", "ICBC", "--month", "2024-03")
    assert "未变3笔" in again.output and loans(db_url) == 3

    assert run("oversight", "close-month", "--month", "2024-03").exit_code == 0
    closed = run("oversight", "import-report", DATA / "icbc-2024-03.csv", "--bank", "ICBC", "--month", "2024-03")
    assert closed.exit_code == 2 and "已关账" in closed.output

    assert run("oversight", "targets", "--year", "2024").exit_code == 0
    out = tmp_path / "out"
    res = run("bulletin", "--month", "2024-03", "--out", out)
    assert res.exit_code == 0, res.output
    names = {p.name for p in out.iterdir()}
    assert {"by_county.csv", "by_bank.csv", "首贷拓展工作通报_2024-03.xlsx", "首贷拓展工作通报_2024-03.pdf"} <= names
    with open(out / "by_bank.csv", encoding="utf-8-sig") as f:
        icbc = next(r for r in csv.DictReader(f) if r["金融机构"] == "工商银行")
    assert (icbc["排名"], icbc["当月新增户数"], icbc["当月新增金额(万元)"]) == ("1", "3", "65.70")
