"""Need form validation (Q2)."""

from decimal import Decimal

import pytest
from stdnum.cn import uscc

from shoudai.lending.forms import FormError, NeedForm, clean

CODE = "92410782MA0000001" + uscc.calc_check_digit("92410782MA0000001")


def _form(**over):
    values = {"uscc": CODE, "name": "测试商行", "amount_wan": "50", "term_months": "12", "purpose": "进货", "guarantee": "credit",
                  "contact_name": "王小明", "contact_phone": "138 0013 8000", "banks": ("icbc", "PSBC", "ICBC"), "consent": True}
    values.update(over)
    return NeedForm(**values)


def test_clean_normalises():
    f = clean(_form(uscc=" " + CODE.lower().replace("9", "９", 1), amount_wan=" 50.5 "))
    assert f.uscc == CODE and f.amount_wan == Decimal("50.50") and f.term_months == 12
    assert f.banks == ("ICBC", "PSBC") and f.contact_phone == "13800138000"
    assert clean(_form(contact_phone="+86 138-0013-8000")).contact_phone == "13800138000"


def test_recommend_for_me_ignores_chosen_banks():
    assert clean(_form(recommend_for_me=True)).banks == ()
    with pytest.raises(FormError) as err:
        clean(_form(banks=()))
    assert "banks" in err.value.errors


@pytest.mark.parametrize("field,value", [
    ("uscc", CODE[:-1] + ("0" if CODE[-1] != "0" else "1")), ("amount_wan", "0"), ("amount_wan", "1.234"),
    ("amount_wan", "NaN"), ("amount_wan", "10000.01"), ("term_months", "0"), ("term_months", "abc"),
    ("purpose", " "), ("guarantee", "gold"), ("contact_phone", "2345678901"), ("consent", False),
    ("banks", ("NOPE",)), ("kind", "mortgage"), ("name", ""),
])
def test_each_bad_field_is_named(field, value):
    with pytest.raises(FormError) as err:
        clean(_form(**{field: value}))
    assert field in err.value.errors
