"""The bulletin as files: the Excel workbook, the PDF, by_county.csv and by_bank.csv."""

from __future__ import annotations

from pathlib import Path

from shoudai.oversight.bulletin import Bulletin, Line
from shoudai.oversight.exporting import Col, Table, write_csv, write_pdf, write_xlsx
from shoudai.oversight.figures import NO_DATA


def _sla_rate(line: Line):
    return line.sla.in_time_pct if line.sla else None


def _sla_hours(line: Line):
    return line.sla.median_hours if line.sla else None


def _common() -> list[Col]:
    return [
        Col("当月新增", "户数", "int", lambda ln: ln.month_households, width=8),
        Col("当月新增", "金额", "wan", lambda ln: ln.month_amount_fen, width=11),
        Col("本年累计", "户数", "int", lambda ln: ln.ytd_households, width=8),
        Col("本年累计", "金额", "wan", lambda ln: ln.ytd_amount_fen, width=11),
        Col("专项行动以来累计", "户数", "int", lambda ln: ln.cum_households, width=8),
        Col("专项行动以来累计", "金额", "wan", lambda ln: ln.cum_amount_fen, width=12),
        Col("本年目标", "户数", "int", lambda ln: ln.target_households, missing="未设", width=8),
        Col("本年目标", "金额", "wan", lambda ln: ln.target_amount_fen, missing="未设", width=11),
        Col("目标完成率", "户数", "pct", lambda ln: ln.households_completion, width=9, flat="户数目标完成率"),
        Col("目标完成率", "金额", "pct", lambda ln: ln.amount_completion, width=9, flat="金额目标完成率"),
    ]


def tables(b: Bulletin) -> list[Table]:
    """The two bulletin tables, per reporting unit and per bank."""
    sla = [
        Col("“211”对接", "按时率", "pct", _sla_rate, missing=NO_DATA, width=9, flat="211按时率"),
        Col("“211”对接", "答复用时中位数(小时)", "dec1", _sla_hours, missing=NO_DATA, width=11,
            flat="211答复用时中位数(小时)"),
    ]
    units = [
        Col("排名", "排名", "int", lambda ln: ln.rank, missing="", width=6),
        Col("县（市、区）", "县（市、区）", "text", lambda ln: ln.name, width=24),
        *_common(),
        Col("名单转化", "名单户数", "int", lambda ln: ln.list_size, width=9, flat="名单户数"),
        Col("名单转化", "转化户数", "int", lambda ln: ln.listed_households, width=9, flat="名单转化户数"),
        Col("名单转化", "转化率", "pct", lambda ln: ln.conversion_rate, width=9, flat="名单转化率"),
        *sla,
    ]
    banks = [
        Col("排名", "排名", "int", lambda ln: ln.rank, missing="", width=6),
        Col("金融机构", "金融机构", "text", lambda ln: ln.name, width=18),
        *_common(),
        Col("名单转化", "名单内首贷户数", "int", lambda ln: ln.listed_households, width=10, flat="名单内首贷户数"),
        Col("名单转化", "转化率", "pct", lambda ln: ln.conversion_rate, width=9, flat="名单转化率"),
        *sla,
    ]
    return [
        Table("县区通报", "一、各县（市、区）首贷拓展情况", units, b.units, b.unit_total),
        Table("银行通报", "二、各金融机构首贷拓展情况", banks, b.banks, b.bank_total),
    ]


def subtitle(b: Bulletin) -> str:
    return f"单位：户、万元、%    数据截至{b.year}年{b.month}月末"


def write_bulletin(b: Bulletin, out_dir: Path, *, pdf: bool = True) -> dict[str, Path]:
    """Write the four bulletin files into `out_dir`; returns their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    t = tables(b)
    stem = f"首贷拓展工作通报_{b.period}"
    paths = {"xlsx": out_dir / f"{stem}.xlsx", "pdf": out_dir / f"{stem}.pdf",
             "by_county": out_dir / "by_county.csv", "by_bank": out_dir / "by_bank.csv"}
    write_xlsx(paths["xlsx"], b.title, subtitle(b), t, b.notes, b.summary)
    if pdf:
        write_pdf(paths["pdf"], b.title, subtitle(b), t, b.notes, b.summary)
    else:
        del paths["pdf"]
    write_csv(paths["by_county"], t[0])
    write_csv(paths["by_bank"], t[1])
    return paths
