"""Pure parts of targets and figures: splitting over years and units, percentages, medians, ranks."""

from datetime import date
from decimal import Decimal

from shoudai.oversight.figures import competition_rank, median, pct
from shoudai.oversight.targets import decompose, months_by_year, split_over_years


def test_default_programme_months_and_yearly_split():
    assert months_by_year(date(2022, 12, 1), date(2025, 12, 31)) == {2022: 1, 2023: 12, 2024: 12, 2025: 12}
    split = split_over_years(date(2022, 12, 1), date(2025, 12, 31), 20_000, 2_000_000 * 1_000_000)
    # 20000 × 1/37 = 540.54, × 12/37 = 6486.49 each: floors 540 + 3×6486 = 19998, two units go to the largest
    # remainders (.54 for 2022 and then the tie of .49 broken by key order: 2023)
    assert {y: hh for y, (hh, _) in split.items()} == {2022: 541, 2023: 6487, 2024: 6486, 2025: 6486}
    assert sum(fen for _, fen in split.values()) == 2_000_000 * 1_000_000
    assert all(fen % 1_000_000 == 0 for _, fen in split.values())  # whole 万元


def test_decompose_by_list_size_adds_up():
    parts = decompose(101, 1_000 * 1_000_000, {"410702": 300, "410781": 200, "410703": 0})
    assert parts == {"410702": (61, 600_000_000), "410781": (40, 400_000_000), "410703": (0, 0)}


def test_pct_median_rank():
    assert pct(1, 3) == Decimal("33.33") and pct(2, 3) == Decimal("66.67") and pct(1, 0) is None
    assert pct(None, 5) is None
    assert median([5, 30]) == Decimal("17.5") and median([3, 1, 2]) == 2 and median([]) is None
    assert competition_rank([10, 30, 30, 5], key=lambda v: (v,)) == [3, 1, 1, 4]
