"""Exports of a stored version (L5): CSV files straight from DuckDB, and one streamed Excel workbook per county/zone."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import xlsxwriter
from sqlalchemy.orm import Session

from shoudai.reference.loaders import division_names, reporting_units
from shoudai.registry import lists

EXCEL_MAX_ROWS = 1_048_576  # rows in one .xlsx sheet
HEADER_ROWS = 2  # a title row and the column headers
SHEETS = {"sme": "小微企业无贷户名单", "individual": "个体工商户无贷户名单"}

COMMON_CSV = ("uscc, reg_no, name, county_code, county_name, entity_kind, registry_type, industry_code, tier, "
              "{size}tax_status, tax_grade, change, first_listed_year, legal_rep_masked, established_on, address, "
              "reasons")
REMOVED_CSV = "uscc, reg_no, name, list_kind, county_code, county_name, reason_code, reason"

SIZE_ZH = "CASE size_class WHEN 'micro' THEN '微型' WHEN 'small' THEN '小型' WHEN 'unknown' THEN '未能判定' END"
CHANGE_ZH = "CASE change WHEN 'new' THEN '新增' ELSE '存量' END"
# (header, SQL expression, column width) per sheet; 序号 is written by the exporter.
XLSX_COLUMNS = {
    "sme": (
        ("统一社会信用代码", "uscc", 22), ("注册号", "reg_no", 17), ("企业名称", "name", 36),
        ("主体类型", "registry_type", 20), ("法定代表人", "legal_rep_masked", 10), ("成立日期", "established_on", 12),
        ("行业代码", "industry_code", 9), ("企业规模", SIZE_ZH, 9), ("纳税信用等级", "tax_grade", 12),
        ("名单层级", "tier", 9), ("变动情况", CHANGE_ZH, 9), ("首次入选年度", "first_listed_year", 12),
        ("住所", "address", 36), ("入选依据", "reasons", 70),
    ),
    "individual": (
        ("统一社会信用代码", "uscc", 22), ("注册号", "reg_no", 17), ("字号名称", "name", 30),
        ("经营者", "legal_rep_masked", 10), ("成立日期", "established_on", 12), ("行业代码", "industry_code", 9),
        ("纳税信用等级", "tax_grade", 12), ("名单层级", "tier", 9), ("变动情况", CHANGE_ZH, 9),
        ("首次入选年度", "first_listed_year", 12), ("经营场所", "address", 36), ("入选依据", "reasons", 60),
    ),
}


@dataclass
class ExportResult:
    csv_files: dict[str, Path] = field(default_factory=dict)
    workbooks: list[Path] = field(default_factory=list)


def _q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")  # the CLI shows its own progress
    names = division_names()
    con.register("county_names", pa.table({"code": list(names), "county_name": list(names.values())}))
    return con


def export_csv(session: Session, year: int, out_dir: str | Path) -> dict[str, Path]:
    """sme.csv, individual.csv and removed.csv (UTF-8, header row) of year `year`'s version."""
    version = lists.get_version(session, year)
    if version is None:
        raise LookupError(f"{year} 年尚未生成名单")
    entries, removals = lists.ensure_files(session, version)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    con = _connect()
    files = {}
    try:
        for kind, size in (("sme", "size_class, "), ("individual", "")):
            path = out / f"{kind}.csv"
            con.execute(
                f"COPY (SELECT {COMMON_CSV.format(size=size)} FROM read_parquet({_q(entries)}) "
                f"LEFT JOIN county_names ON code = county_code WHERE list_kind = '{kind}') "
                f"TO {_q(path)} (HEADER, DELIMITER ',')"
            )
            files[kind] = path
        path = out / "removed.csv"
        con.execute(
            f"COPY (SELECT {REMOVED_CSV} FROM read_parquet({_q(removals)}) "
            f"LEFT JOIN county_names ON code = county_code ORDER BY county_code, entity_key) "
            f"TO {_q(path)} (HEADER, DELIMITER ',')"
        )
        files["removed"] = path
    finally:
        con.close()
    return files


def workbook_name(code: str, name: str) -> str:
    return f"{code}_{name}.xlsx"


def export_workbooks(
    session: Session, year: int, out_dir: str | Path, *, workers: int = 1, max_data_rows: int | None = None
) -> list[Path]:
    """One workbook per reporting unit with both lists as sheets; legal representatives masked (X2)."""
    version = lists.get_version(session, year)
    if version is None:
        raise LookupError(f"{year} 年尚未生成名单")
    entries, _ = lists.ensure_files(session, version)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    limit = max_data_rows or EXCEL_MAX_ROWS - HEADER_ROWS
    jobs = [(str(entries), year, u.code, u.name, str(out / workbook_name(u.code, u.name)), limit)
            for u in reporting_units()]
    if workers <= 1:
        return [_write_workbook(*job) for job in jobs]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(_write_workbook, *zip(*jobs, strict=True)))


def _write_workbook(entries: str, year: int, code: str, name: str, path: str, limit: int) -> Path:
    """Stream one county's two lists into an .xlsx (constant memory: rows go to disk as they are written)."""
    con = _connect()
    wb = xlsxwriter.Workbook(path, {"constant_memory": True, "tmpdir": os.path.dirname(path)})
    try:
        title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
        head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "align": "center"})
        for kind, sheet in SHEETS.items():
            cols = XLSX_COLUMNS[kind]
            exprs = ", ".join(f"CAST({expr} AS VARCHAR)" for _, expr, _ in cols)
            total = con.sql(
                f"SELECT count(*) FROM read_parquet({_q(entries)}) WHERE county_code = '{code}' AND list_kind = '{kind}'"
            ).fetchall()[0][0]
            reader = con.sql(
                f"SELECT {exprs} FROM read_parquet({_q(entries)}) "
                f"WHERE county_code = '{code}' AND list_kind = '{kind}' ORDER BY entity_key"
            ).to_arrow_reader(50_000)
            title = f"{name} {year}年{sheet}（共{total}户）"
            part, ws, row, n = 1, None, 0, 0
            for batch in reader:
                for values in zip(*(c.to_pylist() for c in batch.columns), strict=True):
                    if ws is None or row - HEADER_ROWS >= limit:
                        ws = _new_sheet(wb, sheet if part == 1 else f"{sheet}({part})", title, cols,
                                        title_fmt, head_fmt)
                        part, row = part + 1, HEADER_ROWS
                    n += 1
                    ws.write_number(row, 0, n)
                    for i, v in enumerate(values, start=1):
                        if v is not None:
                            ws.write_string(row, i, v)
                    row += 1
            if ws is None:  # an empty list still gets its sheet, with headers
                _new_sheet(wb, sheet, title, cols, title_fmt, head_fmt)
    finally:
        wb.close()
        con.close()
    return Path(path)


def _new_sheet(wb, sheet_name: str, title: str, cols, title_fmt, head_fmt):
    ws = wb.add_worksheet(sheet_name)
    ws.set_column(0, 0, 8)
    for i, (_, _, width) in enumerate(cols, start=1):
        ws.set_column(i, i, width)
    ws.merge_range(0, 0, 0, len(cols), title, title_fmt)
    ws.set_row(0, 24)
    ws.write_string(1, 0, "序号", head_fmt)
    for i, (header, _, _) in enumerate(cols, start=1):
        ws.write_string(1, i, header, head_fmt)
    ws.freeze_panes(HEADER_ROWS, 0)
    return ws


def export_year(session: Session, year: int, out_dir: str | Path, *, workbooks: bool = True,
                workers: int = 1) -> ExportResult:
    """CSV files in `out_dir`, and the per-county workbooks in `out_dir`/excel."""
    result = ExportResult(csv_files=export_csv(session, year, out_dir))
    if workbooks:
        result.workbooks = export_workbooks(session, year, Path(out_dir) / "excel", workers=workers)
    return result
