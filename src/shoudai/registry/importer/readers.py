"""Getting an agency file into DuckDB: format and encoding detection, the header row, GB18030 transcoding, XLSX."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import shutil
import subprocess
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from shoudai.registry.importer.errors import ImportFileError
from shoudai.registry.importer.sources import Source, match_headers

HEAD_BYTES = 1 << 20
HEADER_SEARCH_ROWS = 10  # a title line or two above the header row is common in exported sheets
CHUNK = 32 << 20


@dataclass
class Layout:
    """Where the data sits in a file: header row, delimiter, which column feeds which key."""

    header_index: int  # 0-based record index of the header row (spreadsheet row = header_index + 1)
    width: int  # number of columns in the header row
    columns: dict[str, int]  # source column key → position
    headers: list[str]  # header texts as in the file
    delimiter: str = ","


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(8 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def file_format(path: Path) -> str:
    """xlsx for any Excel workbook (by content, not name), else csv."""
    with path.open("rb") as f:
        magic = f.read(8)
    if magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        return "xlsx"
    return "csv"


def detect_encoding(head: bytes) -> str:
    """utf-8-sig, utf-8 or gb18030, judged on the first megabyte."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    for encoding in ("utf-8", "gb18030"):
        try:
            codecs.getincrementaldecoder(encoding)().decode(head, final=False)
            return encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError("无法识别文件编码：请使用UTF-8或GB18030编码的CSV文件，或XLSX文件")


def _decode_head(head: bytes, encoding: str) -> str:
    return codecs.getincrementaldecoder(encoding)(errors="replace").decode(head, final=False)


def _sniff_delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def find_header(source: Source, rows: list[list[str]]) -> tuple[int, dict[str, int], list[str]]:
    """The first of the top rows that has every required column; else an error naming the missing ones."""
    best: tuple[int, dict[str, int], list[str]] | None = None
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cells = [c if isinstance(c, str) else "" for c in row]
        found, missing = match_headers(source, cells)
        if not missing:
            return i, found, cells
        if found and (best is None or len(found) > len(best[1])):
            best = (i, found, missing)
    if best is None:
        labels = "、".join(c.label for c in source.columns if c.required)
        raise ImportFileError(f"找不到表头：文件应为{source.label}，需要的列有：{labels}")
    raise ImportFileError(f"缺少必填列：{'、'.join(best[2])}")


def csv_layout(path: Path, source: Source, encoding: str) -> Layout:
    """Header row and delimiter of a CSV file, from its first megabyte."""
    with path.open("rb") as f:
        head = f.read(HEAD_BYTES)
    text = _decode_head(head, encoding).lstrip("\ufeff")
    if not text.strip():
        raise ImportFileError("文件为空")
    lines = text.splitlines()
    delimiter = _sniff_delimiter(next((ln for ln in lines if ln.strip()), ""))
    rows = list(csv.reader(io.StringIO("\n".join(lines[: HEADER_SEARCH_ROWS + 1])), delimiter=delimiter))
    index, columns, headers = find_header(source, rows)
    return Layout(index, len(headers), columns, headers, delimiter)


def transcode_to_utf8(src: Path, dst: Path, encoding: str = "gb18030") -> None:
    """Stream a file into UTF-8 (DuckDB here reads UTF-8 only): iconv when present, else Python's decoder."""
    if shutil.which("iconv") and encoding == "gb18030":
        done = subprocess.run(
            ["iconv", "-f", "GB18030", "-t", "UTF-8", "-o", str(dst), str(src)], capture_output=True, check=False
        )
        if done.returncode == 0:
            return
    python_transcode(src, dst, encoding)


def python_transcode(src: Path, dst: Path, encoding: str = "gb18030") -> None:
    """Python's incremental decoder in big chunks (the fallback, and the bench's comparison)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        with src.open("rb") as fin, dst.open("wb") as fout:
            while chunk := fin.read(CHUNK):
                fout.write(decoder.decode(chunk).encode("utf-8"))
            fout.write(decoder.decode(b"", final=True).encode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"文件编码无法识别：第{exc.start}字节附近不是有效的{encoding.upper()}编码") from exc


def _cell(value: object) -> str | None:
    """An Excel cell as the text an agency would have typed (dates ISO, whole numbers without .0)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return None
    return str(value)


def xlsx_to_csv(path: Path, source: Source, out: Path) -> tuple[Layout, int]:
    """The data rows of the first sheet that has the source's header row, written as a plain UTF-8 CSV for DuckDB.

    Rows keep their places (blank ones too), so row numbers still match the sheet. Returns the layout and row count.
    """
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as exc:
        raise ImportFileError(f"无法打开Excel文件：{exc}") from exc
    first_error: ImportFileError | None = None
    for name in book.sheet_names:
        rows = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
        header_rows = [[_cell(v) or "" for v in r] for r in rows[:HEADER_SEARCH_ROWS]]
        try:
            index, columns, headers = find_header(source, header_rows)
        except ImportFileError as exc:
            first_error = first_error or exc
            continue
        width = len(headers)
        blank = [""] * width
        with out.open("w", encoding="utf-8", newline="") as f:
            writer = csv.writer(f)
            for r in rows[index + 1 :]:
                writer.writerow([(_cell(v) or "") for v in (list(r) + blank)[:width]])
        return Layout(index, width, columns, headers), len(rows) - index - 1
    if first_error is None:
        raise ImportFileError("Excel文件中没有工作表")
    if len(book.sheet_names) > 1:
        raise ImportFileError(f"没有一个工作表包含所需的表头（{first_error}）")
    raise first_error
