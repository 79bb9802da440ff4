"""Working days (Q5): chinese-calendar plus an override table; unknown years are flagged, never guessed."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

SHANGHAI = ZoneInfo("Asia/Shanghai")
HOLIDAY = "holiday"
WORKDAY = "workday"
KINDS = (HOLIDAY, WORKDAY)
END_OF_DAY = time(23, 59, 59)


class UnknownYear(LookupError):
    """Neither the library nor an imported arrangement knows this year's holidays."""

    def __init__(self, year: int):
        super().__init__(f"{year} 年节假日安排未知 holiday arrangement for {year} is unknown")
        self.year = year


@dataclass(frozen=True)
class WorkingDay:
    """A date reached by counting working days; provisional if an unknown year was judged on weekends alone."""

    day: date
    provisional: bool
    unknown_years: tuple[int, ...]


@dataclass(frozen=True)
class Deadline:
    """When a clock runs out: the end (23:59:59 Shanghai) of its last working day."""

    due_at: datetime
    due_day: date
    provisional: bool
    unknown_years: tuple[int, ...]

    def missed_by(self, at: datetime) -> bool:
        """True if `at` falls after the due day (anything up to midnight Shanghai is still on time)."""
        return shanghai_date(at) > self.due_day


@dataclass(frozen=True)
class WorkingDayCount:
    """How many working days lie in (start, end]; provisional if an unknown year was judged on weekends alone."""

    days: int
    provisional: bool
    unknown_years: tuple[int, ...]


@dataclass(frozen=True)
class SpecialDay:
    """A holiday or adjusted working day (调休) of a year, and where the calendar learnt it."""

    day: date
    kind: str
    name: str
    origin: str  # 'table' | 'library'


def shanghai_date(at: datetime) -> date:
    """The Shanghai calendar date of an aware datetime; naive datetimes are refused, not guessed."""
    if not isinstance(at, datetime):
        raise TypeError(f"expected an aware datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"naive datetime {at.isoformat()} (需要带时区 a timezone is required)")
    return at.astimezone(SHANGHAI).date()


def end_of_day(day: date) -> datetime:
    """23:59:59 Asia/Shanghai on `day`."""
    return datetime.combine(day, END_OF_DAY, tzinfo=SHANGHAI)


@functools.lru_cache(maxsize=4096)
def _library_is_workday(day: date) -> bool:
    # Memoised: every push computes deadlines, and the library validates and looks up each day afresh (about a
    # twentieth of a submission's CPU before this). Fixed for a given library version; years it does not cover
    # raise, and an exception is not cached.
    return chinese_calendar.is_workday(day)


def _weekend_rule(day: date) -> bool:
    return day.weekday() < 5


class WorkCalendar:
    """The State Council arrangement: library years, overridden and extended by imported/admin days."""

    def __init__(
        self,
        overrides: Mapping[date, str] | None = None,
        imported_years: Iterable[int] = (),
        *,
        names: Mapping[date, str] | None = None,
        library: Callable[[date], bool] = _library_is_workday,
    ):
        self._overrides = dict(overrides or {})
        bad = {d: k for d, k in self._overrides.items() if k not in KINDS}
        if bad:
            raise ValueError(f"override kinds must be holiday|workday: {bad}")
        self._imported = frozenset(imported_years)
        self._names = dict(names or {})
        self._library = library
        self._library_years: dict[int, bool] = {}

    @property
    def imported_years(self) -> frozenset[int]:
        return self._imported

    def library_knows(self, year: int) -> bool:
        """Whether chinese-calendar has the arrangement for `year` (it raises NotImplementedError otherwise)."""
        if year not in self._library_years:
            try:
                self._library(date(year, 1, 1))
                self._library_years[year] = True
            except NotImplementedError:
                self._library_years[year] = False
        return self._library_years[year]

    def knows_year(self, year: int) -> bool:
        """A year is known if the library knows it or an imported arrangement fully describes it."""
        return year in self._imported or self.library_knows(year)

    def _judge(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is the answer known); unknown years fall back to the weekend rule."""
        if type(day) is not date:
            raise TypeError(f"expected a date, got {type(day).__name__}")
        kind = self._overrides.get(day)
        known = self.knows_year(day.year)
        if kind is not None:
            return kind == WORKDAY, known
        if day.year in self._imported:
            # An imported year lists every exception; any other day follows the weekend rule.
            return _weekend_rule(day), True
        if known:
            return self._library(day), True
        return _weekend_rule(day), False

    def is_workday(self, day: date) -> bool:
        """Whether `day` is a working day; raises UnknownYear rather than guess."""
        workday, known = self._judge(day)
        if not known:
            raise UnknownYear(day.year)
        return workday

    def add_working_days(self, start: date, days: int) -> WorkingDay:
        """The `days`-th working day after `start` (start itself never counts, whatever its kind)."""
        _check_days(days)
        if type(start) is not date:
            raise TypeError(f"expected a date, got {type(start).__name__}")
        unknown: set[int] = set()
        day, left = start, days
        while left:
            day += timedelta(days=1)
            workday, known = self._judge(day)
            if not known:
                unknown.add(day.year)
            if workday:
                left -= 1
        return WorkingDay(day, bool(unknown), tuple(sorted(unknown)))

    def deadline(self, event_at: datetime, days: int) -> Deadline:
        """End of the `days`-th working day after the Shanghai date of `event_at` (Q5's 211 clocks)."""
        _check_days(days)
        reached = self.add_working_days(shanghai_date(event_at), days)
        return Deadline(end_of_day(reached.day), reached.day, reached.provisional, reached.unknown_years)

    def working_days_between(self, start: date | datetime, end: date | datetime) -> WorkingDayCount:
        """Working days in (start, end]: how many a clock started at `start` has used up by `end`."""
        first, last = _as_date(start), _as_date(end)
        if last < first:
            raise ValueError(f"end {last} is before start {first}")
        unknown: set[int] = set()
        count = 0
        day = first
        while day < last:
            day += timedelta(days=1)
            workday, known = self._judge(day)
            if not known:
                unknown.add(day.year)
            count += workday
        return WorkingDayCount(count, bool(unknown), tuple(sorted(unknown)))

    def special_days(self, year: int) -> list[SpecialDay]:
        """The year's holidays and adjusted working days, overrides first, as the calendar applies them."""
        found: dict[date, SpecialDay] = {}
        if year not in self._imported and self.library_knows(year):
            for day, english in chinese_calendar.holidays.items():
                if day.year == year:
                    found[day] = SpecialDay(day, HOLIDAY, _library_name(english), "library")
            for day, english in chinese_calendar.workdays.items():
                if day.year == year:
                    found[day] = SpecialDay(day, WORKDAY, _library_name(english), "library")
        for day, kind in self._overrides.items():
            if day.year == year:
                found[day] = SpecialDay(day, kind, self._names.get(day, ""), "table")
        return [found[d] for d in sorted(found)]


def _library_name(english: str) -> str:
    try:
        return f"{chinese_calendar.Holiday(english).chinese} {english}"
    except ValueError:
        return english


def _check_days(days: int) -> None:
    if isinstance(days, bool) or not isinstance(days, int):
        raise TypeError(f"days must be an int, got {type(days).__name__}")
    if days < 0:
        raise ValueError(f"days must be >= 0, got {days} (工作日天数不能为负)")


def _as_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        return shanghai_date(value)
    if isinstance(value, date):
        return value
    raise TypeError(f"expected a date or an aware datetime, got {type(value).__name__}")
