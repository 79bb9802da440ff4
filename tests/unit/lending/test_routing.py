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


# --- the published products (products.csv) decide who is recommended ------------------------------------------

def _fits(code, county, amount, term, guarantee):
    from shoudai.reference.loaders import products

    return any(p.bank_code == code and p.fits(Decimal(amount), term, county, guarantee) for p in products())


def test_only_banks_whose_products_fit_are_recommended():
    uscc = "92410782MA00000011"
    big = routing.recommend(uscc, "410782", Decimal(500), term_months=12, guarantee="mortgage")
    # 500万元 is beyond the rural bank's and the postal bank's products (≤ 300万元): neither is offered.
    assert big and "HXRCB" not in big and "PSBC" not in big
    assert all(_fits(c, "410782", 500, 12, "mortgage") for c in big)
    small = routing.recommend(uscc, "410782", Decimal(50), term_months=12, guarantee="credit")
    assert small[:2] == ["HXRCB", "PSBC"] and all(_fits(c, "410782", 50, 12, "credit") for c in small)


def test_term_guarantee_and_county_narrow_the_choice():
    order = routing.ordering("92410782MA00000011", "410782", Decimal(100))
    credit_only = routing.fitting(order, "410782", Decimal(100), 12, "credit")
    assert "SPDB" in credit_only and "SPDB" not in routing.fitting(order, "410782", Decimal(100), 12, "mortgage")
    assert "CITIC" not in routing.fitting(order, "410782", Decimal(100), 24, None)  # its product runs 12 months
    # A county's rural bank lends in its own county only.
    assert "WHRCB" not in routing.fitting(routing.ordering("x", "410782", Decimal(50)), "410782", Decimal(50))


def test_no_fitting_product_or_no_catalogue_falls_back_to_the_rule():
    uscc = "92410782MA00000011"
    huge = routing.recommend(uscc, "410782", Decimal(5000), term_months=60)
    assert len(huge) == 3  # nothing fits 5000万元 for 60 months: the business still gets three banks
    # A city without a catalogue: the rule alone, so the local rural bank leads even at 500万元.
    assert routing.recommend(uscc, "410782", Decimal(500), catalogue=())[0] == "HXRCB"


def test_reroute_prefers_a_bank_whose_product_fits():
    uscc = "92410782MA00000011"
    nxt = routing.next_bank(uscc, "410782", Decimal(500), ["ICBC"], term_months=12, guarantee="mortgage")
    assert nxt not in ("HXRCB", "PSBC", "ICBC") and _fits(nxt, "410782", 500, 12, "mortgage")
