from datetime import date, datetime

import pytest

from shoudai.kit.dates import excel_serial_date, parse_date


@pytest.mark.parametrize(
    "raw",
    ["2023-05-06", "2023/5/6", "2023.5.6", "2023年5月6日", "20230506", "45052", "45052.0", "２０２３-０５-０６",
     " 2023-05-06 ", "2023-05-06 00:00:00", "2023-05-06T08:30", date(2023, 5, 6), datetime(2023, 5, 6, 9, 0)],
)
def test_every_agency_spelling_of_a_day(raw):
    assert parse_date(raw) == date(2023, 5, 6)


@pytest.mark.parametrize("raw", ["2023-02-30", "2023-13-01", "2023", "230506", "abc", "", None, "2023-05", "1234567"])
def test_non_dates_and_impossible_days_are_none(raw):
    assert parse_date(raw) is None


def test_excel_serial_numbers_use_the_1900_system():
    assert excel_serial_date(45052) == date(2023, 5, 6)
    assert excel_serial_date(36526) == date(2000, 1, 1)
