"""The pure working-day core: library years, overrides, unknown years, the 211 deadline rule."""

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoudai.kit.calendar import SHANGHAI, UnknownYear, WorkCalendar, shanghai_date

CAL = WorkCalendar()


def sh(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


def due(event_at: datetime, days: int, cal: WorkCalendar = CAL) -> str:
    return cal.deadline(event_at, days).due_at.isoformat()


def test_2025_national_day_and_mid_autumn():
    for day in range(1, 9):
        assert not CAL.is_workday(date(2025, 10, day)), f"2025-10-{day} is part of the 8-day break"
    assert CAL.is_workday(date(2025, 9, 28))  # Sunday, adjusted working day
    assert CAL.is_workday(date(2025, 10, 11))  # Saturday, adjusted working day
    assert not CAL.is_workday(date(2025, 9, 27))  # an ordinary Saturday
    assert CAL.is_workday(date(2025, 10, 9))
    assert due(sh(2025, 9, 30, 10), 2) == "2025-10-10T23:59:59+08:00"
    # From Friday the 10th, the adjusted Saturday counts: 1 day lands on Saturday the 11th.
    assert due(sh(2025, 10, 10, 9), 1) == "2025-10-11T23:59:59+08:00"
    # From Saturday 27 September the next working day is the adjusted Sunday.
    assert due(sh(2025, 9, 27, 9), 1) == "2025-09-28T23:59:59+08:00"


def test_2026_spring_festival_with_adjusted_saturdays():
    for offset in range(9):
        assert not CAL.is_workday(date(2026, 2, 15) + timedelta(days=offset))
    assert CAL.is_workday(date(2026, 2, 14))  # Saturday before the break
    assert CAL.is_workday(date(2026, 2, 28))  # Saturday after it
    assert due(sh(2026, 2, 13, 16), 1) == "2026-02-14T23:59:59+08:00"
    assert due(sh(2026, 2, 13, 16), 2) == "2026-02-24T23:59:59+08:00"
    assert due(sh(2026, 2, 27, 16), 1) == "2026-02-28T23:59:59+08:00"


def test_2026_national_day_example_from_the_brief():
    result = CAL.deadline(sh(2026, 9, 30, 10), 2)
    assert result.due_at.isoformat() == "2026-10-09T23:59:59+08:00"
    assert result.due_day == date(2026, 10, 9)
    assert not result.provisional and result.unknown_years == ()


def test_unknown_year_is_provisional_on_weekends_alone():
    assert not CAL.library_knows(2027), "chinese-calendar learnt 2027: move these tests to the next unknown year"
    result = CAL.deadline(sh(2026, 12, 30, 10), 2)
    assert result.due_at.isoformat() == "2027-01-01T23:59:59+08:00"
    assert result.provisional and result.unknown_years == (2027,)
    with pytest.raises(UnknownYear) as err:
        CAL.is_workday(date(2027, 1, 1))
    assert err.value.year == 2027
    with pytest.raises(UnknownYear):
        CAL.is_workday(date(2003, 6, 2))


def test_imported_year_makes_the_same_deadline_final():
    cal = WorkCalendar({date(2027, 1, d): "holiday" for d in (1, 2, 3)}, {2027})
    result = cal.deadline(sh(2026, 12, 30, 10), 2)
    assert result.due_at.isoformat() == "2027-01-04T23:59:59+08:00"
    assert not result.provisional
    assert cal.is_workday(date(2027, 1, 4)) and not cal.is_workday(date(2027, 1, 9))


def test_days_judged_only_in_known_years_are_not_provisional():
    # A deadline that ends before 2027 never judged an unknown day.
    assert not CAL.deadline(sh(2026, 12, 29, 10), 2).provisional


def test_override_wins_but_an_unimported_unknown_year_stays_provisional():
    cal = WorkCalendar({date(2027, 1, 1): "holiday"})
    result = cal.deadline(sh(2026, 12, 31, 10), 1)
    assert result.due_day == date(2027, 1, 4) and result.provisional


def test_overrides_win_over_the_library():
    cal = WorkCalendar({date(2025, 10, 9): "holiday", date(2025, 10, 4): "workday"})
    assert not cal.is_workday(date(2025, 10, 9))
    assert cal.is_workday(date(2025, 10, 4))
    assert not cal.is_workday(date(2025, 10, 3))  # the library still answers the rest of 2025


def test_an_imported_year_is_fully_described_by_its_overrides():
    cal = WorkCalendar({date(2025, 1, 1): "holiday"}, {2025})
    assert cal.is_workday(date(2025, 10, 1))  # the library's holiday is gone: the import replaced the year
    assert not cal.is_workday(date(2025, 9, 28))  # and so is its adjusted Sunday


def test_instant_decides_the_shanghai_date_not_the_utc_one():
    late_shanghai = sh(2025, 10, 9, 23, 30)
    same_in_utc = datetime(2025, 10, 9, 15, 30, tzinfo=UTC)
    assert late_shanghai == same_in_utc
    assert due(late_shanghai, 1) == due(same_in_utc, 1) == "2025-10-10T23:59:59+08:00"
    # One hour later it is already the 10th in Shanghai (still the 9th in UTC): the clock starts a day later.
    assert due(datetime(2025, 10, 9, 16, 30, tzinfo=UTC), 1) == "2025-10-11T23:59:59+08:00"
    new_york = datetime(2025, 10, 9, 12, 30, tzinfo=ZoneInfo("America/New_York"))  # EDT: 16:30 UTC
    assert due(new_york, 1) == "2025-10-11T23:59:59+08:00"


def test_event_on_a_holiday_counts_from_the_next_working_day():
    assert due(sh(2025, 10, 3, 10), 1) == "2025-10-09T23:59:59+08:00"
    assert due(sh(2025, 10, 3, 10), 2) == "2025-10-10T23:59:59+08:00"


def test_event_day_never_counts_even_when_it_is_a_working_day():
    assert due(sh(2025, 9, 28, 8), 1) == "2025-09-29T23:59:59+08:00"  # adjusted Sunday
    assert due(sh(2025, 9, 29, 0, 0, 1), 1) == "2025-09-30T23:59:59+08:00"


def test_zero_days_is_the_end_of_the_event_day():
    assert due(sh(2025, 10, 3, 10), 0) == "2025-10-03T23:59:59+08:00"


def test_due_at_is_the_end_of_day_in_shanghai():
    result = CAL.deadline(sh(2025, 9, 30, 10), 2)
    assert result.due_at.utcoffset() == timedelta(hours=8)
    assert (result.due_at.hour, result.due_at.minute, result.due_at.second) == (23, 59, 59)


def test_missed_by_allows_the_whole_due_day():
    result = CAL.deadline(sh(2025, 9, 30, 10), 2)
    assert not result.missed_by(result.due_at)
    assert not result.missed_by(sh(2025, 10, 10, 23, 59, 59, 999999))
    assert result.missed_by(sh(2025, 10, 11, 0, 0))
    assert result.missed_by(datetime(2025, 10, 10, 16, 0, tzinfo=UTC))


@pytest.mark.parametrize("days", [-1, -30])
def test_negative_days_are_rejected(days):
    with pytest.raises(ValueError, match="days must be >= 0"):
        CAL.deadline(sh(2025, 9, 30), days)
    with pytest.raises(ValueError):
        CAL.add_working_days(date(2025, 9, 30), days)


def test_naive_and_wrongly_typed_inputs_are_rejected():
    with pytest.raises(ValueError, match="naive"):
        CAL.deadline(datetime(2025, 9, 30, 10), 1)
    with pytest.raises(TypeError):
        CAL.deadline(date(2025, 9, 30), 1)
    with pytest.raises(TypeError):
        CAL.deadline(sh(2025, 9, 30), True)
    with pytest.raises(TypeError):
        CAL.is_workday(datetime(2025, 9, 30, tzinfo=UTC))
    with pytest.raises(ValueError):
        WorkCalendar({date(2027, 1, 1): "vacation"})


def test_add_working_days_on_dates():
    reached = CAL.add_working_days(date(2025, 9, 30), 3)
    assert reached.day == date(2025, 10, 11) and not reached.provisional
    assert CAL.add_working_days(date(2025, 9, 30), 0).day == date(2025, 9, 30)


def test_working_days_between():
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 10, 10)).days == 2
    assert CAL.working_days_between(date(2025, 10, 1), date(2025, 10, 8)).days == 0
    assert CAL.working_days_between(date(2025, 9, 30), date(2025, 9, 30)).days == 0
    # Aware datetimes are read as Shanghai dates: 15:30 UTC on the 9th is 23:30 on the 9th in Shanghai.
    assert CAL.working_days_between(sh(2025, 9, 30, 9), datetime(2025, 10, 9, 15, 30, tzinfo=UTC)).days == 1
    crossing = CAL.working_days_between(date(2026, 12, 30), date(2027, 1, 4))
    assert crossing.days == 3 and crossing.provisional and crossing.unknown_years == (2027,)
    with pytest.raises(ValueError):
        CAL.working_days_between(date(2025, 10, 10), date(2025, 9, 30))
    with pytest.raises(ValueError):
        CAL.working_days_between(datetime(2025, 9, 30), date(2025, 10, 10))


def test_shanghai_date():
    assert shanghai_date(datetime(2025, 12, 31, 16, 0, tzinfo=UTC)) == date(2026, 1, 1)
    assert shanghai_date(datetime(2025, 12, 31, 23, 0, tzinfo=timezone(timedelta(hours=-5)))) == date(2026, 1, 1)


def test_special_days_lists_the_library_and_the_overrides():
    days = {d.day: d for d in CAL.special_days(2025)}
    assert days[date(2025, 9, 28)].kind == "workday" and days[date(2025, 10, 6)].kind == "holiday"
    assert "中秋" in days[date(2025, 10, 6)].name and days[date(2025, 10, 6)].origin == "library"
    assert date(2025, 10, 9) not in days
    cal = WorkCalendar({date(2027, 1, 1): "holiday"}, {2027}, names={date(2027, 1, 1): "元旦 TEST"})
    assert [(d.day, d.kind, d.name, d.origin) for d in cal.special_days(2027)] == [
        (date(2027, 1, 1), "holiday", "元旦 TEST", "table")
    ]
    assert CAL.special_days(2027) == []


def test_matches_the_library_for_every_known_day():
    day = date(2004, 1, 1)
    while day <= date(2026, 12, 31):
        assert CAL.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


offsets = st.integers(min_value=-12 * 60, max_value=14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
events = st.datetimes(min_value=datetime(2004, 1, 2), max_value=datetime(2028, 12, 1), timezones=offsets)


@settings(max_examples=300, deadline=None)
@given(event_at=events, n=st.integers(min_value=0, max_value=45))
def test_property_later_count_is_later_and_due_day_is_a_working_day(event_at, n):
    this, following = CAL.deadline(event_at, n), CAL.deadline(event_at, n + 1)
    assert following.due_at > this.due_at
    day = following.due_day
    if CAL.knows_year(day.year):
        assert CAL.is_workday(day)
    else:
        assert following.provisional and day.year in following.unknown_years and day.weekday() < 5
    if n:
        assert CAL.is_workday(this.due_day) if CAL.knows_year(this.due_day.year) else this.due_day.weekday() < 5
    counted = CAL.working_days_between(event_at, following.due_day)
    assert counted.days == n + 1 and counted.provisional == following.provisional
