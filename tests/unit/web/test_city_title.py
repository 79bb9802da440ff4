"""The platform's title names the city from the reference data, in the page's language; nothing names Xinxiang."""

from shoudai.config import get_settings
from shoudai.reference import loaders
from shoudai.web.i18n import translate


def _titles(tmp_path, monkeypatch, city_csv: str, **env: str) -> tuple[str, str]:
    for name in ("divisions.csv", "banks.csv", "industries.csv", "size_thresholds.csv"):
        (tmp_path / name).write_bytes((loaders.PACKAGE_DATA / name).read_bytes())
    (tmp_path / "city.csv").write_text(city_csv, encoding="utf-8")
    monkeypatch.setenv("SHOUDAI_REFERENCE_DIR", str(tmp_path))
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    loaders.clear_caches()
    try:
        return translate("platform.full", "zh"), translate("platform.full", "en")
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        loaders.clear_caches()


def test_default_city_in_both_languages():
    assert translate("platform.full", "zh") == "新乡市首贷通服务平台"
    assert translate("platform.full", "en") == "Xinxiang First-Loan Platform"


def test_another_citys_file_with_an_english_name(tmp_path, monkeypatch):
    zh, en = _titles(tmp_path, monkeypatch, "code,name,province,name_en\n4108,焦作市,河南省,Jiaozuo\n")
    assert (zh, en) == ("焦作市首贷通服务平台", "Jiaozuo First-Loan Platform")


def test_a_file_without_name_en_falls_back_to_the_chinese_name(tmp_path, monkeypatch):
    zh, en = _titles(tmp_path, monkeypatch, "code,name,province\n4101,郑州市,河南省\n")
    assert zh == "郑州市首贷通服务平台"
    assert en == "郑州市 First-Loan Platform"


def test_the_setting_overrides_the_files_english_name(tmp_path, monkeypatch):
    _, en = _titles(tmp_path, monkeypatch, "code,name,province,name_en\n4108,焦作市,河南省,Jiaozuo\n",
                    SHOUDAI_CITY_NAME_EN="Jiaozuo City")
    assert en == "Jiaozuo City First-Loan Platform"
