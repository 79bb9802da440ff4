from shoudai.kit.text import compact, squeeze, to_half_width


def test_full_width_digits_letters_parentheses_and_spaces_become_half_width():
    assert to_half_width("９１４１０７ＭＡ（ａｂ）\u3000x") == "914107MA(ab) x"


def test_other_chinese_punctuation_is_kept():
    assert to_half_width("新乡市，红旗区：1号。") == "新乡市，红旗区：1号。"


def test_squeeze_trims_and_collapses_whitespace():
    assert squeeze("  长垣市 \t 鑫源\u3000\u3000五金店 ") == "长垣市 鑫源 五金店"
    assert squeeze(" \t ") is None
    assert squeeze(None) is None


def test_compact_removes_every_space_and_upper_cases():
    assert compact(" ９２４１ ０７８３ｍａ\n45 ") == "92410783MA45"
    assert compact("   ") is None
