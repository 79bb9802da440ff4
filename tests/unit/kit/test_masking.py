"""Masking rules: defaults per JR/T 0171 style, configurable, and safe on short or odd input."""

import pytest

from shoudai.kit.masking import (
    DEFAULT_RULES,
    KeepRule,
    MaskingRules,
    keep_ends,
    mask,
    mask_id_number,
    mask_name,
    mask_phone,
)


def test_id_number_first3_last4():
    assert mask_id_number("410702199001011234") == "410" + "*" * 11 + "1234"
    assert mask_id_number("41070219900101123X") == "410" + "*" * 11 + "123X"


def test_phone_first3_last4():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone(" 13812345678 ") == "138****5678"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("张三丰", "张*"), ("欧阳娜娜", "欧阳*"), ("欧阳", "欧*"), ("王", "*"), ("", "")],
)
def test_name_surname_plus_star(name, masked):
    assert mask_name(name) == masked


def test_none_passes_through():
    assert mask_phone(None) is None and mask_name(None) is None and mask_id_number(None) is None


def test_short_values_fully_masked_never_shown():
    assert mask_phone("1234567") == "*******"
    assert keep_ends("12", KeepRule(3, 4)) == "**"


def test_rules_are_configuration():
    rules = MaskingRules.from_mapping({"id_number": {"head": 6, "tail": 2}, "name": {"per_char": True, "fill": "某"}})
    assert mask_id_number("410702199001011234", rules) == "410702" + "*" * 10 + "34"
    assert mask_name("张三丰", rules) == "张某某"
    assert mask_phone("13812345678", rules) == "138****5678"  # untouched keys keep defaults
    assert DEFAULT_RULES.id_number == KeepRule(3, 4)


def test_dispatch_by_kind():
    assert mask("phone", "13812345678") == "138****5678"
    with pytest.raises(ValueError):
        mask("email", "a@b.c")
