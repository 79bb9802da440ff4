"""Generate a synthetic city's three agency files (and a manifest of what the generator knows to be true)."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
from collections import defaultdict, deque
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from shoudai.synth import vocab
from shoudai.synth.population import City, Entities, PersonCounter, Roots
from shoudai.synth.render import CREDIT_HEADER, REGISTRY_HEADER, TAX_HEADER, Renderer, csv_lines
from shoudai.synth.truth import REASON_NAMES, SIZE_NAMES, TIER_NAMES, SizeTable, judge
from shoudai.synth.xlsx import MAX_ROWS as XLSX_MAX_ROWS
from shoudai.synth.xlsx import SheetWriter

CHUNK = 100_000
NEW_SHARE = 0.07  # new registrations per year, as a share of the first year's N
XLSX_MAX_ENTITIES = 200_000
PARALLEL_FROM = 400_000  # entities; below this one process is faster than starting workers
DEFAULT_BASE_YEAR = 2025
ENCODINGS = {"registry": "utf-8-sig", "tax": "gb18030", "credit": "utf-8"}
FILES = {"registry": "registry.csv", "tax": "tax.csv", "credit": "credit.csv"}
STREAM_BASE, STREAM_EVOLVE, STREAM_RENDER, STREAM_ROOTS = 1, 2, 3, 4


@dataclass(frozen=True)
class CityResult:
    """Where the files went, and the manifest written beside them."""

    out_dir: Path
    registry_csv: Path
    tax_csv: Path
    credit_csv: Path
    registry_xlsx: Path | None
    manifest_path: Path
    manifest: dict = field(repr=False)


class Tally:
    """Nested counters (dotted keys) that end up as the manifest's numbers."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, key: str, value) -> None:
        self.counts[key] += int(value)

    def by(self, prefix: str, index: np.ndarray, names) -> None:
        for i, n in enumerate(np.bincount(np.asarray(index, dtype=np.int64), minlength=len(names))):
            if n:
                self.counts[f"{prefix}.{names[i]}"] += int(n)

    def tree(self) -> dict:
        out: dict = {}
        for key in sorted(self.counts):
            *path, leaf = key.split(".")
            node = out
            for p in path:
                node = node.setdefault(p, {})
            node[leaf] = self.counts[key]
        return out


class _Sink:
    """One output file: a header line, then chunks, hashed as written; GB18030 files are transcoded per chunk."""

    def __init__(self, path: Path, header: tuple[str, ...], encoding: str, newline: str):
        self.path, self.encoding, self.newline = path, encoding, newline
        self.file = open(path, "wb")  # noqa: SIM115 - written chunk by chunk, closed by close()
        self.sha = hashlib.sha256()
        self.rows = 0
        self._put((",".join(header) + newline).encode(encoding))  # utf-8-sig puts the BOM first

    def _put(self, data) -> None:
        self.file.write(data)
        self.sha.update(data)

    def write(self, data: memoryview | bytes, rows: int) -> None:
        """Append rows already in this file's encoding."""
        self._put(data)
        self.rows += rows

    def close(self) -> None:
        self.file.close()


def _batches(n: int, generation: int, chunk: int) -> list[tuple[int, int, int, int]]:
    """(generation born in, batch number, first and end global index): the first year's city, then each year's newcomers."""
    out = [(1, b, start, min(n, start + chunk)) for b, start in enumerate(range(0, n, chunk))]
    newcomers = round(n * NEW_SHARE)
    for g in range(2, generation + 1):
        first = n + (g - 2) * newcomers
        out += [
            (g, b, first + start, first + min(newcomers, start + chunk))
            for b, start in enumerate(range(0, newcomers, chunk))
        ]
    return out


def _rng(*key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(list(key)))


@dataclass
class _Job:
    """What every batch shares (built once per process)."""

    seed: int
    base_year: int
    generation: int
    city: City
    sizes: SizeTable
    render: Renderer
    xlsx: bool

    @classmethod
    def build(cls, seed: int, base_year: int, generation: int, xlsx: bool) -> _Job:
        city = City.load()
        year = base_year + generation - 1
        return cls(
            seed,
            base_year,
            generation,
            city,
            SizeTable.for_city(city),
            Renderer(city, extract_date=f"{year + 1}-01-05"),
            xlsx,
        )

    def roots(self, spec: tuple[int, int, int, int]) -> Roots:
        born, b, first, end = spec
        return Roots.draw(
            self.city, _rng(self.seed, STREAM_ROOTS, born, b), end - first, born, self.base_year
        )


@dataclass
class _Output:
    data: dict[str, bytes]
    rows: dict[str, int]
    sheet_cols: list | None
    tally: Tally


_WORKER_JOB: _Job | None = None


def _init_worker(seed: int, base_year: int, generation: int, xlsx: bool) -> None:
    global _WORKER_JOB
    _WORKER_JOB = _Job.build(seed, base_year, generation, xlsx)


def _in_worker(spec: tuple[int, int, int, int], persons_before: np.ndarray) -> _Output:
    return _batch(_WORKER_JOB, spec, persons_before)


def generate_city(
    n: int,
    seed: int,
    out_dir: str | Path,
    *,
    year: int | None = None,
    base_year: int = DEFAULT_BASE_YEAR,
    xlsx: bool | None = None,
    chunk_size: int = CHUNK,
    workers: int | None = None,
) -> CityResult:
    """Write registry.csv, tax.csv, credit.csv (+ registry.xlsx when small) and manifest.json for year `year`.

    Year `base_year` is the city as first drawn from (n, seed); each later year evolves that same city (closures, loans,
    tax changes, new registrations), so building the lists year after year shows new, carried and removed entries.
    The bytes depend only on (n, seed, year, base_year, chunk_size), never on `workers` (default: 2 processes from
    400k entities on, else 1).
    """
    if n < 1 or seed < 0 or chunk_size < 1:
        raise ValueError("n and chunk_size must be ≥ 1 and seed ≥ 0")
    year = base_year if year is None else year
    generation = year - base_year + 1
    if generation < 1:
        raise ValueError(f"year must be ≥ base year {base_year}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    make_xlsx = (n <= XLSX_MAX_ENTITIES) if xlsx is None else xlsx
    job = _Job.build(seed, base_year, generation, make_xlsx)
    specs = _batches(n, generation, chunk_size)
    if make_xlsx and specs[-1][3] * 1.01 >= XLSX_MAX_ROWS:  # duplicates add ≈ 0.2%
        raise ValueError("registry.xlsx holds at most 1,048,575 rows: too many entities for --xlsx")
    if workers is None:  # processes pay off only on big cities: each costs a second or two to start
        workers = min(2, os.cpu_count() or 1) if specs[-1][3] >= PARALLEL_FROM else 1
    workers = min(workers, len(specs))
    sinks = {
        "registry": _Sink(out / FILES["registry"], REGISTRY_HEADER, ENCODINGS["registry"], "\n"),
        "tax": _Sink(out / FILES["tax"], TAX_HEADER, ENCODINGS["tax"], "\r\n"),
        "credit": _Sink(out / FILES["credit"], CREDIT_HEADER, ENCODINGS["credit"], "\n"),
    }
    sheet = (
        SheetWriter(out / "registry.xlsx", "市场主体登记信息", list(REGISTRY_HEADER), "ssssssndssssss")
        if make_xlsx
        else None
    )
    t = Tally()
    persons = PersonCounter(len(job.city.id_areas))
    try:
        if workers <= 1:
            for spec in specs:
                _consume(_batch(job, spec, persons.advance(job.roots(spec))), sinks, sheet, t)
        else:
            # Separate processes (no shared GIL); the writer counts people ahead and writes results strictly in order.
            context = multiprocessing.get_context("spawn")
            init = (seed, base_year, generation, make_xlsx)
            with ProcessPoolExecutor(
                workers, mp_context=context, initializer=_init_worker, initargs=init
            ) as pool:
                pending: deque = deque()
                for spec in specs:
                    pending.append(pool.submit(_in_worker, spec, persons.advance(job.roots(spec))))
                    if len(pending) > workers:
                        _consume(pending.popleft().result(), sinks, sheet, t)
                while pending:
                    _consume(pending.popleft().result(), sinks, sheet, t)
    finally:
        for sink in sinks.values():
            sink.close()
        if sheet:
            sheet.close()
    manifest = _manifest(n, seed, year, base_year, generation, chunk_size, sinks, sheet, t)
    manifest_path = out / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return CityResult(
        out,
        sinks["registry"].path,
        sinks["tax"].path,
        sinks["credit"].path,
        out / "registry.xlsx" if sheet else None,
        manifest_path,
        manifest,
    )


def _consume(o: _Output, sinks: dict, sheet, t: Tally) -> None:
    for kind, data in o.data.items():
        sinks[kind].write(data, o.rows[kind])
    if sheet is not None:
        sheet.write(o.sheet_cols)
    for key, value in o.tally.counts.items():
        t.counts[key] += value


def _with_duplicates(order: np.ndarray, dup: np.ndarray) -> np.ndarray:
    """Each row of `order` once, those marked in `dup` (indexed by row) twice in a row, as a double export leaves them."""
    return np.repeat(order, 1 + dup[order].astype(np.int64))


def _batch(job: _Job, spec: tuple[int, int, int, int], persons_before: np.ndarray) -> _Output:
    """Draw, evolve, judge and render one batch."""
    born, b, first, end = spec
    seed, generation = job.seed, job.generation
    gidx = np.arange(first, end, dtype=np.int64)
    rng = _rng(seed, STREAM_BASE, born, b)
    e = Entities(job.city, job.roots(spec), rng, gidx, born, job.base_year, persons_before)
    before = None
    for step in range(born + 1, generation + 1):
        if step == generation:
            before = judge(e, job.sizes)
        e.evolve(_rng(seed, STREAM_EVOLVE, born, b, step), job.base_year + step - 1)
    now = judge(e, job.sizes)
    rng = _rng(seed, STREAM_RENDER, born, b, generation)
    t = Tally()
    data, rows = {}, {}

    # Rows in file order, exact duplicates included, so each file's rows are rendered once and never re-ordered.
    present = np.flatnonzero(~e.gone)
    order = _with_duplicates(present, e.m_dup[:, 0])
    sheet_cols = None
    if job.xlsx:
        cols, est = job.render.registry(e, order)
        data["registry"] = bytes(csv_lines(cols, "\n"))
        sheet_cols = cols[:7] + [est] + cols[8:]
    else:
        data["registry"] = bytes(csv_lines(job.render.registry(e, order, "\n")[0]))
    rows["registry"] = len(order)
    t.add("registry.duplicate_rows", len(order) - len(present))

    tax_rows = np.flatnonzero(e.tax)
    order = _with_duplicates(tax_rows[rng.permutation(len(tax_rows))], e.m_dup[:, 1])
    lines = csv_lines(job.render.tax(e, order, "\r\n"))
    data["tax"], rows["tax"] = bytes(lines).decode("utf-8").encode("gb18030"), len(order)
    t.add("tax.duplicate_rows", len(order) - len(tax_rows))

    code_rows = np.flatnonzero(~e.gone & e.code_row & ~e.legacy)
    person_rows = np.flatnonzero(~e.gone & e.person_row)
    both = np.concatenate([code_rows, person_rows])
    by_person = np.concatenate([np.zeros(len(code_rows), bool), np.ones(len(person_rows), bool)])
    shuffled = rng.permutation(len(both))
    order = _with_duplicates(shuffled, e.m_dup[both, 2])
    data["credit"] = bytes(csv_lines(job.render.credit(e, both[order], by_person[order], "\n")))
    rows["credit"] = len(order)
    t.add("credit.duplicate_rows", len(order) - len(both))
    _count_truth(e, now, before, generation, job.city, t)
    return _Output(data, rows, sheet_cols, t)


def _count_truth(e: Entities, now, before, generation: int, city: City, t: Tally) -> None:
    present = ~e.gone
    kinds = ("individual", "enterprise", "cooperative")
    t.add("population.generated", e.n)
    t.add("population.in_registry", present.sum())
    t.by("population.by_kind", e.kind[present], kinds)
    t.by("population.by_type", e.etype[present], vocab.ENTITY_TYPES)
    t.by("population.by_county", e.county[present], city.unit_codes)
    t.by("registry.by_status", e.status[present], vocab.REGISTRY_STATUSES)
    t.add("registry.code_missing_reg_no_only", (present & e.legacy).sum())
    t.add("registry.with_reg_no", (present & (e.has_regno | e.legacy)).sum())
    t.add("registry.legacy_division_rows", (present & e.m_legacy_div).sum())
    coded = present & ~e.legacy
    t.add("registry.bad_check_digit_entities", (coded & e.m_badcheck).sum())
    t.add("registry.bad_check_digit_rows", ((coded & e.m_badcheck) * (1 + e.m_dup[:, 0])).sum())
    t.add("registry.fullwidth_code_rows", (coded & e.m_code_fw).sum())
    t.add("registry.spaced_code_rows", (coded & e.m_code_space).sum())
    t.add("registry.spaced_name_rows", (present & e.m_name_space).sum())
    t.add("registry.person_id_blank", (present & e.m_no_person_id).sum())
    t.add("registry.person_id_lowercase_x", (present & e.m_lower_x & (e.person_id[:, 17] == ord("X"))).sum())
    t.by("registry.date_formats", e.m_date[present], ("iso", "slash", "compact"))

    tax = e.tax
    t.add("tax.entities", tax.sum())
    t.add("tax.entities_in_registry", (tax & present).sum())
    t.by("tax.by_status", e.tax_status[tax], vocab.TAX_STATUSES)
    t.by("tax.by_grade", e.grade[tax], ("A", "B", "M", "C", "D", "blank"))
    t.by("tax.id_forms", e.tax_form[tax], ("uscc", "legacy15", "person18", "person20"))
    t.add("tax.fullwidth_id_rows", (tax & (e.m_tax_id == 1)).sum())
    t.add("tax.spaced_id_rows", (tax & (e.m_tax_id == 2)).sum())

    code_rows = present & e.code_row & ~e.legacy
    person_rows = present & e.person_row
    t.add("credit.code_rows", code_rows.sum())
    t.add("credit.operator_rows", (person_rows & (e.kind == 0)).sum())
    t.add("credit.legal_rep_rows", (person_rows & (e.kind != 0)).sum())
    t.add(
        "credit.legal_rep_rows_with_loan_or_discount",
        (person_rows & (e.kind != 0) & (e.person_loan | e.person_disc)).sum(),
    )
    t.add(
        "credit.rows_without_loan_or_discount",
        (code_rows & ~e.code_loan & ~e.code_disc).sum()
        + (person_rows & ~e.person_loan & ~e.person_disc).sum(),
    )
    t.add("credit.entities_with_rows", (code_rows | (person_rows & (e.kind == 0))).sum())
    t.add("credit.entities_counted_as_converted", (present & e.counted_history()).sum())

    listed = now.listed
    kind_list = np.where(e.kind == 0, 0, 1)
    lists = ("individual", "sme")
    t.by("expected.lists_total", kind_list[listed], lists)
    for k, name in enumerate(lists):
        mine = listed & (kind_list == k)
        t.by(f"expected.lists.{name}.tier", now.tier[mine], TIER_NAMES)
        if name == "sme":
            t.by(f"expected.lists.{name}.size", now.size[mine], SIZE_NAMES)
        t.by(f"expected.by_county.{name}", e.county[mine], city.unit_codes)
    t.by("expected.excluded", now.reason[present & ~listed], REASON_NAMES)
    if generation > 1:
        was = before.listed if before is not None else np.zeros(e.n, dtype=bool)  # newcomers were on no list
        t.add("expected.changes.carried", (was & listed).sum())
        t.add("expected.changes.new", (~was & listed).sum())
        t.by("expected.changes.removed", now.reason[was & ~listed], REASON_NAMES)


def _manifest(n, seed, year, base_year, generation, chunk, sinks, sheet, t: Tally) -> dict:
    counts = t.tree()
    files = {}
    for kind, s in sinks.items():
        files[kind] = {
            "path": s.path.name,
            "encoding": ENCODINGS[kind],
            "rows": s.rows,
            "newline": "CRLF" if s.newline == "\r\n" else "LF",
            "sha256": s.sha.hexdigest(),
        }
    if sheet is not None:
        files["registry_xlsx"] = {
            "path": "registry.xlsx",
            "rows": sheet.rows - 1,
            "sheet": "市场主体登记信息",
        }
    return {
        "generator": "shoudai.synth",
        "format": 1,
        "seed": seed,
        "entities": n,
        "year": year,
        "base_year": base_year,
        "generation": generation,
        "encodings": ENCODINGS,
        "chunk_size": chunk,
        "files": files,
        "extra_columns": {"registry": ["数据提取日期"], "tax": ["主管税务机关"]},
        **counts,
    }
