"""Banks' monthly first-loan reports (首贷发放明细) for a generated city's lists: demo data for the oversight pages.

Borrowers come from the lists themselves: a year's months lend to the businesses that the next year's build removed as
converted (they did get a loan), and the newest year's months lend to a share of that year's entries. Demo scale only
(a few thousand loans): rows are assembled in Python.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import numpy as np
import pyarrow as pa

from shoudai.reference.loaders import banks

HEADER = ("金融机构", "借款人统一社会信用代码", "借款人名称", "合同编号", "发放日期", "金额(万元)", "期限(月)",
          "年利率(%)", "担保方式", "担保机构", "担保费率(%)")
GUARANTEES = ("信用", "保证", "抵押", "质押", "政府性融资担保")
GUARANTEE_SHARES = (0.45, 0.2, 0.2, 0.05, 0.1)
GUARANTOR = "新乡市中小企业融资担保有限公司"


def months_of(year: int, last: date) -> list[str]:
    """The YYYY-MM periods of `year` up to and including the month of `last`."""
    end = 12 if last.year > year else last.month if last.year == year else 0
    return [f"{year}-{m:02d}" for m in range(1, end + 1)]


def report_files(borrowers_by_period: dict[str, pa.Table], seed: int) -> dict[tuple[str, str], bytes]:
    """(bank code, period) → a UTF-8-BOM CSV in the DATA-CONTRACTS layout, one row per first loan."""
    rng = np.random.default_rng(seed)
    lenders = [b for b in banks() if b.category != "policy"]
    weights = np.array([3.0 if b.category in ("large_state", "rural_commercial") else 1.0 for b in lenders])
    weights /= weights.sum()
    files: dict[tuple[str, str], list[tuple]] = {}
    serial = 0
    for period, table in sorted(borrowers_by_period.items()):
        year, month = map(int, period.split("-"))
        for row in table.select(["uscc", "name"]).to_pylist():
            if not row["uscc"]:
                continue  # legacy-number businesses are reported by the operator's ID, which the lists do not hold
            bank = lenders[rng.choice(len(lenders), p=weights)]
            serial += 1
            guarantee = GUARANTEES[rng.choice(len(GUARANTEES), p=GUARANTEE_SHARES)]
            amount = float(np.clip(rng.lognormal(np.log(40), 0.9), 3, 800))
            day = date(year, month, int(rng.integers(1, 29)))
            files.setdefault((bank.code, period), []).append((
                bank.code, row["uscc"], row["name"], f"{bank.code}-{year}-{serial:06d}", day.isoformat(),
                f"{amount:.2f}", int(rng.choice([6, 12, 24, 36])), f"{rng.uniform(3.2, 6.5):.2f}", guarantee,
                GUARANTOR if guarantee == "政府性融资担保" else "", "0.80" if guarantee == "政府性融资担保" else "",
            ))
    out = {}
    for key, rows in files.items():
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
        out[key] = ("\ufeff" + buf.getvalue()).encode("utf-8")
    return out


def spread_over(table: pa.Table, periods: list[str], share: float, seed: int) -> dict[str, pa.Table]:
    """Pick `share` of the table's rows and spread them evenly at random over `periods`."""
    rng = np.random.default_rng(seed)
    picked = np.flatnonzero(rng.random(table.num_rows) < share)
    slots = rng.integers(0, len(periods), len(picked))
    return {p: table.take(picked[slots == i]) for i, p in enumerate(periods)}
