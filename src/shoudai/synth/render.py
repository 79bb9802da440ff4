"""A batch of entities as the agencies' rows: Arrow string columns assembled from word pools, mess included."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shoudai.synth import codes, vocab
from shoudai.synth.codes import fullwidth
from shoudai.synth.population import CHANGYUAN_OLD, City, Entities

REGISTRY_HEADER = (
    "统一社会信用代码",
    "注册号",
    "主体名称",
    "主体类型",
    "法定代表人",
    "证件号码",
    "注册资本(万元)",
    "成立日期",
    "登记状态",
    "数据提取日期",
    "行政区划代码",
    "行业代码",
    "住所",
    "登记机关",
)
TAX_HEADER = (
    "纳税人名称",
    "纳税人识别号",
    "纳税人状态",
    "纳税信用等级",
    "行业代码",
    "行政区划代码",
    "上年营业收入(万元)",
    "从业人数",
    "资产总额(万元)",
    "上年纳税额(万元)",
    "主管税务机关",
)
CREDIT_HEADER = ("标识类型", "主体标识", "首次贷款日期", "有贷款记录", "有票据贴现记录")
EXTRA_COLUMNS = {
    "registry": "数据提取日期",
    "tax": "主管税务机关",
}  # not in DATA-CONTRACTS: importers ignore them


def _pool(items) -> pa.Array:
    return pa.array(list(items), pa.string())


def _join(*parts, sep: str = "") -> pa.Array:
    return pc.binary_join_element_wise(*parts, sep, null_handling="replace", null_replacement="")


def _null_where(mask: np.ndarray, arr: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), pa.nulls(len(arr), pa.string()), arr) if mask.any() else arr


def date_strings(days: np.ndarray, fmt: np.ndarray) -> pa.Array:
    """Dates (days since 1970) as 2023-05-06 (fmt 0), 2023/5/6 (1) or 20230506 (2)."""
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    sep = np.where(fmt == 1, ord("/"), ord("-")).astype(np.uint8)[:, None]
    mat = np.concatenate([codes.digits(y, 4), sep, codes.digits(m, 2), sep, codes.digits(d, 2)], axis=1)
    keep = np.ones(mat.shape, dtype=bool)
    keep[:, 4] = keep[:, 7] = fmt != 2
    keep[:, 5] &= ~((fmt == 1) & (m < 10))
    keep[:, 8] &= ~((fmt == 1) & (d < 10))
    return codes.strings_masked(mat, keep)


@dataclass(frozen=True)
class Pools:
    """Word pools as Arrow arrays, indexed by the numpy draws."""

    county_codes: pa.Array  # reporting units, then the legacy code
    shop_prefix: pa.Array
    firm_prefix: pa.Array  # per county, then 新乡市, 河南, 新乡
    addr_prefix: pa.Array
    registrar: pa.Array
    tax_office: pa.Array
    words: pa.Array  # shop words per industry, then business words per industry
    endings: pa.Array
    ending_index: np.ndarray  # (type, variant) → endings index
    types: pa.Array  # 主体类型, then full-width variants
    surnames: pa.Array
    given: pa.Array  # one char each, then ""
    brand: pa.Array
    places: pa.Array  # roads, then each county's towns
    town_start: np.ndarray  # per county: where its towns begin among the places
    town_count: np.ndarray
    villages: pa.Array  # "" then brand char + 村/庄
    house_no: pa.Array  # 0..400 ASCII, then full-width
    industry: pa.Array  # C1713 …, 1713 …
    reg_status: pa.Array
    tax_status: pa.Array
    grades: pa.Array
    yes_no: pa.Array
    id_types: pa.Array

    @classmethod
    def for_city(cls, city: City) -> Pools:
        names = city.unit_names
        district = [k == "district" for k in city.unit_kinds]
        zone = [k == "zone" for k in city.unit_kinds]
        full = [("新乡市" + n) if d else n for n, d in zip(names, district)]
        shop = ["新乡市" if z else n for n, z in zip(names, zone)]
        firm = [("新乡" if z else ("新乡市" if d else n)) for n, d, z in zip(names, district, zone)]
        endings, index = [], np.zeros((len(vocab.TYPE_ENDINGS), 3), dtype=np.int64)
        for t, variants in enumerate(vocab.TYPE_ENDINGS):
            for v in range(3):
                index[t, v] = len(endings) + v % len(variants)
            endings.extend(variants)
        towns = [t for code in city.unit_codes for t in _towns(code)]
        fw_types = [t.replace("(", "（").replace(")", "）") for t in vocab.ENTITY_TYPES]
        house = [str(i) for i in range(401)]
        fw_house = ["".join(chr(ord(c) + 0xFEE0) for c in s) for s in house]
        return cls(
            _pool([*city.unit_codes, CHANGYUAN_OLD]),
            _pool(shop),
            _pool([*firm, "新乡市", "河南", "新乡"]),
            _pool(full),
            _pool([f"{f}市场监督管理局" for f in full]),
            _pool([f"国家税务总局{f}税务局" for f in full]),
            _pool([*(row[4] for row in vocab.INDUSTRIES), *(row[5] for row in vocab.INDUSTRIES)]),
            _pool(endings),
            index,
            _pool([*vocab.ENTITY_TYPES, *fw_types]),
            _pool(vocab.SURNAMES),
            _pool([*vocab.GIVEN_CHARS, ""]),
            _pool(vocab.BRAND_CHARS),
            _pool([*vocab.ROADS, *towns]),
            len(vocab.ROADS) + np.cumsum([0, *(len(_towns(c)) for c in city.unit_codes)])[:-1],
            np.array([len(_towns(c)) for c in city.unit_codes]),
            _pool(["", *(c + "村" for c in vocab.BRAND_CHARS), *(c + "庄村" for c in vocab.BRAND_CHARS)]),
            _pool(house + fw_house),
            _pool([*city.industry_codes, *(c[1:] for c in city.industry_codes)]),
            _pool(vocab.REGISTRY_STATUSES),
            _pool(vocab.TAX_STATUSES),
            _pool(vocab.GRADES),
            _pool(["否", "是"]),
            _pool(["统一社会信用代码", "居民身份证"]),
        )


def _towns(county_code: str) -> tuple[str, ...]:
    return vocab.COUNTY_TOWNS.get(county_code, vocab.TOWNS)


def _take(pool: pa.Array, idx: np.ndarray) -> pa.Array:
    return pool.take(pa.array(np.asarray(idx, dtype=np.int64)))


def _code_column(mat: np.ndarray, lengths: np.ndarray, fw: np.ndarray, space: np.ndarray) -> pa.Array:
    """Codes (the first `lengths` bytes of each row) with their mess, built as one byte matrix.

    fw: written in full-width characters; space: 0 none, 1 a leading space, 2 or 3 one or two trailing spaces.
    """
    n, w = mat.shape
    blank = ord(" ")
    mat = np.where(
        np.arange(w) < lengths[:, None], mat, blank
    )  # whatever lies past a code's end becomes space
    out = np.full((n, 3 * w + 3), blank, dtype=np.uint8)
    out[:, 1 : w + 1] = mat
    if fw.any():
        wide = fullwidth(mat[fw])
        out[fw, 1 : 3 * w + 1] = np.where(np.arange(3 * w) < 3 * lengths[fw][:, None], wide, blank)
    length = np.where(fw, 3 * lengths, lengths)
    col = np.arange(3 * w + 3)
    keep = col >= np.where(space == 1, 0, 1)[:, None]
    keep &= col < (1 + length + np.maximum(space - 1, 0))[:, None]
    return codes.strings_masked(out, keep)


class Renderer:
    """Turns batches into the three files' rows (and the registry's typed cells for the XLSX)."""

    def __init__(self, city: City, extract_date: str):
        self.city, self.p = city, Pools.for_city(city)
        self.extract_date = extract_date
        self.legacy_county = len(city.unit_codes)
        self._ended: dict = {}
        self.manufacturing = np.array([c.startswith("C") for c in city.industry_codes])

    def names(self, e: Entities) -> tuple[pa.Array, pa.Array]:
        """(entity name, person name) without any stray spaces."""
        p = self.p
        given2 = np.where(e.given_len == 2, e.given[:, 1], len(vocab.GIVEN_CHARS))
        person = _join(_take(p.surnames, e.surname), _take(p.given, e.given[:, 0]), _take(p.given, given2))
        brand = _join(_take(p.brand, e.brand[:, 0]), _take(p.brand, e.brand[:, 1]))
        form = e.name_form.astype(np.int64)
        units = len(self.city.unit_codes)
        firm_prefix = np.select(
            [form < 11, form < 15, form < 18], [units, e.county, units + 1], default=units + 2
        )
        firm_prefix = np.where(e.kind == 2, e.county, firm_prefix)
        shop = e.kind == 0
        prefix = pc.if_else(pa.array(shop), _take(p.shop_prefix, e.county), _take(p.firm_prefix, firm_prefix))
        prefix = _null_where(shop & (form % 10 == 9), prefix)
        middle = pc.if_else(pa.array(shop & (form % 10 < 5)), person, brand)
        word = _take(p.words, np.where(shop, e.industry, len(vocab.INDUSTRIES) + e.industry.astype(np.int64)))
        variant = np.where(
            (e.etype == 3) & self.manufacturing[e.industry], 2, form % np.where(e.etype == 3, 2, 3)
        )
        ending = _take(p.endings, p.ending_index[e.etype, variant])  # a 厂 only when it makes things
        return _join(prefix, middle, word, ending), person

    def address(self, e: Entities) -> pa.Array:
        p = self.p
        kinds = np.array([k in ("district", "zone") for k in self.city.unit_kinds])
        urban = kinds[e.county] | (e.name_form % 2 == 0)
        town = p.town_start[e.county] + e.road % p.town_count[e.county]
        place = np.where(urban, e.road % len(vocab.ROADS), town)
        village = np.where(urban, 0, 1 + e.brand[:, 1] + len(vocab.BRAND_CHARS) * (e.name_form % 2))
        house = e.house_no.astype(np.int64) + 401 * e.m_addr_fw
        return _join(
            _take(p.addr_prefix, e.county),
            _take(p.places, place),
            _take(p.villages, village),
            _take(p.house_no, house),
            pa.scalar("号"),
        )

    def _last(self, pool: pa.Array, idx: np.ndarray, line_end: str) -> pa.Array:
        """A row's last column, with the line end already attached (saves a pass over whole lines)."""
        if line_end:
            key = (id(pool), line_end)
            if key not in self._ended:
                self._ended[key] = (pool, pc.binary_join_element_wise(pool, line_end, ""))
            pool = self._ended[key][1]
        return _take(pool, idx)

    def registry(
        self, e: Entities, rows: np.ndarray, line_end: str = ""
    ) -> tuple[list[pa.Array], np.ndarray]:
        """Registry columns (REGISTRY_HEADER order) for the entities at `rows`; also the establishment days."""
        e = e.subset(rows)
        p, n = self.p, e.n
        name, person = self.names(e)
        mat = e.uscc.copy()
        bad = e.m_badcheck
        shift = 1 + (e.gidx % 30)
        mat[bad, 17] = codes.ALPHABET_U8[(codes.USCC_VALUE[mat[bad, 17]] + shift[bad]) % 31]
        space = np.where(e.m_code_space, 1 + e.gidx % 3, 0)
        uscc = _null_where(e.legacy, _code_column(mat, np.full(n, 18), e.m_code_fw, space))
        regno = _null_where(~(e.has_regno | e.legacy), codes.strings(e.regno))
        spaces = _take(_pool(["", " ", "  ", ""]), e.gidx % 4)
        name = pc.if_else(
            pa.array(e.m_name_space),
            _join(spaces, name, _take(_pool([" ", "", " ", "  "]), e.gidx % 4)),
            name,
        )
        etype = _take(p.types, e.etype + len(vocab.ENTITY_TYPES) * (e.m_type_fw & (e.etype == 1)))
        pid = e.person_id.copy()
        lower = (pid[:, 17] == ord("X")) & e.m_lower_x
        pid[lower, 17] = ord("x")
        person_id = _null_where(e.m_no_person_id, codes.strings(pid))
        capital = _null_where(e.capital < 0, codes.money_strings(np.maximum(e.capital, 0)))
        county = np.where(e.m_legacy_div, self.legacy_county, e.county)
        fmt = np.where((e.kind != 0) & (e.m_industry == 2), 0, e.m_industry)
        industry = _null_where(
            fmt == 2, _take(p.industry, e.industry + len(self.city.industry_codes) * (fmt == 1))
        )
        cols = [
            uscc,
            regno,
            name,
            etype,
            person,
            person_id,
            capital,
            date_strings(e.est, e.m_date),
            _take(p.reg_status, e.status),
            pa.array(np.full(n, self.extract_date)),
            _take(p.county_codes, county),
            industry,
            self.address(e),
            self._last(p.registrar, e.county, line_end),
        ]
        return cols, e.est

    def tax(self, e: Entities, rows: np.ndarray, line_end: str = "") -> list[pa.Array]:
        """Tax columns (TAX_HEADER order) for the entities at `rows`."""
        e = e.subset(rows)
        p, n = self.p, e.n
        name, _ = self.names(e)
        mat = np.zeros((n, 20), dtype=np.uint8)
        form = e.tax_form
        mat[:, :18] = np.where((form == 0)[:, None], e.uscc, e.person_id)
        mat[form == 1, :15] = e.uscc[form == 1, 2:17]  # legacy: division + organisation code
        mat[:, 18:] = codes.digits(e.tax_suffix, 2)
        lengths = np.select([form == 1, form == 3], [15, 20], default=18)
        tid = _code_column(mat, lengths, e.m_tax_id == 1, np.where(e.m_tax_id == 2, 2, 0))
        fmt = np.where(e.gidx % 5 == 0, 0, 1)
        industry = _take(p.industry, e.industry + len(self.city.industry_codes) * fmt)
        industry = _null_where((e.kind == 0) & (e.m_industry == 2), industry)
        revenue = _null_where(e.blank[:, 0], codes.money_strings(e.revenue))
        paid = _null_where(
            e.blank[:, 0], codes.money_strings(np.rint(e.revenue * e.tax_rate).astype(np.int64))
        )
        return [
            name,
            tid,
            _take(p.tax_status, e.tax_status),
            _null_where(e.grade == 5, _take(p.grades, e.grade)),
            industry,
            _null_where(e.m_tax_county_blank, _take(p.county_codes, e.county)),
            revenue,
            _null_where(e.blank[:, 1], codes.number_strings(e.employees)),
            _null_where(e.blank[:, 2], codes.money_strings(e.assets)),
            paid,
            self._last(p.tax_office, e.county, line_end),
        ]

    def credit(
        self, e: Entities, rows: np.ndarray, by_person: np.ndarray, line_end: str = ""
    ) -> list[pa.Array]:
        """Credit columns (CREDIT_HEADER order): the entity at each of `rows`, keyed by its code or its person."""
        p = self.p
        q = e.subset(rows)
        person = by_person[:, None]
        subject = codes.strings(np.where(person, q.person_id, q.uscc))
        first = np.where(by_person, q.person_first, q.code_first)
        fmt = (q.m_date + 1 + by_person) % 3
        loan = np.where(by_person, q.person_loan, q.code_loan).astype(np.int64)
        disc = np.where(by_person, q.person_disc, q.code_disc).astype(np.int64)
        return [
            _take(p.id_types, by_person.astype(np.int64)),
            subject,
            _null_where(first < 0, date_strings(np.maximum(first, 0), fmt)),
            _take(p.yes_no, loan),
            self._last(p.yes_no, disc, line_end),
        ]


def csv_lines(cols: list[pa.Array], newline: str = "") -> memoryview:
    """Rows as CSV text without quoting (values never hold commas or quotes); `newline` unless the last column has it."""
    line = _join(*cols, sep=",")
    if newline:
        line = _join(line, pa.scalar(newline))
    return codes.string_data(line)
