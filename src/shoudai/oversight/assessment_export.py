"""The annual assessment as files, formatted like the bulletin: workbook, PDF, by_county.csv, by_bank.csv."""

from __future__ import annotations

from pathlib import Path

from shoudai.oversight.assessment import Assessment, Indicator, Scored
from shoudai.oversight.exporting import Col, Table, write_csv, write_pdf, write_xlsx

KIND = {"households": "int", "amount": "score", "conversion": "pct", "sla": "pct", "growth": "pct"}


def _cols(first: str, ind: tuple[Indicator, ...]) -> list[Col]:
    cols = [Col("排名", "排名", "int", lambda s: s.rank, width=6), Col(first, first, "text", lambda s: s.name, width=22)]
    for i in ind:
        label = i.label.split("(")[0]
        cols.append(Col(f"{label}（{i.weight}分）", "数值", KIND[i.code], lambda s, c=i.code: s.values.get(c),
                        missing="无数据" if i.code == "sla" else "—", width=10))
        cols.append(Col(f"{label}（{i.weight}分）", "得分", "score", lambda s, c=i.code: s.points.get(c), width=8))
    cols.append(Col("总得分", "总得分", "score", lambda s: s.total, width=9))
    return cols


def tables(a: Assessment) -> list[Table]:
    return [
        Table("县区考核", "一、各县（市、区）年度考核得分及排名", _cols("县（市、区）", a.scheme), a.units),
        Table("银行考核", "二、各金融机构年度考核得分及排名", _cols("金融机构", a.scheme), a.banks),
    ]


def write_assessment(a: Assessment, out_dir: Path, *, pdf: bool = True) -> dict[str, Path]:
    """Write the assessment files into `out_dir`; returns their paths by kind."""
    out_dir.mkdir(parents=True, exist_ok=True)
    t = tables(a)
    sub = f"金额单位：万元    考核年度：{a.year}年"
    stem = f"首贷拓展年度考核_{a.year}"
    paths = {"xlsx": out_dir / f"{stem}.xlsx", "pdf": out_dir / f"{stem}.pdf",
             "by_county": out_dir / f"assessment_{a.year}_by_county.csv",
             "by_bank": out_dir / f"assessment_{a.year}_by_bank.csv"}
    write_xlsx(paths["xlsx"], a.title, sub, t, a.notes)
    if pdf:
        write_pdf(paths["pdf"], a.title, sub, t, a.notes)
    else:
        del paths["pdf"]
    write_csv(paths["by_county"], t[0])
    write_csv(paths["by_bank"], t[1])
    return paths


__all__ = ["Scored", "tables", "write_assessment"]
