"""The lists catalogue: every key a lists template or page names exists, both languages fill the same blanks, and the
English side has no Chinese left in it."""

from __future__ import annotations

import re
import string
from pathlib import Path

from shoudai.web import i18n
from shoudai.web.messages.lists import MESSAGES

WEB = Path(i18n.__file__).parent
KEY = re.compile(r"""_\(\s*['"]((?:lists|nav)\.[\w.]+)['"]|translate\(\s*f?['"]((?:lists|nav)\.[\w.]+)['"]""")
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")


def _used_keys() -> set[str]:
    files = [*(WEB / "templates" / "lists").glob("*.html"), WEB / "templates" / "base.html",
             WEB / "pages" / "lists.py", WEB / "pages" / "lists_branch.py", WEB / "pages" / "lists_excel.py"]
    keys = {a or b for f in files for a, b in KEY.findall(f.read_text(encoding="utf-8"))}
    # A prefix such as 'lists.kind.' ~ kind is completed at run time: it must at least start some keys.
    prefixes = {k for k in keys if k.endswith(".")}
    assert all(any(m.startswith(p) for m in i18n.MESSAGES) for p in prefixes), prefixes
    return keys - prefixes


def test_every_key_the_lists_pages_use_exists():
    used = _used_keys()
    assert len(used) > 60  # the scan finds the templates' keys at all
    assert sorted(k for k in used if k not in i18n.MESSAGES) == []


def test_both_languages_fill_the_same_blanks_and_english_has_no_chinese():
    fields = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)
    for key, (zh, en) in MESSAGES.items():
        assert zh and en, key
        assert fields(zh) == fields(en), key
        assert not CJK.search(en), key


def test_the_platform_name_names_no_city():
    zh, en = i18n.MESSAGES["platform.full"]
    assert "{city}" in zh and "{city}" in en and "新乡" not in zh and "Xinxiang" not in en
