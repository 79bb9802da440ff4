"""DuckDB macros for the identity rules (L2), the SQL twins of shoudai.kit.text / codes / dates."""

from __future__ import annotations

from shoudai.kit import codes, dates
from shoudai.kit.text import FULL_WIDTH, HALF_WIDTH


def lit(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _uscc_sum(arg: str) -> str:
    """Σ weight × value; strpos is value + 1, so the weights' sum is taken off once (fewer vector operations)."""
    alphabet = lit(codes.USCC_ALPHABET)
    terms = " + ".join(f"strpos({alphabet}, substr({arg}, {i + 1}, 1)) * {w}" for i, w in enumerate(codes.USCC_WEIGHTS))
    return f"({terms} - {sum(codes.USCC_WEIGHTS)})"


def _id_sum(arg: str) -> str:
    terms = " + ".join(f"unicode(substr({arg}, {i + 1}, 1)) * {w}" for i, w in enumerate(codes.ID_WEIGHTS))
    return f"({terms} - {48 * sum(codes.ID_WEIGHTS)})"


WS = r"[\t\n\f\r ]"
# The code points kit.text converts, as ranges (RE2 scans ranges faster than a long list of characters).
FULL_WIDTH_CLASS = "[\\x{FF08}\\x{FF09}\\x{FF10}-\\x{FF19}\\x{FF21}-\\x{FF3A}\\x{FF41}-\\x{FF5A}\\x{3000}\\x{00A0}]"
ANY_SPACE = ("\t", "\n", "\f", "\r", " ", "\u3000", "\u00a0")  # whitespace before half-width conversion
ANY_SPACE_CLASS = "[" + "".join(ANY_SPACE) + "]"
# Either date shape, groups 1-3 (separated) or 4-6 (compact).
DATE_EITHER = f"(?:{dates.SEPARATED}|{dates.COMPACT})"


def macro_sql() -> list[str]:
    """CREATE MACRO statements; every macro maps NULL to NULL."""
    alphabet = lit(codes.USCC_ALPHABET)
    return [
        # Full-width → half-width; translate() is slow in DuckDB, so only for the few values that need it.
        f"""CREATE OR REPLACE TEMP MACRO hw(s) AS CASE WHEN regexp_matches(s, {lit(FULL_WIDTH_CLASS)})
              THEN translate(s, {lit(FULL_WIDTH)}, {lit(HALF_WIDTH)}) ELSE s END""",
        # squeeze (of half-width text): trimmed, inner whitespace collapsed; blank → NULL. `w`: the row has whitespace
        # somewhere (one regex per row instead of one per field: most rows have none, and then h is already clean).
        f"""CREATE OR REPLACE TEMP MACRO sq(h, w) AS nullif(CASE WHEN w AND regexp_matches(h, '[\\t\\n\\f\\r]|  |^ | $')
              THEN trim(regexp_replace(h, '{WS}+', ' ', 'g')) ELSE h END, '')""",
        # compact (of half-width text), for codes: no whitespace at all, upper case; blank → NULL
        f"""CREATE OR REPLACE TEMP MACRO cp(h, w) AS nullif(upper(CASE WHEN w
              THEN regexp_replace(h, '{WS}+', '', 'g') ELSE h END), '')""",
        # USCC problem in Chinese, NULL when valid (kit.codes.uscc_problem)
        f"""CREATE OR REPLACE TEMP MACRO uscc_problem(c) AS CASE
              WHEN c IS NULL THEN '为空'
              WHEN length(c) <> 18 THEN '长度应为18位'
              WHEN NOT regexp_full_match(c, '[0-9A-HJ-NPQRTUWXY]{{18}}') THEN '含有非法字符'
              WHEN {alphabet}[(31 - ({_uscc_sum('c')}) % 31) % 31 + 1] <> c[18] THEN '校验位错误'
            END""",
        f"""CREATE OR REPLACE TEMP MACRO pid_problem(p) AS CASE
              WHEN p IS NULL THEN '为空'
              WHEN length(p) <> 18 THEN '长度应为18位'
              WHEN NOT regexp_full_match(p, '[0-9]{{17}}[0-9X]') THEN '格式错误'
              WHEN {lit(codes.ID_CHECK)}[({_id_sum('p')}) % 11 + 1] <> p[18] THEN '校验位错误'
            END""",
        # dates (kit.dates.parse_date) of squeezed text: the matched parts as Y-M-D, then a real calendar day or NULL
        f"""CREATE OR REPLACE TEMP MACRO to_date(s) AS CASE
              WHEN s IS NULL THEN NULL
              -- the common ISO form without any regex
              WHEN strlen(s) = 10 AND s[5] = '-' AND s[8] = '-' AND NOT contains(s, ' ') AND NOT contains(s, '+')
                THEN CAST(try_strptime(s, '%Y-%m-%d') AS DATE)
              WHEN regexp_full_match(s, {lit(dates.SERIAL)})
                THEN DATE '{dates.EXCEL_EPOCH.isoformat()}' + CAST(s[1:5] AS INTEGER)
              WHEN regexp_full_match(s, {lit(DATE_EITHER)})
                THEN CAST(try_strptime(regexp_replace(s, {lit('^' + DATE_EITHER + '$')}, '\\1\\4-\\2\\5-\\3\\6'),
                                       '%Y-%m-%d') AS DATE)
            END""",
    ]
