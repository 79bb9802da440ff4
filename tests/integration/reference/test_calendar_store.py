"""The calendar_day table: import a notice from CSV, load it over chinese-calendar, on both engines."""

import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import chinese_calendar
import pytest
from sqlalchemy import func, select

from shoudai.kit.calendar import SHANGHAI
from shoudai.reference.calendar_store import (
    ArrangementError,
    cached_calendar,
    import_arrangement,
    load_calendar,
    notice_year,
)
from shoudai.reference.models import CalendarDay

DATA = Path(__file__).parents[2] / "data" / "calendar"
TEST_2027 = DATA / "2027-test-arrangement.csv"
EVENT = datetime(2026, 12, 30, 10, tzinfo=SHANGHAI)
NOW = datetime(2026, 11, 26, 9, tzinfo=UTC)


def table(session) -> dict[date, tuple[str, str, str, str]]:
    rows = session.scalars(select(CalendarDay)).all()
    return {r.day: (r.kind, r.name, r.source, r.updated_by) for r in rows}


def library_rows(years) -> list[list[str]]:
    """The library's own arrangement for the notice `years`, as an admin would type it into a CSV."""
    rows = [["date", "kind", "name"]]
    for kind, source in (("holiday", chinese_calendar.holidays), ("workday", chinese_calendar.workdays)):
        rows += [[d.isoformat(), kind, name] for d, name in source.items() if notice_year(d) in years]
    return rows


def write_csv(path: Path, rows) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_empty_table_is_the_library(session):
    cal = load_calendar(session)
    assert cal.imported_years == frozenset()
    assert not cal.is_workday(date(2025, 10, 8)) and cal.is_workday(date(2025, 10, 11))
    assert cal.deadline(EVENT, 2).provisional


def test_importing_2027_turns_a_provisional_deadline_final(session):
    before = load_calendar(session).deadline(EVENT, 2)
    assert before.provisional and before.due_day == date(2027, 1, 1)

    summary = import_arrangement(session, TEST_2027, actor="admin:li", now=NOW)
    assert (summary.years, summary.rows, summary.added, summary.removed) == ([2027], 22, 22, 0)
    assert summary.source == "2027-test-arrangement.csv"

    after = load_calendar(session).deadline(EVENT, 2)
    assert after.due_at.isoformat() == "2027-01-04T23:59:59+08:00"
    assert not after.provisional and after.unknown_years == ()
    row = session.get(CalendarDay, date(2027, 2, 20))
    assert (row.kind, row.source, row.updated_by) == ("workday", "2027-test-arrangement.csv", "admin:li")
    assert "TEST" in row.name
    cal = load_calendar(session)
    assert cal.is_workday(date(2027, 9, 26)) and not cal.is_workday(date(2027, 10, 7))


def test_reimporting_the_same_file_changes_nothing(session):
    import_arrangement(session, TEST_2027, actor="admin:li", now=NOW)
    first = table(session)
    again = import_arrangement(session, TEST_2027, actor="admin:wang", now=NOW + timedelta(days=1))
    assert (again.added, again.changed, again.removed, again.unchanged) == (0, 0, 0, 22)
    assert table(session) == first  # not even updated_by moved


def test_excel_flavoured_file_reads_the_same(session):
    import_arrangement(session, DATA / "2027-test-arrangement-excel.csv", actor="admin:li", now=NOW)
    excel = {d: v[:2] for d, v in table(session).items()}
    again = import_arrangement(session, TEST_2027, actor="admin:li", now=NOW)
    assert (again.added, again.changed, again.removed) == (0, 0, 0)
    assert {d: v[:2] for d, v in table(session).items()} == excel and len(excel) == 22


def test_a_bad_file_reports_every_error_and_writes_nothing(session):
    import_arrangement(session, TEST_2027, actor="admin:li", now=NOW)
    before = table(session)
    with pytest.raises(ArrangementError) as err:
        import_arrangement(session, DATA / "2027-test-bad.csv", actor="admin:li", now=NOW)
    found = [(e.row, e.column) for e in err.value.errors]
    assert found == [(3, "date"), (4, "kind"), (5, "date"), (6, "kind"), (7, "name"), (8, "date")]
    reasons = {(e.row, e.column): e.reason for e in err.value.errors}
    assert "不存在" in reasons[(3, "date")]
    assert "vacation" in reasons[(4, "kind")]
    assert "第2行重复" in reasons[(5, "date")]
    assert "周一" in reasons[(6, "kind")] and "周六或周日" in reasons[(6, "kind")]
    assert "名称" in reasons[(7, "name")]
    assert "yesterday" in reasons[(8, "date")]
    assert str(err.value.errors[0]).startswith("第3行 列date: ")
    assert table(session) == before


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "文件为空"),
        (b"day,type,label\n2027-01-01,holiday,x\n", "缺少表头列 date"),
        (b"date,kind,name\n", "没有数据行"),
        ("date,kind,name\n2027-01-01,holiday,元旦\n".encode("gbk"), "UTF-8"),
        (b"date,kind,name\n2027-02-11,holiday,x\n", "缺少元旦"),
    ],
)
def test_file_level_problems(session, tmp_path, content, expected):
    path = tmp_path / "arrangement.csv"
    path.write_bytes(content)
    with pytest.raises(ArrangementError) as err:
        import_arrangement(session, path, actor="admin:li")
    assert any(expected in e.reason for e in err.value.errors), err.value.errors
    assert session.scalar(select(func.count()).select_from(CalendarDay)) == 0


def test_chinese_headers_and_rows_in_memory(session):
    rows = [["日期", "类型", "名称"], ["2027/1/1", "HOLIDAY", "元旦 TEST"], ["2027/2/20", "workday", "调休 TEST"]]
    summary = import_arrangement(session, rows, actor="admin:li", source="upload.csv", now=NOW)
    assert (summary.years, summary.added) == ([2027], 2)
    assert table(session)[date(2027, 1, 1)] == ("holiday", "元旦 TEST", "upload.csv", "admin:li")
    with pytest.raises(ValueError, match="source"):
        import_arrangement(session, rows, actor="admin:li")
    with pytest.raises(ValueError, match="actor"):
        import_arrangement(session, rows, actor="", source="upload.csv")


def test_a_new_file_replaces_its_years_and_leaves_other_years_alone(session, tmp_path):
    import_arrangement(session, TEST_2027, actor="admin:li", now=NOW)
    import_arrangement(session, [["date", "kind", "name"], ["2028-01-01", "holiday", "元旦 2028 TEST"]],
                       actor="admin:li", source="2028.csv", now=NOW)
    rows = list(csv.reader(TEST_2027.open(encoding="utf-8")))
    rows = [r for r in rows if r[0] != "2027-10-09"]  # the corrected notice drops one working Saturday
    rows = [[r[0], r[1], "元旦（更正 TEST）"] if r[0] == "2027-01-01" else r for r in rows]
    summary = import_arrangement(session, write_csv(tmp_path / "2027-fix.csv", rows), actor="admin:wang", now=NOW)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (0, 1, 1, 20)
    after = table(session)
    assert date(2027, 10, 9) not in after
    assert after[date(2027, 1, 1)] == ("holiday", "元旦（更正 TEST）", "2027-fix.csv", "admin:wang")
    assert after[date(2028, 1, 1)][2] == "2028.csv"
    cal = load_calendar(session)
    assert not cal.is_workday(date(2027, 10, 9)) and cal.imported_years == {2027, 2028}


def test_library_2025_exported_and_imported_reproduces_every_day(session, tmp_path):
    path = write_csv(tmp_path / "2025.csv", library_rows({2025}))
    summary = import_arrangement(session, path, actor="admin:li", now=NOW)
    expected = [d for d in list(chinese_calendar.holidays) + list(chinese_calendar.workdays) if d.year == 2025]
    assert summary.years == [2025] and summary.added == summary.rows == len(expected) == 33
    cal = load_calendar(session)
    assert 2025 in cal.imported_years
    day, checked = date(2025, 1, 1), 0
    while day.year == 2025:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day, checked = day + timedelta(days=1), checked + 1
    assert checked == 365


def test_every_library_year_round_trips(session, tmp_path):
    years = set(range(2004, 2027))
    import_arrangement(session, write_csv(tmp_path / "all.csv", library_rows(years)), actor="admin:li", now=NOW)
    cal = load_calendar(session)
    assert cal.imported_years == years
    day = date(2004, 1, 1)
    while day.year < 2027:
        assert cal.is_workday(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_late_december_days_belong_to_the_next_years_notice(session):
    # Like the real 2019 notice, which put 2018-12-29 to work: the 2027 notice may touch late December 2026.
    rows = [["date", "kind", "name"], ["2026-12-26", "workday", "元旦调休 TEST"], ["2027-01-01", "holiday", "元旦 TEST"]]
    summary = import_arrangement(session, rows, actor="admin:li", source="2027.csv", now=NOW)
    assert summary.years == [2027]
    cal = load_calendar(session)
    assert cal.imported_years == {2027}
    assert cal.is_workday(date(2026, 12, 26))  # the override
    assert not cal.is_workday(date(2026, 10, 1))  # 2026 is still the library's, not wiped by the import
    # Re-importing the 2026 notice must not delete the day the 2027 notice owns.
    import_arrangement(session, library_rows({2026}), actor="admin:li", source="2026.csv", now=NOW)
    assert table(session)[date(2026, 12, 26)][2] == "2027.csv"


def test_admin_single_day_edit_overrides_one_day_only(session):
    session.add(CalendarDay(day=date(2025, 10, 9), kind="holiday", name="临时放假 TEST", source="admin",
                            updated_by="admin:li", updated_at=NOW))
    session.flush()
    cal = load_calendar(session)
    assert cal.imported_years == frozenset()
    assert not cal.is_workday(date(2025, 10, 9))
    assert not cal.is_workday(date(2025, 10, 1)) and cal.is_workday(date(2025, 10, 10))


def test_the_cached_calendar_sees_an_import_in_its_own_process_at_once(session):
    """The submission's cached copy: kept between reads, cleared by an import, so 2027 stops being provisional."""
    before = cached_calendar(session)
    assert cached_calendar(session) is before
    assert before.deadline(EVENT, 2).provisional
    import_arrangement(session, TEST_2027, actor="test")
    after = cached_calendar(session)
    assert after is not before
    assert not after.deadline(EVENT, 2).provisional
