from decimal import Decimal

import pytest

from shoudai.reference import loaders
from shoudai.reference.size import classify, rule_for


@pytest.mark.parametrize(
    ("code", "rule"),
    [("C1713", "industry"), ("1713", "industry"), ("5123", "wholesale"), ("F5211", "retail"), ("7010", "real_estate_dev"),
     ("K7020", "property_mgmt"), ("A0111", "agriculture"), ("L7211", "leasing_business"), ("E4811", "construction"),
     ("O8011", "other"), (None, "other"), ("", "other")],
)
def test_rule_for_takes_the_longest_prefix(code, rule):
    assert rule_for(code).rule == rule


def test_both_bounds_are_needed_for_a_class():
    industry = rule_for("C1713")  # medium: ≥300 people AND ≥2000万元
    assert classify(industry, {"employees": 350, "revenue": Decimal(2000)}) == "medium"
    assert classify(industry, {"employees": 350, "revenue": Decimal("1999.99")}) == "small"
    assert classify(industry, {"employees": 1000, "revenue": 40000}) == "large"
    assert classify(industry, {"employees": 5000, "revenue": 39999}) == "medium"
    assert classify(industry, {"employees": 19, "revenue": 99999}) == "micro"


def test_missing_figures_make_the_class_unknown_unless_one_shows_micro():
    industry = rule_for("C1713")
    assert classify(industry, {"employees": 500, "revenue": None}) == "unknown"
    assert classify(industry, {"employees": None, "revenue": None}) == "unknown"
    assert classify(industry, {"employees": None, "revenue": Decimal(299)}) == "micro"


def test_single_indicator_rules():
    assert classify(rule_for("A0111"), {"revenue": 600}) == "medium"
    assert classify(rule_for("A0111"), {"revenue": 20000}) == "large"
    assert classify(rule_for("O8011"), {"employees": 9}) == "micro"


def test_reference_dir_is_replaceable(tmp_path, monkeypatch):
    (tmp_path / "divisions.csv").write_text("code,name,kind,weight,replaced_by\n110101,东城区,district,1,\n", "utf-8")
    monkeypatch.setenv("SHOUDAI_REFERENCE_DIR", str(tmp_path))
    from shoudai.config import get_settings

    get_settings.cache_clear()
    loaders.clear_caches()
    try:
        assert [d.code for d in loaders.reporting_units()] == ["110101"]
    finally:
        monkeypatch.delenv("SHOUDAI_REFERENCE_DIR")
        get_settings.cache_clear()
        loaders.clear_caches()


def test_xinxiang_legacy_code_maps_forward():
    assert loaders.division_code_map()["410728"] == "410783"
    assert len(loaders.reporting_units()) == 15
