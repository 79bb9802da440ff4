import datetime as dt

import numpy as np
import pytest
from stdnum.cn import ric, uscc

from shoudai.synth import codes
from shoudai.synth.render import date_strings


def _org_check(body: str) -> str:
    """GB 11714, written out plainly as an independent reference."""
    values = [int(c) if c.isdigit() else ord(c) - 55 for c in body]
    c = 11 - sum(v * w for v, w in zip(values, (3, 7, 9, 10, 5, 8, 4, 2))) % 11
    return {10: "X", 11: "0"}.get(c, str(c))


def _regno_check(body: str) -> str:
    """ISO 7064 MOD 11,10, written out plainly."""
    p = 10
    for ch in body:
        s = (p + int(ch)) % 10 or 10
        p = s * 2 % 11
    return str((11 - p) % 10)


def _mat(strings: list[str]) -> np.ndarray:
    return np.frombuffer("".join(strings).encode(), np.uint8).reshape(len(strings), -1)


def test_uscc_check_digit_agrees_with_stdnum():
    rng = np.random.default_rng(1)
    bodies = [
        "9" + "123"[i % 3] + "410702" + "".join(rng.choice(list("0123456789ABCDEFGHJKLMNPQRTUWXY"), 9))
        for i in range(300)
    ]
    got = codes.uscc_check(_mat(bodies))
    for body, check in zip(bodies, got):
        assert chr(check) == uscc.calc_check_digit(body)
        assert codes.valid_uscc(body + chr(check))
        assert not codes.valid_uscc(body + ("0" if chr(check) != "0" else "1"))


def test_resident_id_check_digit_agrees_with_stdnum():
    rng = np.random.default_rng(2)
    bodies = [
        f"4107{rng.integers(0, 100):02d}19{rng.integers(50, 99)}0{rng.integers(1, 10)}1{rng.integers(0, 10)}"
        f"{rng.integers(0, 1000):03d}"
        for _ in range(300)
    ]
    got = codes.id_check(_mat(bodies))
    for body, check in zip(bodies, got):
        assert chr(check) == ric.calc_check_digit(body + "0")


@pytest.mark.parametrize("body", ["41968400", "MA3X7K2B", "12345678", "MA44PQ0R", "00000000"])
def test_org_code_check(body):
    assert chr(codes.org_check(_mat([body]))[0]) == _org_check(body)


def test_registration_number_check():
    bodies = [f"410702{n:08d}" for n in (0, 1, 60000000, 12345678, 99999999, 31415926)]
    assert [chr(c) for c in codes.regno_check(_mat(bodies))] == [_regno_check(b) for b in bodies]


def test_strings_fullwidth_and_numbers():
    assert codes.strings(codes.fullwidth(_mat(["91AZ"]))).to_pylist() == ["９１ＡＺ"]
    assert codes.number_strings(np.array([0, 7, 10, 123456])).to_pylist() == ["0", "7", "10", "123456"]
    assert codes.money_strings(np.array([0, 5, 100, 123456, 10**11])).to_pylist() == [
        "0.00",
        "0.05",
        "1.00",
        "1234.56",
        "1000000000.00",
    ]


def test_date_formats():
    days = np.array(
        [(dt.date(2023, 5, 6) - dt.date(1970, 1, 1)).days] * 3
        + [(dt.date(2021, 12, 25) - dt.date(1970, 1, 1)).days]
    )
    got = date_strings(days, np.array([0, 1, 2, 1])).to_pylist()
    assert got == ["2023-05-06", "2023/5/6", "20230506", "2021/12/25"]
