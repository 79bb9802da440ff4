"""Money is integer fen inside, 万元 in files; splitting targets adds up exactly."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shoudai.oversight.money import (
    MoneyError,
    fen_to_wan,
    largest_remainder,
    percent_to_e4,
    round_half_up,
    wan_text,
    wan_to_fen,
    yuan_to_fen,
)


def test_wan_to_fen_is_exact():
    assert wan_to_fen("12.345678") == 12_345_678
    assert wan_to_fen("100") == 100_000_000
    assert wan_to_fen(0.1) == 100_000  # an Excel float, by its shortest repr
    assert wan_to_fen("1,000.5") == 1_000_500_000
    assert fen_to_wan(12_345_678) == Decimal("12.345678")


def test_more_than_fen_precision_is_refused():
    with pytest.raises(MoneyError, match="分"):
        wan_to_fen("1.0000001")
    with pytest.raises(MoneyError):
        wan_to_fen("abc")
    with pytest.raises(MoneyError):
        yuan_to_fen("1.005")


def test_rates_and_rounding():
    assert percent_to_e4("3.85") == 38_500
    with pytest.raises(MoneyError):
        percent_to_e4("3.123456")
    assert round_half_up(Decimal("2.5")) == 3
    assert round_half_up(Decimal("-2.5")) == -3
    assert round_half_up(Decimal("1.005"), 2) == Decimal("1.01")
    assert wan_text(1_234_567_890) == "1,234.57"


def test_largest_remainder_hand_case():
    # 10 split 1:1:1 → 3.33 each; one extra unit goes to the smallest key on a full tie
    assert largest_remainder(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    # 20000 by list sizes 500/300/200 → exact
    assert largest_remainder(20000, {"x": 500, "y": 300, "z": 200}) == {"x": 10000, "y": 6000, "z": 4000}
    # 7 by 5/3/2 = 3.5/2.1/1.4 → floors 3/2/1, the one left goes to the largest remainder (x: .5)
    assert largest_remainder(7, {"x": 5, "y": 3, "z": 2}) == {"x": 4, "y": 2, "z": 1}
    assert largest_remainder(5, {"a": 0, "b": 0}) == {"a": 3, "b": 2}


@given(st.integers(0, 10**9), st.dictionaries(st.text(min_size=1, max_size=3), st.integers(0, 10**6), min_size=1))
def test_largest_remainder_always_adds_up(total, weights):
    parts = largest_remainder(total, weights)
    assert sum(parts.values()) == total
    assert set(parts) == set(weights)
    wsum = sum(weights.values())
    if wsum:
        for k, w in weights.items():
            assert abs(parts[k] - Decimal(total) * w / wsum) < 1
