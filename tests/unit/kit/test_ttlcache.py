"""TtlCache: per engine, kept for its time to live, None never kept, clear() forgets."""

from __future__ import annotations

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from shoudai.kit import ttlcache
from shoudai.kit.ttlcache import TtlCache


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _counting_cache(values: dict, ttl: float = 30) -> tuple[TtlCache, list]:
    loads = []

    def load(session, key):
        loads.append(key)
        return values.get((id(session.get_bind()), key))

    return TtlCache(ttl, load), loads


def test_a_value_is_kept_for_its_ttl_then_read_again(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(ttlcache.time, "monotonic", clock)
    engine = create_engine("sqlite://")
    values = {(id(engine), "a"): "first"}
    cache, loads = _counting_cache(values)
    with Session(engine) as s:
        assert cache.get(s, "a") == "first"
        values[(id(engine), "a")] = "second"
        clock.now += 29
        assert cache.get(s, "a") == "first"
        clock.now += 2
        assert cache.get(s, "a") == "second"
    assert loads == ["a", "a"]


def test_engines_do_not_share_values():
    one, two = create_engine("sqlite://"), create_engine("sqlite://")
    cache, _ = _counting_cache({(id(one), None): "one", (id(two), None): "two"})
    with Session(one) as s1, Session(two) as s2:
        assert (cache.get(s1), cache.get(s2)) == ("one", "two")


def test_none_is_not_kept_and_clear_forgets():
    engine = create_engine("sqlite://")
    values: dict = {}
    cache, loads = _counting_cache(values)
    with Session(engine) as s:
        assert cache.get(s, "x") is None
        values[(id(engine), "x")] = "made"
        assert cache.get(s, "x") == "made"  # a miss is not remembered
        values[(id(engine), "x")] = "changed"
        assert cache.get(s, "x") == "made"
        cache.clear()
        assert cache.get(s, "x") == "changed"
    assert loads == ["x", "x", "x"]
