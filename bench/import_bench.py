"""Import throughput per agency file kind (issue 2 item 5): rows/s of `import_file` on generated or given files.

    .venv/bin/python bench/import_bench.py --rows 1000000 [--kind registry] [--encoding utf-8|utf-8-sig|gb18030]
    .venv/bin/python bench/import_bench.py --file var/city/registry.csv --kind registry
    .venv/bin/python bench/import_bench.py --rows 2000000 --transcode      # GB18030: Python decoder vs iconv

Without --file it writes a messy file itself with DuckDB (full-width codes, stray spaces, mixed date formats,
~0.3% bad check digits, duplicates) so it runs before `shoudai synth` exists. Reports the median of --runs runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from shoudai.registry.importer.macros import macro_sql

CODES = "0123456789ABCDEFGHJKLMNPQRTUWXY"
COUNTIES = ["410702", "410703", "410704", "410711", "410721", "410724", "410725", "410726", "410727",
            "410771", "410772", "410773", "410781", "410782", "410783", "410728"]


def _pick(options: list[str], seed: str) -> str:
    arr = "[" + ", ".join("'" + o + "'" for o in options) + "]"
    return f"{arr}[(hash(i, '{seed}') % {len(options)})::BIGINT + 1]"


def _rand_chars(alphabet: str, n: int, seed: str) -> str:
    return " || ".join(f"'{alphabet}'[(hash(i, '{seed}{k}') % {len(alphabet)})::BIGINT + 1]" for k in range(n))


def _uscc17(seed: str) -> str:
    return ("'9' || " + _pick(["1", "1", "2", "2", "2", "3"], seed + "k") + " || '410700' || "
            + _rand_chars(CODES, 9, seed))


def _with_check(first17: str) -> str:
    sums = " + ".join(f"(strpos('{CODES}', c17[{i + 1}]) - 1) * {w}" for i, w in
                      enumerate((1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)))
    good = f"c17 || '{CODES}'[(31 - ({sums}) % 31) % 31 + 1]"
    return f"(SELECT CASE WHEN hash(i, 'bad') % 1000 < 3 THEN c17 || 'Y' ELSE {good} END FROM (SELECT {first17} AS c17))"


def _pid(seed: str) -> str:
    body = "'4107' || lpad((hash(i,'" + seed + "a') % 100)::VARCHAR, 2, '0') || (1950 + hash(i,'" + seed + \
        "y') % 50)::VARCHAR || '0' || (1 + hash(i,'" + seed + "m') % 9)::VARCHAR || lpad((1 + hash(i,'" + seed + \
        "d') % 28)::VARCHAR, 2, '0') || " + _rand_chars("0123456789", 3, seed + "s")
    sums = " + ".join(f"(ord(p17[{i + 1}]) - 48) * {w}" for i, w in
                      enumerate((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)))
    return f"(SELECT p17 || '10X98765432'[({sums}) % 11 + 1] FROM (SELECT {body} AS p17))"


_DATE = ("CASE hash(i,'df') % 4 WHEN 0 THEN strftime(d, '%Y-%m-%d') WHEN 1 THEN strftime(d, '%Y/%-m/%-d') "
         "WHEN 2 THEN strftime(d, '%Y%m%d') ELSE (d - DATE '1899-12-30')::VARCHAR END")
_FULLWIDTH = "translate(x, '0123456789', '０１２３４５６７８９')"


def generate(kind: str, rows: int, path: Path, encoding: str = "utf-8") -> Path:
    """Write `rows` rows of a messy agency file of `kind` to `path` (0.5% exact duplicates appended)."""
    con = duckdb.connect()
    con.execute("SET threads = 2")
    con.execute("SET enable_progress_bar = false")
    for m in macro_sql():
        con.execute(m)
    if kind == "registry":
        select = f"""
          SELECT CASE WHEN hash(i,'nocode') % 100 = 0 THEN NULL
                      WHEN hash(i,'fw') % 50 = 0 THEN ' ' || {_FULLWIDTH.replace('x', 'u')} ELSE u END
                   AS "统一社会信用代码",
                 CASE WHEN hash(i,'nocode') % 100 = 0 THEN '4107' || lpad((i % 100000000000)::VARCHAR, 11, '0') END
                   AS "注册号",
                 '新乡市' || {_pick(['红旗区', '卫滨区', '牧野区', '长垣市'], 'n1')} || {_pick(['宏达', '鑫源', '瑞丰', '恒通', '金桥'], 'n2')}
                   || (i % 9973)::VARCHAR || {_pick(['商贸有限公司', '五金店', '农民专业合作社', '餐饮店'], 'n3')} AS "主体名称",
                 {_pick(['个体工商户', '个体工商户', '有限责任公司(自然人独资)', '农民专业合作社', '个人独资企业'], 't')}
                   AS "主体类型",
                 {_pick(['张伟', '王芳', '李娜 ', '刘洋', '陈静'], 'lr')} AS "法定代表人",
                 {_pid('p')} AS "证件号码",
                 ((hash(i,'cap') % 100000) / 100.0)::VARCHAR AS "注册资本(万元)",
                 (SELECT {_DATE} FROM (SELECT DATE '2000-01-01' + (hash(i,'est') % 8000)::INTEGER AS d)) AS "成立日期",
                 {_pick(['存续', '存续', '在业', '在业', '注销', '吊销'], 'st')} AS "登记状态",
                 {_pick(COUNTIES, 'cty')} AS "行政区划代码",
                 {_pick(['C1713', '5123', 'F5211', 'H6210', 'A0111', 'O8011'], 'ind')} AS "行业代码",
                 '河南省新乡市' || (hash(i,'ad') % 300)::VARCHAR || '号' AS "住所",
                 '新乡市市场监督管理局' AS "登记机关"
          FROM (SELECT i, {_with_check(_uscc17('u'))} AS u FROM range({rows}) t(i))"""
    elif kind == "tax":
        select = f"""
          SELECT u AS "纳税人识别号", '纳税人' || i::VARCHAR AS "纳税人名称",
                 {_pick(['正常', '正常', '正常', '非正常', '注销'], 'ts')} AS "纳税人状态",
                 {_pick(['A', 'B', 'M', 'C', 'D', ''], 'g')} AS "纳税信用等级",
                 {_pick(['C1713', '5123', 'F5211'], 'ind')} AS "行业代码",
                 ((hash(i,'rev') % 1000000) / 100.0)::VARCHAR AS "上年营业收入(万元)",
                 (hash(i,'emp') % 300)::VARCHAR AS "从业人数",
                 ((hash(i,'as') % 1000000) / 100.0)::VARCHAR AS "资产总额(万元)",
                 ((hash(i,'tp') % 10000) / 100.0)::VARCHAR AS "上年纳税额(万元)",
                 {_pick(COUNTIES, 'cty')} AS "行政区划代码"
          FROM (SELECT i, {_with_check(_uscc17('u'))} AS u FROM range({rows}) t(i))"""
    else:
        select = f"""
          SELECT CASE WHEN person THEN {_pid('p')} ELSE {_with_check(_uscc17('u'))} END AS "主体标识",
                 CASE WHEN person THEN '居民身份证' ELSE '统一社会信用代码' END AS "标识类型",
                 {_pick(['是', '否'], 'l')} AS "有贷款记录", {_pick(['是', '否', '否'], 'd')} AS "有票据贴现记录",
                 strftime(DATE '2005-01-01' + (hash(i,'fl') % 6000)::INTEGER, '%Y-%m-%d') AS "首次贷款日期"
          FROM (SELECT i, hash(i, 'kind') % 5 = 0 AS person FROM range({rows}) t(i))"""
    dups = max(rows // 200, 1)
    utf8 = path if encoding == "utf-8" else path.with_suffix(".tmp.csv")
    con.execute(f"COPY (SELECT * FROM ({select}) UNION ALL (SELECT * FROM ({select}) LIMIT {dups})) TO '{utf8}' (HEADER, DELIMITER ',')")
    con.close()
    if encoding != "utf-8":
        with utf8.open("r", encoding="utf-8") as src, path.open("w", encoding=encoding) as dst:
            while chunk := src.read(8 << 20):
                dst.write(chunk)
        utf8.unlink()
    return path


def _time_import(path: Path, kind: str) -> tuple[float, int]:
    from shoudai import migrate
    from shoudai.config import get_settings
    from shoudai.db import get_engine, session_scope
    from shoudai.registry.importer import import_file

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["SHOUDAI_DATA_DIR"] = tmp
        os.environ["SHOUDAI_DATABASE_URL"] = f"sqlite:///{tmp}/bench.db"
        get_settings.cache_clear()
        get_engine.cache_clear()
        migrate.upgrade(os.environ["SHOUDAI_DATABASE_URL"])
        started, cpu = time.perf_counter(), time.process_time()
        with session_scope() as session:
            outcome = import_file(session, path, kind, actor="bench")
            total = outcome.batch.total_rows
        elapsed = time.perf_counter() - started
        print(f"  cpu {time.process_time() - cpu:.2f}s (all threads), load average {os.getloadavg()[0]:.1f}",
              file=sys.stderr)
        get_engine().dispose()
    return elapsed, total


def _transcode_race(rows: int) -> None:
    from shoudai.registry.importer.readers import python_transcode

    with tempfile.TemporaryDirectory() as tmp:
        src = generate("registry", rows, Path(tmp) / "gb.csv", "gb18030")
        size = src.stat().st_size
        started = time.perf_counter()
        python_transcode(src, Path(tmp) / "py.csv")
        py = time.perf_counter() - started
        started = time.perf_counter()
        subprocess.run(["iconv", "-f", "GB18030", "-t", "UTF-8", "-o", str(Path(tmp) / "iconv.csv"), str(src)], check=True)
        ic = time.perf_counter() - started
        print(f"GB18030 → UTF-8, {size / 1e6:.0f} MB: python {size / py / 1e6:.0f} MB/s, iconv {size / ic / 1e6:.0f} MB/s")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kind", choices=["registry", "tax", "credit"], default="registry")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--encoding", default="utf-8", choices=["utf-8", "utf-8-sig", "gb18030"])
    parser.add_argument("--file", type=Path, help="an existing agency file instead of a generated one")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--transcode", action="store_true", help="only compare GB18030 transcoders")
    args = parser.parse_args(argv)
    if args.transcode:
        _transcode_race(args.rows)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = args.file
        if path is None:
            started = time.perf_counter()
            path = generate(args.kind, args.rows, Path(tmp) / f"{args.kind}.csv", args.encoding)
            print(f"generated {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - started:.1f}s", file=sys.stderr)
        times = []
        for _ in range(args.runs):
            elapsed, total = _time_import(path, args.kind)
            times.append(elapsed)
            print(f"  run: {elapsed:.2f}s, {total / elapsed:,.0f} rows/s", file=sys.stderr)
        median = statistics.median(times)
        print(f"{args.kind} {args.encoding if args.file is None else path.name}: {total:,} rows, "
              f"median {median:.2f}s = {total / median:,.0f} rows/s")


if __name__ == "__main__":
    main()
