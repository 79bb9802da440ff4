"""The bulletin's city name comes from the reference data, not from the code."""

from shoudai.config import get_settings
from shoudai.oversight.lookups import city_name
from shoudai.reference import loaders


def _divisions(tmp_path, monkeypatch, rows: str) -> str:
    for name in ("banks.csv", "industries.csv", "size_thresholds.csv"):
        (tmp_path / name).write_bytes((loaders.PACKAGE_DATA / name).read_bytes())
    (tmp_path / "divisions.csv").write_text("code,name,kind,weight,replaced_by\n" + rows, encoding="utf-8")
    monkeypatch.setenv("SHOUDAI_REFERENCE_DIR", str(tmp_path))
    monkeypatch.setenv("SHOUDAI_DATA_DIR", str(tmp_path / "var"))
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
    other = "410102,中原区,district,1,\n410171,郑州航空港经济综合实验区,zone,1,\n410172,郑州高新技术产业开发区,zone,1,\n"
    assert _divisions(tmp_path, monkeypatch, other) == "郑州市"
    assert _divisions(tmp_path, monkeypatch, "1,甲区,district,1,\n2,乙县,county,1,\n") == "本市"
