"""The SQL twins of kit.text / codes / dates give the same answers as the Python originals on random input."""

import random
from datetime import date, timedelta

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shoudai.kit import codes, dates, text
from shoudai.registry.importer.macros import ANY_SPACE_CLASS, lit, macro_sql

SYMBOLS = codes.USCC_ALPHABET + "IOSVZabc xX\t０１９ＡＹａｙ（）\u3000中-/年月日.:T"


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    for statement in macro_sql():
        c.execute(statement)
    yield c
    c.close()


def sql_column(con, expr: str, values: list[str | None]) -> list:
    con.register("vals", pa.table({"i": list(range(len(values))), "s": pa.array(values, pa.string())}))
    try:
        return [r[0] for r in con.execute(f"SELECT {expr} FROM vals ORDER BY i").fetchall()]
    finally:
        con.unregister("vals")


def near_valid_codes(rng: random.Random, n: int) -> list[str]:
    """Valid codes, and valid codes with one character changed, so both verdicts are common."""
    out = []
    for _ in range(n):
        first17 = "".join(rng.choice(codes.USCC_ALPHABET) for _ in range(17))
        code = first17 + codes.uscc_check_char(first17)
        if rng.random() < 0.5:
            i = rng.randrange(18)
            code = code[:i] + rng.choice(codes.USCC_ALPHABET) + code[i + 1 :]
        out.append(code)
    return out


def near_valid_ids(rng: random.Random, n: int) -> list[str]:
    out = []
    for _ in range(n):
        first17 = "".join(rng.choice("0123456789") for _ in range(17))
        number = first17 + codes.resident_id_check_char(first17)
        if rng.random() < 0.5:
            i = rng.randrange(18)
            number = number[:i] + rng.choice("0123456789X") + number[i + 1 :]
        out.append(number)
    return out


def test_uscc_check_in_sql_equals_python_on_many_random_codes(con):
    values = near_valid_codes(random.Random(7), 20_000)
    got = sql_column(con, "uscc_problem(s)", values)
    assert got == [codes.uscc_problem(v) for v in values]
    assert 0.3 < got.count(None) / len(values) < 0.8  # both verdicts well represented


def test_resident_id_check_in_sql_equals_python_on_many_random_numbers(con):
    values = near_valid_ids(random.Random(11), 20_000)
    got = sql_column(con, "pid_problem(s)", values)
    assert got == [codes.resident_id_problem(v) for v in values]
    assert 0.3 < got.count(None) / len(values) < 0.8


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet=SYMBOLS, max_size=20)), min_size=1, max_size=50))
def test_normalisation_and_checks_agree_on_arbitrary_text(con, values):
    spaced = f"regexp_matches(s, {lit(ANY_SPACE_CLASS)})"
    assert sql_column(con, f"cp(hw(s), {spaced})", values) == [text.compact(v) for v in values]
    assert sql_column(con, f"sq(hw(s), {spaced})", values) == [text.squeeze(v) for v in values]
    assert sql_column(con, "cp(hw(s), true)", values) == [text.compact(v) for v in values]
    assert sql_column(con, "sq(hw(s), true)", values) == [text.squeeze(v) for v in values]
    compacted = [text.compact(v) for v in values]
    assert sql_column(con, "uscc_problem(s)", compacted) == [codes.uscc_problem(v) for v in compacted]
    assert sql_column(con, "pid_problem(s)", compacted) == [codes.resident_id_problem(v) for v in compacted]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.tuples(
                st.dates(min_value=date(1930, 1, 1), max_value=date(2099, 12, 31)),
                st.sampled_from(["%Y-%m-%d", "%Y/%-m/%-d", "%Y%m%d", "%Y年%-m月%-d日", "%Y.%m.%d 08:30"]),
            ).map(lambda pair: pair[0].strftime(pair[1])),
            st.integers(min_value=10000, max_value=99999).map(str),
            st.text(alphabet="0123456789-/年月日 .:", max_size=12),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_dates_in_sql_equal_python(con, values):
    squeezed = [text.squeeze(v) for v in values]
    assert sql_column(con, "to_date(s)", squeezed) == [dates.parse_date(v) for v in squeezed]


def test_impossible_days_are_null_in_sql(con):
    assert sql_column(con, "to_date(s)", ["2023-02-30", "2023-02-28", "45052", "2024/2/29", "2023/2/29"]) == [
        None, date(2023, 2, 28), date(2023, 5, 6), date(2024, 2, 29), None]
    assert dates.excel_serial_date(45052) - dates.excel_serial_date(45051) == timedelta(days=1)
