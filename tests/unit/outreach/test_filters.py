"""EntryFilter.clean: unknown values are dropped, never passed to SQL as-is; claim_days reads the setting."""

import pytest
from pydantic import ValidationError

from shoudai.config import get_settings
from shoudai.outreach import claims
from shoudai.outreach.queries import EntryFilter


def test_clean_keeps_known_values():
    f = EntryFilter("sme", "A", "f", " 人民路 ", "new", "410702").clean()
    assert f == EntryFilter("sme", "A", "F", "人民路", "new", "410702")


def test_clean_drops_unknown_values():
    f = EntryFilter("all", "D", "FF", "x" * 80, "gone", "41070'").clean()
    assert (f.list_kind, f.tier, f.section, f.change, f.county) == ("", "", "", "", "")
    assert len(f.address) == 50


def test_claim_days_default_and_override(monkeypatch):
    monkeypatch.delenv("SHOUDAI_CLAIM_DAYS", raising=False)
    get_settings.cache_clear()
    assert claims.claim_days() == 30
    monkeypatch.setenv("SHOUDAI_CLAIM_DAYS", "14")
    get_settings.cache_clear()
    assert claims.claim_days() == 14


def test_claim_days_must_be_positive(monkeypatch):
    # A misconfigured period stops start-up rather than silently becoming 30 days.
    for bad in ("-3", "0", "thirty"):
        monkeypatch.setenv("SHOUDAI_CLAIM_DAYS", bad)
        get_settings.cache_clear()
        with pytest.raises(ValidationError):
            claims.claim_days()
    monkeypatch.delenv("SHOUDAI_CLAIM_DAYS")
    get_settings.cache_clear()
