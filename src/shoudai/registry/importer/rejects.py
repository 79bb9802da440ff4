"""The rejects report of one import: one row per problem, as CSV (UTF-8 with BOM, for Excel) and as XLSX."""

from __future__ import annotations

import codecs
import shutil
from pathlib import Path

import xlsxwriter

from shoudai.registry.importer.macros import lit
from shoudai.registry.importer.readers import Layout
from shoudai.registry.importer.sources import Source
from shoudai.registry.importer.validate import check_actions

HEADERS = ("文件", "行号", "列", "值", "原因", "处理")
XLSX_MAX_ROWS = 1_048_576 - 2  # one sheet's rows, less the header and a closing note


def column_labels(source: Source, layout: Layout) -> dict[str, str]:
    """Each checked column's name as the agency's file spells it (the contract's name if the file lacks it)."""
    labels = {}
    for col in source.columns:
        pos = layout.columns.get(col.key)
        labels[col.key] = layout.headers[pos].strip() if pos is not None else col.label
    labels["extra_fields"] = "（整行）"
    return labels


def problems_sql(file_name: str, source: Source, layout: Layout) -> str:
    """Every problem in the stage table (its `issues` lists), in file order, with the report's columns."""
    labels = column_labels(source, layout)
    actions = check_actions(source.kind)
    label_of = "[" + ", ".join(lit(labels[key]) for key in actions) + "]"
    action_of = "[" + ", ".join(lit(action) for action in actions.values()) + "]"
    return f"""SELECT {lit(file_name)} AS "文件", row_no AS "行号", {label_of}[p.col + 1] AS "列", p.value AS "值",
                      p.reason AS "原因", {action_of}[p.col + 1] AS "处理"
               FROM (SELECT row_no, unnest(issues) AS p FROM stage WHERE issues IS NOT NULL) ORDER BY row_no, p.col"""


def write_reports(con, file_name: str, source: Source, layout: Layout, workdir: Path) -> tuple[int, Path | None, Path | None]:
    """Write rejects.csv and rejects.xlsx into `workdir` when there is any problem; returns (count, csv, xlsx)."""
    con.execute(f"CREATE TEMP TABLE problems AS {problems_sql(file_name, source, layout)}")
    count = con.execute("SELECT count(*) FROM problems").fetchone()[0]
    if count == 0:
        return 0, None, None
    body = workdir / "rejects.body.csv"
    con.execute(f"COPY problems TO {lit(str(body))} (FORMAT csv, HEADER true)")
    out_csv = workdir / "rejects.csv"
    with out_csv.open("wb") as dst, body.open("rb") as src:
        dst.write(codecs.BOM_UTF8)  # so Excel opens it as UTF-8
        shutil.copyfileobj(src, dst, 8 << 20)
    body.unlink()
    out_xlsx = workdir / "rejects.xlsx"
    _write_xlsx(con, out_xlsx, count)
    return count, out_csv, out_xlsx


def _write_xlsx(con, path: Path, count: int) -> None:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("问题清单")
    bold = book.add_format({"bold": True})
    for j, (title, width) in enumerate(zip(HEADERS, (24, 8, 20, 24, 40, 14), strict=True)):
        sheet.set_column(j, j, width)
        sheet.write_string(0, j, title, bold)
    cursor = con.execute(f"SELECT * FROM problems LIMIT {XLSX_MAX_ROWS}")
    r = 1
    while batch := cursor.fetchmany(50_000):
        for file_name, row_no, col, value, reason, action in batch:
            sheet.write_string(r, 0, file_name)
            sheet.write_number(r, 1, row_no)
            sheet.write_string(r, 2, col)
            if value is not None:
                sheet.write_string(r, 3, value)
            sheet.write_string(r, 4, reason)
            sheet.write_string(r, 5, action)
            r += 1
    if count > XLSX_MAX_ROWS:
        sheet.write_string(r, 0, f"另有{count - XLSX_MAX_ROWS}条问题超出Excel行数上限，请查看CSV版问题清单")
    book.close()
