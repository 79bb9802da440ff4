"""Baselines the list build is measured against (issue 2, item 8).

- duckdb_floor: the least work that reads the three agency files and anti-joins them — no validation, no normalisation,
  no storing. Our pipeline is judged as a multiple of this.
- pandas_rules: the same list rules written plainly in pandas, as an analyst would, for the speed-up ratio.
Both return the number of rows they end with, so a run that silently read nothing would show.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from pathlib import Path

import duckdb

CHUNK = 16 << 20


def sniff_encoding(path: Path) -> str:
    head = path.open("rb").read(1 << 16)
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        head.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as e:
        if e.start > len(head) - 4:  # a character cut at the sample's end
            return "utf-8"
        return "gb18030"


def to_utf8(path: Path, workdir: Path) -> Path:
    """A UTF-8 copy of a GB18030 file (DuckDB reads UTF-8 only here); UTF-8 files are used as they are."""
    enc = sniff_encoding(path)
    if enc != "gb18030":
        return path
    out = workdir / (path.stem + ".utf8.csv")
    dec = codecs.getincrementaldecoder("gb18030")()
    with path.open("rb") as src, out.open("w", encoding="utf-8") as dst:
        while chunk := src.read(CHUNK):
            dst.write(dec.decode(chunk))
        dst.write(dec.decode(b"", final=True))
    return out


def duckdb_floor(city: Path, threads: int = 2) -> int:
    """Read registry, tax and credit CSVs; keep registry codes with a tax row and no credit row."""
    with tempfile.TemporaryDirectory() as tmp:
        files = {k: to_utf8(city / f"{k}.csv", Path(tmp)) for k in ("registry", "tax", "credit")}
        con = duckdb.connect()
        con.execute(f"SET threads={threads}")
        for k, p in files.items():
            con.execute(f"CREATE VIEW {k} AS SELECT * FROM read_csv('{p}', all_varchar=true, header=true)")
        (n,) = con.execute(
            """
            SELECT count(*) FROM registry r
            JOIN tax t ON t."纳税人识别号" = r."统一社会信用代码"
            WHERE NOT EXISTS (SELECT 1 FROM credit c WHERE c."主体标识" = r."统一社会信用代码")
            """
        ).fetchone()
        con.close()
        return n


if __name__ == "__main__":
    import sys
    import time

    t = time.perf_counter()
    print(duckdb_floor(Path(sys.argv[1])), f"{time.perf_counter() - t:.2f}s", os.getpid())
