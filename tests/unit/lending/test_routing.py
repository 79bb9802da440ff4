"""The "recommend for me" rule and the reroute order."""

from decimal import Decimal

from shoudai.lending import routing
from shoudai.reference.loaders import banks


def test_recommend_picks_the_local_rural_bank_a_large_bank_and_a_city_bank():
    cats = {b.code: b.category for b in banks()}
    picked = routing.recommend("92410782MA00000011", "410782", Decimal(50))
    assert picked[0] == "HXRCB" and len(picked) == 3 == len(set(picked))
    assert picked[1] == "PSBC"  # up to 300万元 the postal bank comes first among the large banks
    assert cats[picked[2]] == "city_commercial"
    big = routing.recommend("92410782MA00000011", "410782", Decimal(500))
    assert big[1] in {"ICBC", "ABC", "BOC", "CCB", "BOCOM"}


def test_districts_and_zones_get_the_city_rural_bank_and_unknown_counties_too():
    assert routing.county_rural_bank("410702", banks()) == "XXRCB"  # 红旗区
    assert routing.county_rural_bank("410771", banks()) == "XXRCB"  # 高新区
    assert routing.county_rural_bank("410724", banks()) == "HJRCB"  # 获嘉县
    assert routing.county_rural_bank("410781", banks()) == "WHRCB"  # 卫辉市
    assert routing.county_rural_bank(None, banks()) == "XXRCB"


def test_the_rule_is_deterministic_and_spreads_load():
    a = routing.recommend("92410782MA00000011", "410702", Decimal(500))
    assert a == routing.recommend("92410782MA00000011", "410702", Decimal(500))
    seconds = {routing.recommend(f"92410782MA{i:08d}", "410702", Decimal(500))[1] for i in range(200)}
    assert len(seconds) >= 4


def test_never_the_policy_or_village_bank_and_next_bank_exhausts():
    order = routing.ordering("92410782MA00000011", "410782", Decimal(50))
    assert "ADBC" not in order and "XXVB" not in order
    tried: list[str] = []
    while (nxt := routing.next_bank("92410782MA00000011", "410782", Decimal(50), tried)) is not None:
        assert nxt not in tried
        tried.append(nxt)
    assert tried == order
