"""The manifest's truth checked against an independent, plain-Python reading of the files by the design's rules."""

import csv
import re
from collections import Counter
from decimal import Decimal

import pytest

from shoudai.reference.loaders import reporting_units
from shoudai.reference.size import classify, rule_for
from shoudai.synth import codes

FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def _rows(path, encoding):
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.DictReader(f)
        seen, out = set(), []
        for r in reader:
            key = tuple(r.values())
            if key not in seen:  # exact duplicates are dropped at import
                seen.add(key)
                out.append(r)
        return out


def _code(s: str | None) -> str:
    return re.sub(r"\s", "", (s or "").translate(FULLWIDTH)).upper()


def _valid_id(s: str) -> bool:
    if not re.fullmatch(r"\d{17}[\dX]", s):
        return False
    return "10X98765432"[sum(int(c) * w for c, w in zip(s, ID_WEIGHTS)) % 11] == s[17]


def _money(s: str) -> Decimal | None:
    return Decimal(s) if s else None


def read_city(result) -> dict:
    """Entities keyed like the build (uscc, else R:reg_no) with their verdict, after the design note's rules."""
    reg = _rows(result.registry_csv, "utf-8-sig")
    tax = _rows(result.tax_csv, "gb18030")
    credit = _rows(result.credit_csv, "utf-8")
    by_uscc, by_org, by_person = {}, {}, {}
    for t in tax:
        tid = _code(t["纳税人识别号"])
        if codes.valid_uscc(tid):
            by_uscc[tid] = t
        elif len(tid) == 15:
            by_org[tid[6:]] = t
        elif len(tid) == 18 and _valid_id(tid):
            by_person[tid] = t
        elif len(tid) == 20 and _valid_id(tid[:18]):
            by_person[tid[:18]] = t
    hit_codes, hit_people = set(), set()
    for c in credit:
        if "是" in (c["有贷款记录"], c["有票据贴现记录"]):
            (hit_codes if c["标识类型"] == "统一社会信用代码" else hit_people).add(_code(c["主体标识"]))
    entities = {}
    for r in reg:
        uscc, reg_no = _code(r["统一社会信用代码"]), _code(r["注册号"])
        if uscc and not codes.valid_uscc(uscc):
            entities["BAD:" + uscc] = {"reason": "rejected"}
            continue
        kind = (
            {"2": "individual", "1": "enterprise", "3": "cooperative"}[uscc[1]]
            if uscc
            else (
                "individual"
                if r["主体类型"] == "个体工商户"
                else "cooperative"
                if r["主体类型"] == "农民专业合作社"
                else "enterprise"
            )
        )
        person = _code(r["证件号码"])
        t = by_uscc.get(uscc) or (by_org.get(uscc[8:17]) if uscc else None)
        if t is None and kind == "individual":
            t = by_person.get(person)
        converted = uscc in hit_codes or (kind == "individual" and person in hit_people)
        size = "unknown"
        if kind != "individual" and t is not None:
            figures = {
                "revenue": _money(t["上年营业收入(万元)"]),
                "assets": _money(t["资产总额(万元)"]),
                "employees": int(t["从业人数"]) if t["从业人数"] else None,
            }
            size = classify(rule_for(_code(r["行业代码"])), figures)
        if converted:
            reason = "converted"
        elif r["登记状态"] not in ("存续", "在业"):
            reason = "deregistered"
        elif t is not None and t["纳税人状态"] != "正常":
            reason = "tax_abnormal"
        elif size in ("medium", "large"):
            reason = "size_grown"
        else:
            reason = "kept"
        tier = "C" if t is None else "A" if t["纳税信用等级"] in ("A", "B", "M") else "B"
        key = uscc or "R:" + reg_no
        entities[key] = {
            "reason": reason,
            "tier": tier,
            "kind": kind,
            "size": size,
            "uscc": uscc,
            "reg_no": reg_no,
            "county": r["行政区划代码"],
        }
    return entities


@pytest.fixture(scope="module")
def year1(city):
    return read_city(city)


def test_the_mix_is_realistic(city):
    m = city.manifest
    n = m["population"]["in_registry"]
    kinds = m["population"]["by_kind"]
    assert kinds["individual"] / n == pytest.approx(0.70, abs=0.015)
    assert kinds["enterprise"] / n == pytest.approx(0.27, abs=0.015)
    assert kinds["cooperative"] / n == pytest.approx(0.03, abs=0.006)
    weights = {u.code: u.weight for u in reporting_units()}
    total_w = sum(weights.values())
    for code, count in m["population"]["by_county"].items():
        assert count / n == pytest.approx(weights[code] / total_w, abs=0.01), code
    status = m["registry"]["by_status"]
    assert (status["存续"] + status["在业"]) / n == pytest.approx(0.87, abs=0.02)
    assert status["注销"] and status["吊销"] and status["迁出"]
    assert m["tax"]["entities_in_registry"] / n == pytest.approx(0.80, abs=0.03)
    assert m["tax"]["by_status"]["正常"] / m["tax"]["entities"] > 0.75
    assert set(m["tax"]["by_grade"]) == {"A", "B", "M", "C", "D", "blank"}
    assert m["credit"]["entities_with_rows"] / n == pytest.approx(0.33, abs=0.04)
    assert m["credit"]["legal_rep_rows_with_loan_or_discount"] > 0


def test_industries_are_skewed_by_kind(city):
    with open(city.registry_csv, encoding="utf-8-sig", newline="") as f:
        reg = list(csv.DictReader(f))
    sections = {"individual": Counter(), "firm": Counter()}
    for r in reg:
        code = r["行业代码"]
        if code:
            d = int(code[-4:-2])
            section = (
                "FHO"
                if d in (52, 61, 62, 80, 81, 82)
                else "C"
                if 13 <= d <= 43
                else "F51"
                if d == 51
                else "other"
            )
            sections["individual" if r["主体类型"] == "个体工商户" else "firm"][section] += 1
    ind = {k: v / sum(sections["individual"].values()) for k, v in sections["individual"].items()}
    firm = {k: v / sum(sections["firm"].values()) for k, v in sections["firm"].items()}
    assert ind["FHO"] > 0.7  # retail, catering, services
    assert firm["C"] + firm["F51"] > 0.3  # manufacturing and wholesale
    assert firm["C"] > 3 * ind["C"] and firm["FHO"] < 0.3


def test_figures_make_most_firms_small(city):
    sizes = city.manifest["expected"]["lists"]["sme"]["size"]
    assert sizes["micro"] > sizes["small"] > 0 and sizes["unknown"] > 0
    assert city.manifest["expected"]["excluded"]["size_grown"] > 0


def test_manifest_truth_matches_an_independent_reading(city, year1):
    expected = city.manifest["expected"]
    listed = [e for e in year1.values() if e["reason"] == "kept"]
    totals = Counter("individual" if e["kind"] == "individual" else "sme" for e in listed)
    assert dict(totals) == expected["lists_total"]
    for name in ("individual", "sme"):
        tiers = Counter(e["tier"] for e in listed if (e["kind"] == "individual") == (name == "individual"))
        assert dict(tiers) == expected["lists"][name]["tier"]
    assert (
        dict(Counter(e["size"] for e in listed if e["kind"] != "individual"))
        == expected["lists"]["sme"]["size"]
    )
    excluded = Counter(e["reason"] for e in year1.values() if e["reason"] != "kept")
    assert dict(excluded) == expected["excluded"]
    county = Counter(
        ("410783" if e["county"] == "410728" else e["county"]) for e in listed if e["kind"] == "individual"
    )
    assert dict(county) == expected["by_county"]["individual"]


def test_legal_representatives_loans_do_not_count(city, year1):
    with open(city.registry_csv, encoding="utf-8-sig", newline="") as f:
        reps = {
            _code(r["证件号码"]): _code(r["统一社会信用代码"])
            for r in csv.DictReader(f)
            if r["主体类型"] != "个体工商户" and r["证件号码"]
        }
    with open(city.credit_csv, encoding="utf-8", newline="") as f:
        rep_loans = [
            reps[c["主体标识"]]
            for c in csv.DictReader(f)
            if c["标识类型"] == "居民身份证" and c["有贷款记录"] == "是" and c["主体标识"] in reps
        ]
    assert rep_loans
    kept = [u for u in rep_loans if u in year1 and year1[u]["reason"] == "kept"]
    assert len(kept) > 0.3 * len(rep_loans)  # their firms stay listed unless something else excludes them


def test_next_year_evolves_the_same_city(city, city_next_year, year1):
    year2 = read_city(city_next_year)
    m = city_next_year.manifest
    assert m["year"] == 2026 and m["generation"] == 2
    assert m["population"]["generated"] == round(20_000 * 1.07)
    before = {k: e for k, e in year1.items() if e["reason"] == "kept"}
    now = {k: e for k, e in year2.items() if e["reason"] == "kept"}
    prev_codes = {e["uscc"] for e in before.values() if e["uscc"]}
    prev_regs = {e["reg_no"] for e in before.values() if e["reg_no"]}
    carried = [
        e for e in now.values() if e["uscc"] in prev_codes or (e["reg_no"] and e["reg_no"] in prev_regs)
    ]
    assert any(k.startswith("R:") for k in before) and any(
        e["uscc"] and e["reg_no"] in prev_regs and "R:" + e["reg_no"] in before for e in carried
    )
    removed = Counter()
    for key, e in before.items():
        later = year2.get(key) or next(
            (x for x in year2.values() if e["reg_no"] and x.get("reg_no") == e["reg_no"]), None
        )
        if later is None:
            removed["gone"] += 1
        elif later["reason"] != "kept":
            removed[later["reason"]] += 1
    changes = m["expected"]["changes"]
    assert changes["carried"] == len(carried)
    assert changes["new"] == len(now) - len(carried)
    assert changes["removed"] == dict(removed)
    assert set(removed) >= {"converted", "deregistered", "tax_abnormal", "gone"}
