"""The calendar_day table: load it into a WorkCalendar, import a State Council arrangement from CSV."""

from __future__ import annotations

import csv
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from shoudai.kit.calendar import HOLIDAY, KINDS, WORKDAY, WorkCalendar
from shoudai.kit.ttlcache import TtlCache
from shoudai.reference.models import CalendarDay

ADMIN_SOURCE = "admin"
COLUMNS = {"date": ("date", "日期"), "kind": ("kind", "类型"), "name": ("name", "名称")}
DATE_RE = re.compile(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})$")
NAME_MAX = 50
SOURCE_MAX = 100
# The notice for year Y+1 often starts its New Year break in late December of Y (2018-12-29 in the 2019
# notice, 2023-12-30 in the 2024 one). Such days belong to Y+1's arrangement: they must not make Y look
# imported, nor be wiped when Y is re-imported. No notice ever sets a day of its own year after 19 December.
NEXT_NOTICE_FROM = (12, 20)


@dataclass(frozen=True)
class RowError:
    """One rejected cell: row number as a spreadsheet shows it (header = 1), column name, Chinese reason."""

    row: int
    column: str
    reason: str

    def __str__(self) -> str:
        if self.row == 0:
            return f"文件: {self.reason}"
        return f"第{self.row}行 列{self.column}: {self.reason}"


class ArrangementError(ValueError):
    """The file was rejected whole; nothing was written."""

    def __init__(self, errors: Sequence[RowError]):
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = list(errors)


@dataclass(frozen=True)
class ArrangementRow:
    day: date
    kind: str
    name: str


@dataclass
class ImportSummary:
    """What an import changed; re-importing the same file gives added = changed = removed = 0."""

    source: str
    years: list[int]
    rows: int
    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0


def load_calendar(session: Session) -> WorkCalendar:
    """The working-day calendar: chinese-calendar overridden and extended by the calendar_day table."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind, CalendarDay.name, CalendarDay.source)).all()
    overrides = {r.day: r.kind for r in rows}
    names = {r.day: r.name for r in rows}
    # An admin's single-day edit overrides that day only; an imported notice describes its whole year.
    imported = {notice_year(r.day) for r in rows if r.source != ADMIN_SOURCE}
    return WorkCalendar(overrides, imported, names=names)


_CACHED = TtlCache(30, lambda session, _key: load_calendar(session))


def cached_calendar(session: Session) -> WorkCalendar:
    """`load_calendar`, kept 30 s per database: for the need submission, which pushes (and so reads it) every time.

    An import clears this process's copy; one made by another process (the CLI) applies here within 30 s. A push in
    those seconds computes on the old calendar: a deadline it marked provisional is recomputed by the next sweep, one
    in a year the old calendar already knew is off only if it spans a day the import changed."""
    return _CACHED.get(session)


def notice_year(day: date) -> int:
    """The year whose State Council notice fixes `day`: late December belongs to the next year's notice."""
    return day.year + 1 if (day.month, day.day) >= NEXT_NOTICE_FROM else day.year


def notice_span(year: int) -> tuple[date, date]:
    """First and last day a notice for `year` can fix."""
    month, day = NEXT_NOTICE_FROM
    return date(year - 1, month, day), date(year, month, day - 1)


def import_arrangement(
    session: Session,
    rows_or_path: str | os.PathLike | Iterable[Sequence[str]],
    *,
    actor: str,
    source: str | None = None,
    now: datetime | None = None,
) -> ImportSummary:
    """Validate a `date,kind,name` arrangement and make it the table's content for the years it covers.

    `rows_or_path` is a CSV file (UTF-8, BOM allowed) or rows as csv.reader yields them, header first.
    Any error rejects the whole file (ArrangementError). The session is flushed, not committed.
    """
    if not actor:
        raise ValueError("actor is required")
    if isinstance(rows_or_path, (str, os.PathLike)):
        path = Path(rows_or_path)
        source = source or path.name
        table = _read_csv(path.read_bytes())
    else:
        if not source:
            raise ValueError("source is required when importing rows (e.g. the uploaded file's name)")
        table = [list(r) for r in rows_or_path]
    parsed = parse_arrangement(table)
    return _apply(session, parsed, actor=actor, source=source[:SOURCE_MAX], now=now)


def _read_csv(raw: bytes) -> list[list[str]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ArrangementError([RowError(0, "", "文件不是 UTF-8 编码（Excel 请另存为“CSV UTF-8”）")]) from None
    return list(csv.reader(io.StringIO(text, newline="")))


def parse_arrangement(table: Sequence[Sequence[str]]) -> list[ArrangementRow]:
    """Check every row; return them all or raise ArrangementError listing every problem found."""
    if not table:
        raise ArrangementError([RowError(0, "", "文件为空，缺少表头 date,kind,name")])
    header = [c.strip().lstrip("\ufeff").lower() for c in table[0]]
    where: dict[str, int] = {}
    for key, aliases in COLUMNS.items():
        hits = [i for i, c in enumerate(header) if c in aliases]
        if hits:
            where[key] = hits[0]
    missing = [k for k in COLUMNS if k not in where]
    if missing:
        raise ArrangementError([RowError(1, k, f"缺少表头列 {k}（表头应为 date,kind,name）") for k in missing])
    errors: list[RowError] = []
    rows: list[ArrangementRow] = []
    seen: dict[date, int] = {}
    for number, cells in enumerate(table[1:], start=2):
        if not any(c.strip() for c in cells):
            continue
        cell = {k: (cells[i].strip() if i < len(cells) else "") for k, i in where.items()}
        row_errors = len(errors)
        day = _parse_date(cell["date"], number, errors)
        kind = cell["kind"].lower()
        if kind not in KINDS:
            errors.append(RowError(number, "kind", f"类型“{cell['kind']}”无效，应为 holiday（放假）或 workday（调休上班）"))
        if not cell["name"]:
            errors.append(RowError(number, "name", "名称不能为空"))
        elif len(cell["name"]) > NAME_MAX:
            errors.append(RowError(number, "name", f"名称超过 {NAME_MAX} 个字符"))
        if day is not None:
            if day in seen:
                errors.append(RowError(number, "date", f"日期 {day} 与第{seen[day]}行重复"))
            else:
                seen[day] = number
            if kind == WORKDAY and day.weekday() < 5:
                errors.append(RowError(number, "kind", f"{day} 是周{'一二三四五'[day.weekday()]}，本来就上班；"
                                                        "调休上班日应为周六或周日，请核对"))
        if len(errors) == row_errors:
            rows.append(ArrangementRow(day, kind, cell["name"]))
    if not rows and not errors:
        errors.append(RowError(0, "", "文件没有数据行"))
    if not errors:
        errors = _incomplete_years(rows, seen)
    if errors:
        raise ArrangementError(errors)
    return rows


def _incomplete_years(rows: list[ArrangementRow], first_row: dict[date, int]) -> list[RowError]:
    """A file replaces whole years, so each year it touches must look like a whole notice (元旦 at least)."""
    errors = []
    holidays = {r.day for r in rows if r.kind == HOLIDAY}
    for year in sorted({notice_year(r.day) for r in rows}):
        if date(year, 1, 1) not in holidays:
            number = min(first_row[r.day] for r in rows if notice_year(r.day) == year)
            errors.append(RowError(number, "date", f"{year} 年缺少元旦 {year}-01-01 holiday，不像完整的全年安排；"
                                                   "导入会整体替换该年，请按国务院通知列出全部放假和调休日期"))
    return errors


def _parse_date(text: str, number: int, errors: list[RowError]) -> date | None:
    match = DATE_RE.match(text)
    if not match:
        errors.append(RowError(number, "date", f"日期“{text}”格式无法识别，应为 2027-01-01 或 2027/1/1"))
        return None
    try:
        return date(*(int(g) for g in match.groups()))
    except ValueError:
        errors.append(RowError(number, "date", f"日期“{text}”不存在"))
        return None


def _apply(session: Session, rows: list[ArrangementRow], *, actor: str, source: str,
           now: datetime | None) -> ImportSummary:
    """Replace the covered years' rows by the file's, touching only rows that really differ."""
    now = now or datetime.now(UTC)
    years = sorted({notice_year(r.day) for r in rows})
    summary = ImportSummary(source=source, years=years, rows=len(rows))
    wanted = {r.day: r for r in rows}
    existing = {
        c.day: c for c in session.scalars(select(CalendarDay).where(CalendarDay.day.in_(list(wanted))))
    }
    for year in years:
        first, last = notice_span(year)
        stale = session.scalars(select(CalendarDay).where(CalendarDay.day >= first, CalendarDay.day <= last))
        for old in stale:
            if old.day not in wanted:
                session.delete(old)
                summary.removed += 1
    for day, row in wanted.items():
        old = existing.get(day)
        if old is None:
            session.add(CalendarDay(day=day, kind=row.kind, name=row.name, source=source,
                                    updated_by=actor, updated_at=now))
            summary.added += 1
        elif (old.kind, old.name) != (row.kind, row.name):
            old.kind, old.name, old.source, old.updated_by, old.updated_at = row.kind, row.name, source, actor, now
            summary.changed += 1
        else:
            summary.unchanged += 1
    session.flush()
    _CACHED.clear()
    return summary

