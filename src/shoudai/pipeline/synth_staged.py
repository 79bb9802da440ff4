"""A synthetic city written straight as staged Parquet (numpy, vectorised): for engine parity tests and benchmarks.

Not the agency-file generator (shoudai.synth): this skips the files and the importer, so the build can be tested and
timed on its own. Codes look like the real ones but carry no valid check digit; the build never checks them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shoudai.pipeline.staged import SCHEMAS
from shoudai.reference.loaders import divisions

INDUSTRIES = ["C1713", "C3411", "C1810", "F5123", "F5211", "F5212", "H6210", "H6110", "G5430", "I6510", "E4811",
              "A0111", "K7020", "L7211", "O8011", "2614", "5920", None]
STATUSES = ["存续", "在业", "吊销", "注销", "迁出"]
TAX_STATUSES = ["正常", "非正常", "停业"]
GRADES = ["A", "B", "M", "C", "D", None]


def _pad(values: np.ndarray, width: int) -> pa.Array:
    return pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, "0")


def _join(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _pick(rng: np.random.Generator, choices: list, p: list[float], n: int) -> pa.Array:
    idx = rng.choice(len(choices), size=n, p=np.array(p) / sum(p))
    return pc.take(pa.array(choices, pa.string()), pa.array(idx))


def _decimal(values: np.ndarray, missing: np.ndarray) -> pa.Array:
    arr = pa.array(np.round(values, 4), mask=missing).cast(pa.decimal128(18, 4))
    return arr


def generate_staged_city(n: int, seed: int, out_dir: str | Path, *, year_shift: int = 0) -> dict[str, Path]:
    """Write registry/tax/credit staged Parquet for `n` entities; `year_shift` > 0 gives the same city years later."""
    rng = np.random.default_rng(seed)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    divs = [d for d in divisions() if d.kind != "legacy" or d.replaced_by]
    weights = np.array([d.weight if d.weight else 0.01 for d in divs])
    county = pc.take(pa.array([d.code for d in divs]), pa.array(rng.choice(len(divs), n, p=weights / weights.sum())))
    serial = np.arange(n, dtype=np.int64) + 1
    kind_draw = rng.random(n)
    kind = np.where(kind_draw < 0.70, "individual",
                    np.where(kind_draw < 0.97, "enterprise", np.where(kind_draw < 0.99, "cooperative", "other")))
    kind_digit = pa.array(np.select([kind == "individual", kind == "enterprise", kind == "cooperative"],
                                    ["92", "91", "93"], "11"))
    uscc = _join(kind_digit, county, _pad(serial, 9), pa.array(np.full(n, "0")))
    legacy_only = (kind == "individual") & (rng.random(n) < 0.04)
    uscc = pc.if_else(pa.array(legacy_only), pa.nulls(n, pa.string()), uscc)
    reg_no = pc.if_else(pa.array(legacy_only), _join(county, _pad(serial, 9)), pa.nulls(n, pa.string()))
    person_key = _join(pa.array(np.full(n, "pk")), _pad(serial * 7919 % 10_000_019, 8))
    status_p = [0.6, 0.28, 0.04, 0.06, 0.02]
    if year_shift:
        status_p = [0.55, 0.26, 0.06, 0.10, 0.03]
    industry = _pick(rng, INDUSTRIES, [1] * len(INDUSTRIES), n)
    days = rng.integers(0, 9000, n).astype("int32") + 5000
    registry = pa.table({
        "row_no": pa.array(np.arange(n, dtype=np.int32) + 2),
        "uscc": uscc, "reg_no": reg_no,
        "name": _join(pa.array(np.full(n, "新乡市测试主体")), _pad(serial, 9)),
        "registry_type": pa.array(np.select([kind == "individual", kind == "cooperative", kind == "other"],
                                            ["个体工商户", "农民专业合作社", "事业单位"], "有限责任公司")),
        "entity_kind": pa.array(kind),
        "legal_rep": _pick(rng, ["张伟", "王芳", "李娜", "刘洋", "欧阳明", "陈静"], [1] * 6, n),
        "person_id": pa.nulls(n, pa.string()),
        "person_key": person_key,
        "registered_capital": _decimal(rng.gamma(2, 50, n), rng.random(n) < 0.1),
        "established_on": pa.array(days).cast(pa.date32()),
        "status": _pick(rng, STATUSES, status_p, n),
        "county_code": county,
        "industry_code": industry,
        "address": _join(pa.array(np.full(n, "新乡市某路")), _pad(serial % 1000, 3), pa.array(np.full(n, "号"))),
        "registrar": pa.nulls(n, pa.string()),
    })
    # 0.5% of rows occur twice (a later, different copy: the first must win).
    dup = rng.choice(n, n // 200, replace=False)
    dup_rows = registry.take(pa.array(dup)).set_column(0, "row_no", pa.array(np.arange(len(dup), dtype=np.int32) + n + 2))
    dup_rows = dup_rows.set_column(11, "status", pa.array(np.full(len(dup), "注销")))
    registry = pa.concat_tables([registry, dup_rows])

    has_tax = rng.random(n) < 0.8
    form_draw = rng.random(n)
    enterprise_like = (kind != "individual")
    legacy15 = has_tax & enterprise_like & (form_draw < 0.03) & ~legacy_only
    person20 = has_tax & (kind == "individual") & (form_draw < 0.08)
    by_uscc = has_tax & ~legacy15 & ~person20 & ~legacy_only
    idx = np.flatnonzero(has_tax & (legacy15 | person20 | by_uscc))
    m = len(idx)
    t_uscc = pc.take(uscc, pa.array(idx))
    is15 = pa.array(legacy15[idx])
    is20 = pa.array(person20[idx])
    org = pc.utf8_slice_codeunits(t_uscc, 8, 17)
    t_person = pc.take(person_key, pa.array(idx))
    emp_missing = rng.random(m) < 0.1
    rev_missing = rng.random(m) < 0.1
    scale = 1 + 4 * year_shift
    tax = pa.table({
        "row_no": pa.array(np.arange(m, dtype=np.int32) + 2),
        "taxpayer_id": pc.if_else(is15, _join(pc.utf8_slice_codeunits(t_uscc, 2, 8), org),
                                  pc.if_else(is20, _join(t_person, pa.array(np.full(m, "01"))), t_uscc)),
        "id_form": pc.if_else(is15, "legacy15", pc.if_else(is20, "person20", "uscc")),
        "uscc": pc.if_else(pc.or_(is15, is20), pa.nulls(m, pa.string()), t_uscc),
        "org_code": pc.if_else(is15, org, pa.nulls(m, pa.string())),
        "person_key": pc.if_else(is20, t_person, pa.nulls(m, pa.string())),
        "name": pc.take(registry.column("name").combine_chunks(), pa.array(idx)),
        "tax_status": _pick(rng, TAX_STATUSES, [0.93 - 0.03 * year_shift, 0.05 + 0.03 * year_shift, 0.02], m),
        "tax_grade": _pick(rng, GRADES, [0.15, 0.3, 0.2, 0.15, 0.05, 0.15], m),
        "industry_code": pa.nulls(m, pa.string()),
        "revenue": _decimal(rng.lognormal(4, 2, m) * scale, rev_missing),
        "employees": pa.array(np.minimum(rng.lognormal(2, 1.5, m) * scale, 1e6).astype(np.int32), mask=emp_missing),
        "assets": _decimal(rng.lognormal(5, 2, m), rng.random(m) < 0.2),
        "tax_paid": _decimal(rng.lognormal(1, 1, m), rng.random(m) < 0.2),
        "county_code": pc.take(county, pa.array(idx)),
    })
    c_idx = np.flatnonzero(rng.random(n) < (0.33 + 0.03 * year_shift))
    k = len(c_idx)
    by_person = rng.random(k) < 0.35
    credit = pa.table({
        "row_no": pa.array(np.arange(k, dtype=np.int32) + 2),
        "subject_id": pc.if_else(pa.array(by_person), pc.take(person_key, pa.array(c_idx)),
                                 pc.take(uscc, pa.array(c_idx))),
        "id_type": pa.array(np.where(by_person, "person", "uscc")),
        "uscc": pc.if_else(pa.array(by_person), pa.nulls(k, pa.string()), pc.take(uscc, pa.array(c_idx))),
        "person_key": pc.if_else(pa.array(by_person), pc.take(person_key, pa.array(c_idx)), pa.nulls(k, pa.string())),
        "has_loan": pa.array(rng.random(k) < 0.8),
        "has_discount": pa.array(rng.random(k) < 0.1),
        "first_loan_on": pa.array(rng.integers(10000, 19000, k).astype("int32")).cast(pa.date32()),
    })
    paths = {}
    for kind_name, table in (("registry", registry), ("tax", tax), ("credit", credit)):
        path = out / f"{kind_name}.parquet"
        pq.write_table(table.cast(SCHEMAS[kind_name]), path, row_group_size=1_000_000)
        paths[kind_name] = path
    return paths
