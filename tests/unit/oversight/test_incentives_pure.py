"""Pure cores of the assessment score, the subsidy allocation and the re-discount priority."""

from decimal import Decimal

from shoudai.oversight.assessment import Indicator, Scored, score
from shoudai.oversight.relending import priority_class
from shoudai.oversight.subsidy import allocate


def test_score_drops_an_indicator_nobody_has_and_rescales():
    items = [Scored("a", "甲", {"households": Decimal(4), "sla": None}),
             Scored("b", "乙", {"households": Decimal(2), "sla": None})]
    ranked, notes = score(items, (Indicator("households", Decimal(60)), Indicator("sla", Decimal(40))))
    # households carries the full 100 points: a 100, b 50
    assert [(s.code, s.total, s.rank) for s in ranked] == [("a", Decimal("100.00"), 1), ("b", Decimal("50.00"), 2)]
    assert notes and "无数据" in notes[0]


def test_minmax_and_ties():
    items = [Scored(c, c, {"growth": Decimal(v)}) for c, v in (("a", -50), ("b", 50), ("c", 50))]
    ranked, _ = score(items, (Indicator("growth", Decimal(10), "minmax"),))
    assert [(s.code, s.total, s.rank) for s in ranked] == [("b", Decimal("10.00"), 1), ("c", Decimal("10.00"), 1),
                                                           ("a", Decimal("0.00"), 3)]


def test_allocation_adds_up_to_the_fen():
    total, parts = allocate([3_333_333, 3_333_333, 3_333_334], Decimal("0.5"))
    # 10,000,000 fen × 0.5‰ = 5,000 fen; exact shares 1,666.6665 / 1,666.6665 / 1,666.667: floors 4,998, the two
    # fen left go to the largest remainders (the third line, then the first of the tied two)
    assert total == 5_000 and parts == [1_667, 1_666, 1_667]
    assert allocate([], Decimal("0.5")) == (0, [])


def test_priority_classes():
    assert priority_class(True, 200_000_000) == 0  # exactly 2,000,000 yuan
    assert priority_class(True, 200_000_001) == 1
    assert priority_class(False, 100) == 2
