"""A generated city (shoudai.synth) imported and built two years running matches the generator's own ground truth."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from shoudai.registry import lists
from shoudai.registry.models import ListEntry, ListRemoval

synth = pytest.importorskip("shoudai.synth")
importer = pytest.importorskip("shoudai.registry.importer")

pytestmark = pytest.mark.slow


def _import_and_build(session, city_dir, year):
    batches = [importer.import_file(session, city_dir / f"{k}.csv", k, actor="test").batch
               for k in ("registry", "tax", "credit")]
    return lists.build_version(session, year, *batches, actor="test")


def test_two_generated_years_match_the_generators_truth(session, tmp_path):
    base = synth.generate_city(6000, 5, tmp_path / "g1", xlsx=False)
    later = synth.generate_city(6000, 5, tmp_path / "g2", year=base.manifest["year"] + 1, xlsx=False)
    for result in (base, later):
        year = result.manifest["year"]
        truth = result.manifest["expected"]
        v = _import_and_build(session, result.out_dir, year)
        assert (v.sme_count, v.individual_count) == (truth["lists_total"]["sme"], truth["lists_total"]["individual"])
        rows = session.execute(select(ListEntry.list_kind, ListEntry.county_code, ListEntry.tier,
                                      ListEntry.size_class).where(ListEntry.version_id == v.id)).all()
        for kind in ("sme", "individual"):
            assert dict(Counter(r.county_code for r in rows if r.list_kind == kind)) == truth["by_county"][kind]
            assert dict(Counter(r.tier for r in rows if r.list_kind == kind)) == truth["lists"][kind]["tier"]
        assert dict(Counter(r.size_class for r in rows if r.list_kind == "sme")) == truth["lists"]["sme"]["size"]
        if "changes" in truth:
            assert (v.new_count, v.carried_count) == (truth["changes"]["new"], truth["changes"]["carried"])
            reasons = Counter(session.scalars(select(ListRemoval.reason_code).where(ListRemoval.version_id == v.id)))
            assert dict(reasons) == truth["changes"]["removed"]
