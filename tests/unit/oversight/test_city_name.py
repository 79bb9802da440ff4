"""The bulletin's city name comes from the reference data (or the setting), not from the code."""

from shoudai.config import get_settings
from shoudai.oversight.lookups import city_name
from shoudai.reference import loaders


def _city(tmp_path, monkeypatch, city_csv: str, env_name: str = "") -> str:
    for name in ("divisions.csv", "banks.csv", "industries.csv", "size_thresholds.csv"):
        (tmp_path / name).write_bytes((loaders.PACKAGE_DATA / name).read_bytes())
    (tmp_path / "city.csv").write_text("code,name,province\n" + city_csv, encoding="utf-8")
    monkeypatch.setenv("SHOUDAI_REFERENCE_DIR", str(tmp_path))
    monkeypatch.setenv("SHOUDAI_DATA_DIR", str(tmp_path / "var"))
    if env_name:
        monkeypatch.setenv("SHOUDAI_CITY_NAME", env_name)
    get_settings.cache_clear()
    loaders.clear_caches()
    try:
        return city_name()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        loaders.clear_caches()


def test_city_from_reference(tmp_path, monkeypatch):
    assert city_name() == "新乡市"
    assert _city(tmp_path, monkeypatch, "4101,郑州市,河南省\n") == "郑州市"


def test_setting_overrides_the_reference_name(tmp_path, monkeypatch):
    assert _city(tmp_path, monkeypatch, "4101,郑州市,河南省\n", env_name="郑州市（测试）") == "郑州市（测试）"
