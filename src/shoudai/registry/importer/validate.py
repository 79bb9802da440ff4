"""The vectorised validation and normalisation of one agency file, as DuckDB SQL (design note "Identity rules").

`stage_sql` turns a relation of raw strings (one VARCHAR column per source column key, plus `row__blank`, passed
through) into the stage: the staged columns (bad optional values already NULL), `ok` (row accepted), and `issues`:
NULL, or a list of {col, value, reason} (the check's position, the raw value, the Chinese reason) for every problem.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from shoudai.registry.importer.macros import ANY_SPACE, FULL_WIDTH_CLASS, lit
from shoudai.registry.importer.sources import SOURCES

REJECT = "已拒绝该行"
IGNORE = "已忽略该字段"

REGISTRY_STATUSES = ("存续", "在业", "吊销", "注销", "迁出", "撤销")
TAX_STATUSES = ("正常", "非正常", "停业", "注销", "清算")
TAX_GRADES = ("A", "B", "M", "C", "D")
ID_TYPES = {
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "USCC"),
    "person": ("居民身份证", "身份证", "身份证号", "身份证号码", "居民身份证号码"),
}
# person_key = shoudai.kit.crypto.blind_index(resident ID), the key passed in as a DuckDB variable (never in SQL text).
PERSON_KEY = "sha256(getvariable('blind_key') || '|' || {})"
# person_key is computed from other staged columns as the staged file is written, not kept in the stage table: 64
# characters a row of memory (~0.7 GB at 10M rows), and no hashing for rejected or duplicate rows. Being a function
# of those columns, leaving it out of the duplicate test changes nothing.
LATE = {
    "registry": ("person_key", f"CASE WHEN person_id IS NOT NULL THEN {PERSON_KEY.format('person_id')} END"),
    "tax": (
        "person_key",
        f"CASE WHEN id_form IN ('person18', 'person20') THEN {PERSON_KEY.format('taxpayer_id[1:18]')} END",
    ),
    "credit": ("person_key", f"CASE WHEN id_type = 'person' THEN {PERSON_KEY.format('subject_id')} END"),
}
YES = ("是", "有", "Y", "YES", "1", "TRUE")
NO = ("否", "无", "N", "NO", "0", "FALSE")

# Final column order of each staged Parquet file (the contract in docs/design/two-lists.md) with SQL types; all but
# the LATE column are in the stage table.
STAGED = {
    "registry": (
        ("row_no", "INTEGER"), ("uscc", "VARCHAR"), ("reg_no", "VARCHAR"), ("name", "VARCHAR"),
        ("registry_type", "VARCHAR"), ("entity_kind", "VARCHAR"), ("legal_rep", "VARCHAR"), ("person_id", "VARCHAR"),
        ("person_key", "VARCHAR"), ("registered_capital", "DECIMAL(18,4)"), ("established_on", "DATE"),
        ("status", "VARCHAR"), ("county_code", "VARCHAR"), ("industry_code", "VARCHAR"), ("address", "VARCHAR"),
        ("registrar", "VARCHAR"),
    ),
    "tax": (
        ("row_no", "INTEGER"), ("taxpayer_id", "VARCHAR"), ("id_form", "VARCHAR"), ("uscc", "VARCHAR"),
        ("org_code", "VARCHAR"), ("person_key", "VARCHAR"), ("name", "VARCHAR"), ("tax_status", "VARCHAR"),
        ("tax_grade", "VARCHAR"), ("industry_code", "VARCHAR"), ("revenue", "DECIMAL(18,4)"), ("employees", "INTEGER"),
        ("assets", "DECIMAL(18,4)"), ("tax_paid", "DECIMAL(18,4)"), ("county_code", "VARCHAR"),
    ),
    "credit": (
        ("row_no", "INTEGER"), ("subject_id", "VARCHAR"), ("id_type", "VARCHAR"), ("uscc", "VARCHAR"),
        ("person_key", "VARCHAR"), ("has_loan", "BOOLEAN"), ("has_discount", "BOOLEAN"), ("first_loan_on", "DATE"),
    ),
}


@dataclass(frozen=True)
class Check:
    """A problem test on one source column: `reason` is SQL giving Chinese text or NULL; `action` REJECT or IGNORE."""

    key: str
    reason: str
    action: str


@dataclass(frozen=True)
class Plan:
    normalised: list[tuple[str, str]]  # (name, SQL over raw columns), computed first
    checks: list[Check]  # over raw + normalised
    staged: list[tuple[str, str]]  # (staged column, SQL over raw + normalised, NULL where an IGNORE check fired)


def _in(arg: str, values: tuple[str, ...]) -> str:
    """arg IN (values), NULL for NULL, as ORed equalities.

    DuckDB turns list_contains (and long IN lists) into a MARK join, and a join takes the stage's insert off the
    order-preserving path that numbers the rows (pipeline._stage).
    """
    return "(" + " OR ".join(f"{arg} = {lit(v)}" for v in values) + ")"


def division_case(arg: str, code_map: dict[str, str]) -> str:
    """Any known (current or legacy) division code → the current one, else NULL."""
    whens = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in sorted(code_map.items()))
    return f"CASE {arg} {whens} END"


def section_case(arg: str, sections: list[tuple[str, int, int]]) -> str:
    """The GB/T 4754 section letter of a 2-digit division number (INTEGER arg), else NULL."""
    whens = " ".join(f"WHEN {arg} BETWEEN {lo} AND {hi} THEN {lit(s)}" for s, lo, hi in sections)
    return f"CASE {whens} END"


def _required(raw: str, problem: str) -> str:
    """A required column's reason: empty first, then the column's own problem."""
    return f"CASE WHEN {raw} IS NULL THEN '必填项为空' ELSE {problem} END"


def _money(key: str, norm: str) -> tuple[tuple[str, str], Check, str]:
    """An optional amount in 万元 → DECIMAL(18,4); thousands separators and a trailing 万元 are tolerated."""
    n = f"{key}__n"
    expr = f"""CASE WHEN contains({norm}, '万') THEN regexp_replace(replace(replace({norm}, ',', ''), '，', ''), '万元?$', '')
        ELSE replace(replace({norm}, ',', ''), '，', '') END"""
    reason = f"""CASE WHEN {n} IS NULL OR {n} = '' THEN NULL
        WHEN NOT regexp_full_match({n}, '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)') THEN '不是有效数字'
        WHEN try_cast({n} AS DECIMAL(18,4)) IS NULL THEN '数值超出范围'
        WHEN CAST({n} AS DECIMAL(18,4)) < 0 THEN '金额不能为负数' END"""
    staged = f"CASE WHEN e_{key} IS NULL AND {n} <> '' THEN CAST({n} AS DECIMAL(18,4)) END"
    return (n, expr), Check(key, reason, IGNORE), staged


def _industry(key: str, sections: list[tuple[str, int, int]]) -> tuple[list[tuple[str, str]], Check, str]:
    """C1713 / 1713 / C17 / C → letter + digits, the letter derived from the 2-digit division when missing."""
    n = f"{key}__n"
    parts = f"{key}__p"
    sect = f"{key}__s"
    norm = [
        (n, f"cp({key}__h, row__ws)"),
        (parts, f"regexp_extract({n}, '^([A-T]?)([0-9]{{2,4}})?$', ['letter', 'digits'])"),
        (sect, section_case(f"try_cast(({parts}).digits[1:2] AS INTEGER)", sections)),
    ]
    reason = f"""CASE WHEN {n} IS NULL THEN NULL
        WHEN ({parts}).letter = '' AND ({parts}).digits = '' THEN '行业代码格式错误'
        WHEN ({parts}).digits = '' THEN NULL
        WHEN {sect} IS NULL THEN '行业代码不存在'
        WHEN ({parts}).letter NOT IN ('', {sect}) THEN '行业门类与代码不符' END"""
    staged = f"""CASE WHEN e_{key} IS NULL AND {n} IS NOT NULL
        THEN coalesce(nullif(({parts}).letter, ''), {sect}) || ({parts}).digits END"""
    return norm, Check(key, reason, IGNORE), staged


def _registry(divisions: dict[str, str], sections) -> Plan:
    county = division_case("county__n", divisions)
    ind_norm, ind_check, ind_staged = _industry("industry_code", sections)
    cap_norm, cap_check, cap_staged = _money("registered_capital", "cp(registered_capital__h, row__ws)")
    normalised = [
        ("uscc__n", "cp(uscc__h, row__ws)"),
        ("reg_no__n", "cp(reg_no__h, row__ws)"),
        ("name__n", "sq(name__h, row__ws)"),
        ("type__n", "sq(registry_type__h, row__ws)"),
        ("rep__n", "sq(legal_rep__h, row__ws)"),
        ("pid__n", "cp(person_id__h, row__ws)"),
        ("est__s", "sq(established_on__h, row__ws)"),
        ("est__n", "to_date(est__s)"),
        ("status__n", "sq(status__h, row__ws)"),
        ("county__n", "cp(county_code__h, row__ws)"),
        ("county__m", county),
        ("reg_no__ok", "CASE WHEN reg_no__n IS NOT NULL THEN regexp_full_match(reg_no__n, '[0-9]{15}') END"),
        ("uscc__p", "uscc_problem(uscc__n)"),
        cap_norm,
        *ind_norm,
    ]
    checks = [
        Check(
            "uscc",
            """CASE WHEN uscc__n IS NULL AND reg_no__n IS NULL THEN '必填项为空（且无注册号）'
                    WHEN uscc__n IS NULL AND NOT reg_no__ok THEN '为空，且注册号不是15位数字'
                    WHEN uscc__n IS NULL THEN NULL
                    ELSE uscc__p END""",
            REJECT,
        ),
        Check("reg_no", "CASE WHEN reg_no__n IS NOT NULL AND NOT reg_no__ok THEN '注册号应为15位数字' END", IGNORE),
        Check("name", _required("name__n", "NULL"), REJECT),
        Check("registry_type", _required("type__n", "NULL"), REJECT),
        Check("legal_rep", _required("rep__n", "NULL"), REJECT),
        Check("person_id", "CASE WHEN pid__n IS NOT NULL THEN '证件号码' || pid_problem(pid__n) END", IGNORE),
        cap_check,
        Check(
            "established_on",
            _required("est__s", "CASE WHEN est__n IS NULL THEN '日期无法识别或不存在' END"),
            REJECT,
        ),
        Check(
            "status",
            _required("status__n", f"CASE WHEN NOT {_in('status__n', REGISTRY_STATUSES)} "
                      f"THEN '登记状态应为{'、'.join(REGISTRY_STATUSES)}之一' END"),
            REJECT,
        ),
        Check(
            "county_code",
            _required("county__n", "CASE WHEN county__m IS NOT NULL THEN NULL "
                      "WHEN NOT regexp_full_match(county__n, '[0-9]{6}') THEN '应为6位数字' "
                      "ELSE '不是本市的行政区划代码' END"),
            REJECT,
        ),
        ind_check,
    ]
    staged = [
        ("uscc", "uscc__n"),
        ("reg_no", "CASE WHEN reg_no__ok THEN reg_no__n END"),
        ("name", "name__n"),
        ("registry_type", "type__n"),
        ("entity_kind", """CASE WHEN uscc__n IS NOT NULL THEN
                CASE WHEN uscc__n[1] = '9' AND uscc__n[2] = '1' THEN 'enterprise'
                     WHEN uscc__n[1] = '9' AND uscc__n[2] = '2' THEN 'individual'
                     WHEN uscc__n[1] = '9' AND uscc__n[2] = '3' THEN 'cooperative' ELSE 'other' END
            WHEN contains(coalesce(type__n, ''), '个体') THEN 'individual'
            WHEN contains(coalesce(type__n, ''), '合作社') THEN 'cooperative'
            ELSE 'enterprise' END"""),
        ("legal_rep", "rep__n"),
        ("person_id", "CASE WHEN e_person_id IS NULL THEN pid__n END"),
        ("registered_capital", cap_staged),
        ("established_on", "est__n"),
        ("status", "status__n"),
        ("county_code", "county__m"),
        ("industry_code", ind_staged),
        ("address", "sq(address__h, row__ws)"),
        ("registrar", "sq(registrar__h, row__ws)"),
    ]
    return Plan(normalised, checks, staged)


def _tax(divisions: dict[str, str], sections) -> Plan:
    ind_norm, ind_check, ind_staged = _industry("industry_code", sections)
    money = {k: _money(k, f"cp({k}__h, row__ws)") for k in ("revenue", "assets", "tax_paid")}
    normalised = [
        ("tid__n", "cp(taxpayer_id__h, row__ws)"),
        ("name__n", "sq(name__h, row__ws)"),
        ("status__n", "sq(tax_status__h, row__ws)"),
        ("grade__n", "cp(tax_grade__h, row__ws)"),
        ("emp__n", "replace(cp(employees__h, row__ws), ',', '')"),
        ("county__n", "cp(county_code__h, row__ws)"),
        ("county__m", division_case("county__n", divisions)),
        *(m[0] for m in money.values()),
        *ind_norm,
        ("tid__form", """CASE
            WHEN tid__n IS NULL THEN NULL
            WHEN uscc_problem(tid__n) IS NULL THEN 'uscc'
            WHEN length(tid__n) = 15 THEN 'legacy15'
            WHEN pid_problem(tid__n) IS NULL THEN 'person18'
            WHEN length(tid__n) = 20 AND regexp_full_match(tid__n[19:20], '[0-9]{2}')
                 AND pid_problem(tid__n[1:18]) IS NULL THEN 'person20'
            ELSE 'other' END"""),
    ]
    checks = [
        Check("taxpayer_id", _required("tid__n", "NULL"), REJECT),
        Check("name", _required("name__n", "NULL"), REJECT),
        Check("tax_status", _required("status__n", f"CASE WHEN NOT {_in('status__n', TAX_STATUSES)} "
                                      f"THEN '纳税人状态应为{'、'.join(TAX_STATUSES)}之一' END"), REJECT),
        Check("tax_grade", f"CASE WHEN NOT {_in('grade__n', TAX_GRADES)} THEN '纳税信用等级应为A、B、M、C、D或空' END",
              IGNORE),
        ind_check,
        *(m[1] for m in money.values()),
        Check("employees", """CASE WHEN emp__n IS NULL THEN NULL
            WHEN NOT regexp_full_match(emp__n, '[0-9]+(\\.0*)?') OR try_cast(emp__n AS DECIMAL(18,2)) > 2000000000
            THEN '从业人数应为非负整数' END""", IGNORE),
        Check("county_code", """CASE WHEN county__n IS NOT NULL AND county__m IS NULL
            THEN '不是本市的行政区划代码' END""", IGNORE),
    ]
    staged = [
        ("taxpayer_id", "tid__n"),
        ("id_form", "tid__form"),
        ("uscc", "CASE WHEN tid__form = 'uscc' THEN tid__n END"),
        ("org_code", "CASE WHEN tid__form = 'legacy15' THEN tid__n[7:15] END"),
        ("name", "name__n"),
        ("tax_status", "status__n"),
        ("tax_grade", "CASE WHEN e_tax_grade IS NULL THEN grade__n END"),
        ("industry_code", ind_staged),
        ("revenue", money["revenue"][2]),
        ("employees", "CASE WHEN e_employees IS NULL THEN CAST(CAST(emp__n AS DECIMAL(18,2)) AS INTEGER) END"),
        ("assets", money["assets"][2]),
        ("tax_paid", money["tax_paid"][2]),
        ("county_code", "county__m"),
    ]
    return Plan(normalised, checks, staged)


def _credit(divisions: dict[str, str], sections) -> Plan:
    def flag(arg: str) -> str:
        return f"CASE WHEN {_in(arg, YES)} THEN true WHEN {_in(arg, NO)} THEN false END"

    id_type = " ".join(f"WHEN {_in('type__n', v)} THEN {lit(k)}" for k, v in ID_TYPES.items())
    normalised = [
        ("sid__n", "cp(subject_id__h, row__ws)"),
        ("type__n", "cp(id_type__h, row__ws)"),
        ("type__m", f"CASE {id_type} END"),
        ("loan__n", "cp(has_loan__h, row__ws)"),
        ("disc__n", "cp(has_discount__h, row__ws)"),
        ("loan__m", flag("loan__n")),
        ("disc__m", flag("disc__n")),
        ("first__n", "sq(first_loan_on__h, row__ws)"),
        ("first__d", "to_date(first__n)"),
    ]
    checks = [
        Check("subject_id", _required("sid__n", """CASE
            WHEN type__m = 'uscc' THEN '统一社会信用代码' || uscc_problem(sid__n)
            WHEN type__m = 'person' THEN '居民身份证号码' || pid_problem(sid__n) END"""), REJECT),
        Check("id_type", _required("type__n", "CASE WHEN type__m IS NULL THEN '标识类型应为统一社会信用代码或居民身份证' END"),
              REJECT),
        Check("has_loan", _required("loan__n", "CASE WHEN loan__m IS NULL THEN '应为是或否' END"), REJECT),
        Check("has_discount", _required("disc__n", "CASE WHEN disc__m IS NULL THEN '应为是或否' END"), REJECT),
        Check("first_loan_on", "CASE WHEN first__n IS NOT NULL AND first__d IS NULL THEN '日期无法识别或不存在' END",
              IGNORE),
    ]
    staged = [
        ("subject_id", "sid__n"),
        ("id_type", "type__m"),
        ("uscc", "CASE WHEN type__m = 'uscc' THEN sid__n END"),
        ("has_loan", "loan__m"),
        ("has_discount", "disc__m"),
        ("first_loan_on", "first__d"),
    ]
    return Plan(normalised, checks, staged)


PLANS = {"registry": _registry, "tax": _tax, "credit": _credit}


def row_flags(columns: list[str]) -> str:
    """SQL for row__fw (some field holds a full-width character) and row__ws (some field holds whitespace).

    One scan of the whole row instead of one per field: most rows need neither clean-up.
    """
    text = "concat_ws(chr(1), " + ", ".join(columns) + ")"
    spaced = " OR ".join(f"contains({text}, {lit(ch)})" for ch in ANY_SPACE)
    return f"regexp_matches({text}, {lit(FULL_WIDTH_CLASS)}) AS row__fw, ({spaced}) AS row__ws"


def _levels(named: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    """Group (name, SQL) pairs into SELECT layers: each value is computed once, after the values it uses.

    One layer per dependency level rather than one per value: fewer projections for DuckDB to pass columns through.
    """
    level: dict[str, int] = {}
    for name, expr in named:
        deps = [level[d] for d in level if re.search(rf"\b{re.escape(d)}\b", expr)]
        level[name] = 1 + max(deps, default=0)
    layers: dict[int, list[tuple[str, str]]] = {}
    for name, expr in named:
        layers.setdefault(level[name], []).append((name, expr))
    return [layers[k] for k in sorted(layers)]


def stage_sql(
    kind: str, relation: str, divisions: dict[str, str], sections: list[tuple[str, int, int]], width: int = 0
) -> str:
    """SELECT … FROM `relation` giving the stage of a `kind` file (see module docstring).

    `relation` has the raw columns under their keys, extra_fields and row__blank (passed through: the caller numbers
    the rows and leaves the blank ones out).
    """
    source = SOURCES[kind]
    plan = PLANS[kind](divisions, sections)
    plan.checks.append(Check(
        "extra_fields", f"CASE WHEN extra_fields IS NOT NULL THEN '该行有' || extra_fields || '列，多于表头的{width}列' END",
        REJECT))
    # Row-level flags first: one scan of the whole row tells whether any field needs the (slow) clean-up.
    inner = f"(SELECT *, {row_flags([c.key for c in source.columns])} FROM {relation})"
    half = [(f"{c.key}__h", f"CASE WHEN row__fw THEN hw({c.key}) ELSE {c.key} END") for c in source.columns]
    for level in _levels(half + plan.normalised):
        inner = f"(SELECT *, {', '.join(f'{expr} AS {name}' for name, expr in level)} FROM {inner})"
    checks = ",\n  ".join(f"{c.reason} AS e_{c.key}" for c in plan.checks)
    # The problems of a row as one list (NULL for the ~99% of rows without any): one mostly-NULL column instead of
    # two per check keeps the stage table small (at 10M rows, 26 such columns took ~1 GB of the memory limit).
    # `col` is the check's position, the order of check_actions (the report's column order within a row).
    entries = ", ".join(
        f"{{'col': {i}, 'value': CASE WHEN e_{c.key} IS NOT NULL THEN {c.key} END, 'reason': e_{c.key}}}"
        for i, c in enumerate(plan.checks)
    )
    flagged = " OR ".join(f"e_{c.key} IS NOT NULL" for c in plan.checks)
    issues = f"CASE WHEN {flagged} THEN list_filter([{entries}], lambda p: p.reason IS NOT NULL) END AS issues"
    rejecting = [f"e_{c.key} IS NULL" for c in plan.checks if c.action == REJECT]
    types = dict(STAGED[kind])
    staged = ",\n  ".join(
        f"CAST({expr} AS {types[name]}) AS {name}" for name, expr in plan.staged
    )
    data_cols = ", ".join(name for name, _ in plan.staged)
    # row__h: a 64-bit hash of an accepted row's values, so exact duplicates are found by grouping one integer.
    return f"""
SELECT *, CASE WHEN ok THEN hash({data_cols}) END AS row__h FROM (
SELECT row__blank, {' AND '.join(rejecting)} AS ok,
  {staged},
  {issues}
FROM (SELECT *, {checks} FROM {inner}))"""


def check_actions(kind: str) -> dict[str, str]:
    """Source column key → what a problem in it does (REJECT the row or IGNORE the field)."""
    plan = PLANS[kind]({}, [])
    return {c.key: c.action for c in plan.checks} | {"extra_fields": REJECT}
