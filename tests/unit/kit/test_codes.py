import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from shoudai.kit import codes

VALID_USCC = ["91410702MA44ABCD1B", "92410783MA45XY0212", "93410725MA47PQRT8N", "91350100M000100Y43"]


@pytest.mark.parametrize("code", VALID_USCC)
def test_valid_credit_codes(code):
    assert codes.is_valid_uscc(code)
    assert codes.uscc_problem(code) is None


@pytest.mark.parametrize(
    ("code", "problem"),
    [("91410702MA44ABCD1C", "校验位错误"), ("91410702MA44ABCD1", "长度应为18位"), ("91410702MA44ABCDIB", "含有非法字符"),
     ("", "为空"), (None, "为空")],
)
def test_invalid_credit_codes_say_why(code, problem):
    assert codes.uscc_problem(code) == problem


def test_a_code_with_letters_in_the_first_eight_is_still_valid_when_the_check_is_right():
    first17 = "Y1ABCDEFG12345678"
    assert codes.is_valid_uscc(first17 + codes.uscc_check_char(first17))


def test_normalise_uscc_accepts_full_width_and_spaces():
    assert codes.normalise_uscc(" ９２４１ ０７８３ｍａ４５ｘｙ０２１２ ") == "92410783MA45XY0212"
    assert codes.normalise_uscc("92410783MA45XY0213") is None


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_resident_id_check_agrees_with_stdnum(first17):
    number = first17 + codes.resident_id_check_char(first17)
    assert ric.calc_check_digit(first17 + "?") == number[-1]  # stdnum ignores the last character


def test_resident_ids():
    assert codes.is_valid_resident_id("410728198001011236")
    assert codes.resident_id_problem("410728198001011237") == "校验位错误"
    assert codes.resident_id_problem("41072819800101123") == "长度应为18位"
    assert codes.resident_id_problem("41072819800101123A") == "格式错误"
    assert codes.normalise_resident_id("11010519491231002x") == "11010519491231002X"


def test_registration_numbers_are_fifteen_digits():
    assert codes.normalise_reg_no(" 410700600012345 ") == "410700600012345"
    assert codes.normalise_reg_no("41070060001234") is None
    assert codes.normalise_reg_no("41070060001234X") is None


@pytest.mark.parametrize(
    ("uscc", "registry_type", "kind"),
    [("91410702MA44ABCD1B", "个体工商户", "enterprise"), ("92410783MA45XY0212", None, "individual"),
     ("93410725MA47PQRT8N", None, "cooperative"), ("11410000MB0000000X", None, "other"),
     ("94410000MB0000000X", None, "other"), (None, "个体工商户", "individual"), (None, "农民专业合作社", "cooperative"),
     (None, "有限责任公司(自然人独资)", "enterprise"), (None, None, "enterprise")],
)
def test_entity_kind_from_code_then_type(uscc, registry_type, kind):
    assert codes.entity_kind(uscc, registry_type) == kind


@pytest.mark.parametrize(
    ("taxpayer_id", "form"),
    [("91410702MA44ABCD1B", "uscc"), ("410702600123456", "legacy15"), ("410782199006157894", "person18"),
     ("41078219900615789401", "person20"), ("4107821990061578940X", "other"), ("ABC", "other"),
     ("91410702MA44ABCD1C", "other")],
)
def test_taxpayer_id_forms(taxpayer_id, form):
    assert codes.taxpayer_id_form(taxpayer_id) == form
