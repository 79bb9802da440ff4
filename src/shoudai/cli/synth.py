"""`shoudai synth`: write a synthetic city's agency files (registry, tax, credit) and their manifest."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from shoudai.cli.common import make_console
from shoudai.synth import generate_city
from shoudai.synth.city import DEFAULT_BASE_YEAR


def synth(
    entities: Annotated[
        int, typer.Option("--entities", "-n", min=1, help="市场主体数量 Number of entities in the first year")
    ] = 100_000,
    seed: Annotated[
        int, typer.Option("--seed", "-s", min=0, help="随机种子 Seed: same seed, same bytes")
    ] = 1,
    out: Annotated[Path, typer.Option("--out", "-o", help="输出目录 Output directory")] = Path("var/synth"),
    year: Annotated[
        int | None,
        typer.Option(
            "--year", help="数据年度 Data year; a later year than --base-year evolves the same city"
        ),
    ] = None,
    base_year: Annotated[
        int, typer.Option("--base-year", help="首年 Data year of the city as first drawn")
    ] = DEFAULT_BASE_YEAR,
    xlsx: Annotated[
        bool | None,
        typer.Option("--xlsx/--no-xlsx", help="同时输出 registry.xlsx [default: when entities ≤ 200,000]"),
    ] = None,
) -> None:
    """生成模拟城市数据 Generate a synthetic city: registry.csv, tax.csv, credit.csv, registry.xlsx, manifest.json."""
    started = time.perf_counter()
    try:
        result = generate_city(entities, seed, out, year=year, base_year=base_year, xlsx=xlsx)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    m = result.manifest
    table = Table(title=f"模拟城市 seed={seed} year={m['year']} (generation {m['generation']})")
    for col in ("file", "encoding", "rows"):
        table.add_column(col)
    for f in m["files"].values():
        table.add_row(str(result.out_dir / f["path"]), f.get("encoding", "xlsx"), f"{f['rows']:,}")
    console = make_console()
    console.print(table)
    lists = m["expected"]["lists_total"]
    console.print(
        f"预期名单 expected lists: 个体工商户 {lists.get('individual', 0):,} · 中小微企业 {lists.get('sme', 0):,}; "
        f"manifest: {result.manifest_path} ({time.perf_counter() - started:.1f} s)"
    )
