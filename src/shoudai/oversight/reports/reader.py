"""Reading a 首贷发放明细 file: CSV (UTF-8, UTF-8 with BOM, GB18030) or XLSX, header row found among the top rows."""

from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from pathlib import Path

from shoudai.oversight.reports.spec import COLUMNS, Problem, match_headers

HEADER_SEARCH_ROWS = 10  # exported sheets often carry a title line or two above the header


class UnusableFile(Exception):
    """The file as a whole cannot be read; nothing is applied."""

    def __init__(self, message: str):
        super().__init__(message)
        self.problem = Problem(None, None, message)


def decode(data: bytes) -> tuple[str, str]:
    """The text and the encoding (utf-8-sig, utf-8 or gb18030)."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8"), "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise UnusableFile("无法识别文件编码：请使用UTF-8或GB18030编码的CSV文件，或XLSX文件")


def _is_excel(data: bytes) -> bool:
    return data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _cell(value: object) -> object:
    """Excel cells as the checker expects them: dates as date, whole floats as text without '.0'."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if value is None:
        return None
    return str(value)


def _rows_csv(data: bytes) -> list[list[object]]:
    text, _ = decode(data)
    sample = next((ln for ln in text.splitlines() if ln.strip()), "")
    delimiter = max((",", "\t", ";"), key=sample.count) if sample else ","
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _rows_xlsx(data: bytes) -> list[list[object]]:
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # calamine raises several types for a damaged workbook
        raise UnusableFile(f"无法打开Excel文件：{exc}") from exc
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        if any(not match_headers([_cell(v) for v in r])[1] for r in rows[:HEADER_SEARCH_ROWS]):
            return [[_cell(v) for v in r] for r in rows]
    first = book.get_sheet_by_name(book.sheet_names[0]).to_python(skip_empty_area=False) if book.sheet_names else []
    return [[_cell(v) for v in r] for r in first]


def read_rows(data: bytes) -> list[tuple[int, dict[str, object]]]:
    """(spreadsheet row number, column key → cell) for every non-blank data row; UnusableFile if it cannot be read."""
    if not data.strip():
        raise UnusableFile("文件为空")
    rows = _rows_xlsx(data) if _is_excel(data) else _rows_csv(data)
    best: list[str] | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found, missing = match_headers(row)
        if not missing:
            out = []
            for offset, r in enumerate(rows[index + 1 :], start=index + 2):
                raw = {k: (r[i] if i < len(r) else None) for k, i in found.items()}
                if any(v not in (None, "") and str(v).strip() for v in raw.values()):
                    out.append((offset, raw))
            if not out:
                raise UnusableFile("文件中没有数据行")
            return out
        if found and (best is None or len(missing) < len(best)):
            best = missing
    if best is None:
        labels = "、".join(c.label for c in COLUMNS if c.required)
        raise UnusableFile(f"找不到表头：应为首贷发放明细，需要的列有：{labels}")
    raise UnusableFile(f"缺少必填列：{'、'.join(best)}")


def read_path(path: Path) -> list[tuple[int, dict[str, object]]]:
    return read_rows(path.read_bytes())
