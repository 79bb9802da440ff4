"""Dates as agencies write them: 2023-05-06, 2023/5/6, 2023.5.6, 2023年5月6日, 20230506, Excel serial numbers.

The import applies the same patterns in SQL (registry.importer.macros); keep the two in step.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from shoudai.kit.text import to_half_width

# An optional time of day after the date ("2023-05-06 00:00:00", "2023-05-06T08:30") is ignored.
TIME_SUFFIX = r"(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]*)?)?)?"
SEPARATED = r"([0-9]{4})[-/.年]([0-9]{1,2})[-/.月]([0-9]{1,2})日?" + TIME_SUFFIX
COMPACT = r"([0-9]{4})([0-9]{2})([0-9]{2})" + TIME_SUFFIX
# Excel serial day numbers: five digits cover 1927–2173, and nothing shorter is mistaken for a year.
SERIAL = r"([0-9]{5})(?:\.[0-9]*)?"
EXCEL_EPOCH = date(1899, 12, 30)

_PATTERNS = [re.compile(p) for p in (SEPARATED, COMPACT)]
_SERIAL = re.compile(SERIAL)


def parse_date(raw: str | date | None) -> date | None:
    """The calendar date written in `raw`, or None when it is blank, not a date, or not a real day (2023-02-30)."""
    if raw is None:
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = to_half_width(raw).strip(" ")
    for pattern in _PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            try:
                return date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError:
                return None
    m = _SERIAL.fullmatch(text)
    if m:
        return excel_serial_date(int(m[1]))
    return None


def excel_serial_date(serial: int) -> date:
    """The day an Excel (1900 date system) serial number stands for, for serials after 1900-02-28."""
    return EXCEL_EPOCH + timedelta(days=serial)
