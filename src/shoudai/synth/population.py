"""The city's entities as columns of numpy arrays: drawn once per batch, then evolved year by year.

Everything about one entity (codes, names, figures, and which mess its rows carry) is drawn from the batch's own seeded
stream, so a batch is the same whatever N is and whatever else is generated around it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from shoudai.reference.loaders import reporting_units, section_of_division
from shoudai.synth import codes, vocab

DAY = np.timedelta64(1, "D")
LEGACY_CUTOFF = np.datetime64("2015-10-01").astype(int)  # codes issued before carry the old numeric org code
REGNO_ERA_END = np.datetime64("2016-01-01").astype(
    int
)  # registration numbers were issued until the code reform
CHANGYUAN, CHANGYUAN_OLD = "410783", "410728"
CHANGYUAN_RENAMED = np.datetime64("2019-08-01").astype(int)
# Functional zones issue no resident IDs; their residents hold IDs of the district or county around them.
ZONE_ID_AREA = {"410771": "410702", "410772": "410721", "410773": "410725"}


def day(year: int, month: int = 1, dom: int = 1) -> int:
    return int(np.datetime64(f"{year:04d}-{month:02d}-{dom:02d}").astype(int))


@dataclass(frozen=True)
class City:
    """The static tables a batch draws from (reference units and industries, in a fixed order)."""

    unit_codes: tuple[str, ...]
    unit_names: tuple[str, ...]
    unit_kinds: tuple[str, ...]
    unit_weights: tuple[float, ...]
    industry_codes: tuple[str, ...]  # with the section letter, e.g. C1713
    industry_weights: tuple[tuple[float, ...], ...]  # per kind
    id_areas: tuple[str, ...]  # area codes resident IDs may carry

    @classmethod
    def load(cls) -> City:
        units = reporting_units()
        ind_codes = tuple(f"{section_of_division(int(c[:2]))}{c}" for c, *_ in vocab.INDUSTRIES)
        ind_weights = tuple(tuple(float(row[1 + k]) for row in vocab.INDUSTRIES) for k in range(3))
        areas = tuple(dict.fromkeys([*(u.code for u in units), CHANGYUAN_OLD, *vocab.OTHER_AREAS]))
        return cls(
            tuple(u.code for u in units),
            tuple(u.name for u in units),
            tuple(u.kind for u in units),
            tuple(u.weight for u in units),
            ind_codes,
            ind_weights,
            areas,
        )


class PersonCounter:
    """Running count of people per (ID area, birth year), so that every generated resident ID is unique.

    The writer counts batch after batch from their cheap `Roots` and hands each batch the counts before it, so batches
    can then be built in any order, in any process.
    """

    YEARS = 120
    FIRST_YEAR = 1920

    def __init__(self, n_areas: int):
        self.counts = np.zeros(n_areas * self.YEARS, dtype=np.int64)

    @classmethod
    def keys(cls, roots: Roots) -> np.ndarray:
        return roots.area.astype(np.int64) * cls.YEARS + (roots.birth_year - cls.FIRST_YEAR)

    def advance(self, roots: Roots) -> np.ndarray:
        """The counts before this batch (to pass to it); then count the batch's people."""
        before = self.counts.copy()
        self.counts += np.bincount(self.keys(roots), minlength=len(self.counts))
        return before

    @classmethod
    def ranks(cls, roots: Roots, before: np.ndarray) -> np.ndarray:
        """A number per person, unique within its (area, birth year) group across all batches."""
        key = cls.keys(roots)
        order = np.argsort(key, kind="stable")
        sorted_key = key[order]
        first = np.searchsorted(sorted_key, sorted_key, side="left")
        rank = np.empty(len(key), dtype=np.int64)
        rank[order] = np.arange(len(key)) - first
        return rank + before[key]


LUT_BITS = 16


@lru_cache(maxsize=256)
def _lut(weights: tuple[float, ...]) -> np.ndarray:
    """Category per 16-bit draw: sampling by table look-up is much faster than a binary search per draw."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    mids = (np.arange(1 << LUT_BITS) + 0.5) / (1 << LUT_BITS)
    return np.searchsorted(cum / cum[-1], mids, side="right").clip(0, len(weights) - 1).astype(np.int16)


def _pick(rng: np.random.Generator, weights, n: int) -> np.ndarray:
    """n draws of a category index with the given relative weights (resolution 1/65536)."""
    return _lut(tuple(float(w) for w in weights))[rng.integers(0, 1 << LUT_BITS, n)].astype(np.int64)


def _pick_by(rng: np.random.Generator, tables: list, group: np.ndarray) -> np.ndarray:
    """One draw per row from the weights of the row's group (one shared 16-bit draw, one table per group)."""
    u = rng.integers(0, 1 << LUT_BITS, len(group))
    luts = np.stack([_lut(tuple(float(w) for w in t)) for t in tables])
    return luts[group, u].astype(np.int64)


def _dates_between(rng: np.random.Generator, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return lo + (rng.random(len(lo)) * np.maximum(hi - lo + 1, 1)).astype(np.int64)


@dataclass(frozen=True)
class Roots:
    """What fixes an entity's person: kind, county, establishment day, ID area and birth year (their own stream)."""

    kind: np.ndarray
    county: np.ndarray
    est: np.ndarray
    area: np.ndarray  # index into City.id_areas
    birth_year: np.ndarray

    @classmethod
    def draw(cls, city: City, rng: np.random.Generator, n: int, born_gen: int, base_year: int) -> Roots:
        year = base_year + born_gen - 1
        year_end = day(year, 12, 31)
        kind = _pick(rng, vocab.KIND_SHARE, n).astype(np.int8)
        county = _pick(rng, city.unit_weights, n)
        # Establishment: older firms thin out exponentially; newborns of a later year register within that year.
        if born_gen > 1:
            est = _dates_between(rng, np.full(n, day(year)), np.full(n, year_end))
        else:
            scale = np.where(kind == 0, 6.5, 8.5)
            back = np.floor(rng.exponential(scale)).astype(np.int64).clip(0, year - 1990)
            start = np.array([day(y) for y in range(1990, year + 1)], dtype=np.int64)[year - back - 1990]
            est = np.minimum(start + rng.integers(0, 365, n), year_end)
        # ID areas: the county's own (zones borrow their district's), 长垣's old code, or elsewhere in Henan.
        at = {code: i for i, code in enumerate(city.id_areas)}
        local = np.array([at.get(ZONE_ID_AREA.get(c, c), at[c]) for c in city.unit_codes])[county]
        changyuan = at.get(CHANGYUAN, -1)
        old_code = (local == changyuan) & ((est < CHANGYUAN_RENAMED) | (rng.random(n) < 0.7))
        local = np.where(old_code, at[CHANGYUAN_OLD], local)
        other = np.array([at[a] for a in vocab.OTHER_AREAS])[rng.integers(0, len(vocab.OTHER_AREAS), n)]
        area = np.where(rng.random(n) < 0.12, other, local)
        est_year = 1970 + est.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
        age = (22 + rng.gamma(2.5, 6.0, n)).astype(np.int64).clip(18, 70)
        birth_year = (est_year - age).clip(1940, year - 18)
        return cls(kind, county, est, area, birth_year)


class Entities:
    """One batch of entities (all arrays have the batch's length). Money is in hundredths of 万元; -1 means blank."""

    def __init__(
        self,
        city: City,
        roots: Roots,
        rng: np.random.Generator,
        gidx: np.ndarray,
        born_gen: int,
        base_year: int,
        persons_before: np.ndarray,
    ):
        n = len(gidx)
        self.n, self.gidx, self.born_gen = n, gidx, born_gen
        year = base_year + born_gen - 1
        year_end = day(year, 12, 31)
        newborn = born_gen > 1

        # Kind, type, place, industry, establishment.
        self.kind, self.county, self.est = roots.kind, roots.county, roots.est
        ent_type = 1 + _pick(rng, vocab.ENTERPRISE_TYPE_SHARE, n)
        self.etype = np.where(self.kind == 0, 0, np.where(self.kind == 2, 6, ent_type)).astype(np.int8)
        self.industry = _pick_by(rng, city.industry_weights, self.kind).astype(np.int16)
        status = _pick(rng, vocab.REGISTRY_STATUS_SHARE, n) if not newborn else _pick(rng, (0.98, 0.02), n)
        self.status = status.astype(np.int8)
        self.gone = np.zeros(n, dtype=bool)

        # Legacy identifiers: some old individual businesses never got a code, many old entities still show 注册号.
        old = self.est < REGNO_ERA_END
        self.legacy = (self.kind == 0) & old & (rng.random(n) < 0.085)
        self.has_regno = self.legacy | (old & (rng.random(n) < 0.5))
        changyuan = city.unit_codes.index(CHANGYUAN) if CHANGYUAN in city.unit_codes else -1
        cy = (self.county == changyuan) & (self.est < CHANGYUAN_RENAMED)
        code_div = np.array(city.unit_codes, dtype="S6")[self.county]
        code_div = np.where(cy, np.bytes_(CHANGYUAN_OLD.encode()), code_div)
        self.code_div = np.frombuffer(code_div.tobytes(), np.uint8).reshape(n, 6)
        self.uscc = self._uscc(gidx)
        self.regno = self._regno(gidx)

        # People: operator (individual business) or legal representative; unique IDs via the running counts.
        area, birth_year = roots.area, roots.birth_year
        area_digits = np.frombuffer("".join(city.id_areas).encode(), np.uint8).reshape(-1, 6)[area]
        # Spread each (area, year) group's running numbers over the year's days and sequence numbers.
        rank = PersonCounter.ranks(roots, persons_before)
        slot = codes.affine(rank + area * 7_777 + birth_year * 104_729, 365_000, 7919, 0)
        first_days = np.array(
            [day(y) for y in range(PersonCounter.FIRST_YEAR, PersonCounter.FIRST_YEAR + 120)]
        )
        birth = first_days[birth_year - PersonCounter.FIRST_YEAR] + slot // 1000
        self.person_id = self._resident_id(area_digits, birth, slot % 1000)
        self.surname = _pick(rng, 1.0 / (np.arange(len(vocab.SURNAMES)) + 4), n).astype(np.int16)
        self.given = rng.integers(0, len(vocab.GIVEN_CHARS), (n, 2)).astype(np.int16)
        self.given_len = np.where(rng.random(n) < 0.75, 2, 1).astype(np.int8)

        # Name, address and registry details.
        self.brand = rng.integers(0, len(vocab.BRAND_CHARS), (n, 2)).astype(np.int16)
        self.name_form = rng.integers(0, 20, n).astype(np.int8)  # picks prefix/ending variants
        self.road = rng.integers(0, max(len(vocab.ROADS), len(vocab.TOWNS)), n).astype(np.int16)
        self.house_no = (1 + rng.zipf(1.6, n) % 400).astype(np.int16)
        caps = np.array([3, 5, 10, 30, 50, 100, 200, 300, 500, 1000, 2000, 5000], dtype=np.int64) * 100
        cap_ent = caps[_pick(rng, (2, 6, 14, 6, 16, 22, 10, 5, 9, 6, 2, 2), n)]
        cap_ind = np.array([50, 100, 200, 300, 500, 1000, 2000, 5000])[
            _pick(rng, (8, 14, 12, 10, 14, 14, 6, 2), n)
        ]
        cap_coop = caps[_pick(rng, (0, 0, 10, 10, 20, 25, 15, 5, 10, 5, 0, 0), n)]
        # 股份有限公司 are bigger.
        cap_ent = np.where(self.etype == 5, np.maximum(cap_ent * 10, 50_000), cap_ent)
        capital = np.where(self.kind == 0, cap_ind, np.where(self.kind == 1, cap_ent, cap_coop))
        self.capital = np.where((self.kind == 0) & (rng.random(n) < 0.3), -1, capital)

        # Tax: presence, status, grade, identifier form and figures (figures are drawn for everyone; presence decides).
        operating = self.status <= 1
        p_tax = np.where(self.kind == 0, 0.80, np.where(self.kind == 1, 0.88, 0.75))
        p_tax = np.where(operating, p_tax, 0.55) * (0.6 if newborn else 1.0)
        self.tax = rng.random(n) < p_tax
        ts_open = _pick(rng, vocab.TAX_STATUS_SHARE_OPERATING, n)
        ts_closed = _pick(rng, vocab.TAX_STATUS_SHARE_CLOSED, n)
        self.tax_status = np.where(operating, 0 if newborn else ts_open, ts_closed).astype(np.int8)
        self.grade = self._grades(rng)
        ent_form = np.where(old & (rng.random(n) < 0.15), 1, 0)
        ind_form = _pick(rng, (0.75, 0.0, 0.10, 0.15), n)
        legacy_form = np.where(rng.random(n) < 0.4, 2, 3)
        self.tax_form = np.where(
            self.kind != 0, ent_form, np.where(self.legacy, legacy_form, ind_form)
        ).astype(np.int8)
        # An 18-char resident ID that also passes the USCC check would be read as a code and link to nothing, so such
        # people file with the 20-char form instead.
        looks_like_code = codes.uscc_check(self.person_id[:, :17]) == self.person_id[:, 17]
        self.tax_form = np.where((self.tax_form == 2) & looks_like_code, 3, self.tax_form).astype(np.int8)
        self.tax_suffix = np.where(rng.random(n) < 0.7, 1, rng.integers(0, 100, n)).astype(np.int8)
        self._figures(rng)

        # Credit history keyed by the code (uscc row) and/or by a person's resident ID (person row).
        p_hist = np.where(self.kind == 0, 0.30, np.where(self.kind == 1, 0.42, 0.28)) * (
            0.15 if newborn else 1.0
        )
        hist = rng.random(n) < p_hist
        mode = _pick(rng, (0.40, 0.50, 0.10), n)  # individual businesses: code only, ID only, both
        ind_code_row = hist & ~self.legacy & ((mode == 0) | (mode == 2))
        ind_person_row = hist & (self.legacy | (mode >= 1))
        self.code_row = np.where(self.kind == 0, ind_code_row, hist)
        # For enterprises the person row is the legal representative's own history: it must not count.
        self.person_row = np.where(
            self.kind == 0, ind_person_row, rng.random(n) < 0.08 * (0.3 if newborn else 1)
        )
        self.code_loan, self.code_disc = self._outcome(rng)
        self.person_loan, self.person_disc = self._outcome(rng, person=True)
        first_lo = np.maximum(self.est, day(2005))
        self.code_first = np.where(
            self.code_loan & (rng.random(n) > 0.03), _dates_between(rng, first_lo, np.full(n, year_end)), -1
        )
        self.person_first = np.where(
            self.person_loan & (rng.random(n) > 0.03),
            _dates_between(rng, first_lo - 3650, np.full(n, year_end)),
            -1,
        )

        # The mess each of its rows carries (stable per entity so that evolving the city keeps it).
        r = rng.random((n, 12))
        self.m_badcheck = r[:, 0] < 0.003
        self.m_dup = r[:, 1:4] < 0.002  # registry, tax, credit rows repeated
        self.m_code_fw = r[:, 4] < 0.008
        self.m_code_space = (r[:, 4] >= 0.008) & (r[:, 4] < 0.013)
        self.m_name_space = r[:, 5] < 0.01
        self.m_date = _pick(rng, (0.70, 0.20, 0.10), n).astype(np.int8)  # ISO, 2023/5/6, 20230506
        self.m_industry = _pick(rng, (0.75, 0.23, 0.02), n).astype(np.int8)  # C1713, 1713, blank
        self.m_lower_x = r[:, 6] < 0.3
        self.m_type_fw = r[:, 7] < 0.3
        self.m_addr_fw = r[:, 8] < 0.05
        self.m_legacy_div = cy & (r[:, 9] < 0.4)
        self.m_tax_id = _pick(rng, (0.985, 0.005, 0.01), n).astype(
            np.int8
        )  # clean, full-width, trailing space
        self.m_no_person_id = (self.kind != 0) & (r[:, 10] < 0.03)
        self.m_tax_county_blank = r[:, 11] < 0.05

    # -- codes -------------------------------------------------------------------------------------------------
    def _uscc(self, gidx: np.ndarray) -> np.ndarray:
        n = self.n
        old_style = (self.kind != 0) & (self.est < LEGACY_CUTOFF)
        numeric = codes.digits(codes.affine(gidx, 10**8, 73_939_133, 38_461_529), 8)
        ma = np.concatenate(
            [
                np.full((n, 1), ord("M"), np.uint8),
                np.full((n, 1), ord("A"), np.uint8),
                codes.base31(codes.affine(gidx, 31**6, 582_284_173, 1_234_567), 6),
            ],
            axis=1,
        )
        org = codes.with_check(np.where(old_style[:, None], numeric, ma), codes.org_check)
        head = np.stack([np.full(n, ord("9")), np.array([ord("2"), ord("1"), ord("3")])[self.kind]], axis=1)
        return codes.with_check(
            np.concatenate([head.astype(np.uint8), self.code_div, org], axis=1), codes.uscc_check
        )

    def _regno(self, gidx: np.ndarray) -> np.ndarray:
        seq = np.where(
            self.kind == 0,
            60_000_000 + codes.affine(gidx, 4 * 10**7, 7_368_787, 99_991),
            codes.affine(gidx, 4 * 10**7, 7_368_787, 99_991),
        )
        return codes.with_check(
            np.concatenate([self.code_div, codes.digits(seq, 8)], axis=1), codes.regno_check
        )

    def _resident_id(self, area: np.ndarray, birth: np.ndarray, seq: np.ndarray) -> np.ndarray:
        dt = birth.astype("datetime64[D]")
        y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
        m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
        d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
        body = np.concatenate(
            [area, codes.digits(y, 4), codes.digits(m, 2), codes.digits(d, 2), codes.digits(seq, 3)], axis=1
        )
        return codes.with_check(body, codes.id_check)

    # -- tax and credit draws ---------------------------------------------------------------------------------
    def _grades(self, rng: np.random.Generator) -> np.ndarray:
        return _pick_by(rng, vocab.GRADE_SHARE, self.kind).astype(np.int8)

    def _figures(self, rng: np.random.Generator) -> None:
        n, kind = self.n, self.kind
        emp_ent = np.maximum(1, np.rint(rng.lognormal(np.log(8), 1.05, n)))
        emp = np.where(
            kind == 0,
            1 + rng.poisson(1.2, n),
            np.where(kind == 1, emp_ent, np.rint(rng.lognormal(np.log(6), 0.8, n)) + 1),
        )
        per_head = rng.lognormal(np.log(35), 0.9, n)
        revenue = np.where(
            kind == 0,
            rng.lognormal(np.log(25), 1.0, n),
            np.where(kind == 1, emp * per_head, rng.lognormal(np.log(40), 1.0, n)),
        )
        assets = np.where(
            kind == 0, rng.lognormal(np.log(10), 1.0, n), revenue * rng.lognormal(np.log(0.8), 0.8, n)
        )
        self.employees = emp.astype(np.int64)
        self.revenue = np.minimum(np.rint(revenue * 100), 10**11).astype(np.int64)
        self.assets = np.minimum(np.rint(assets * 100), 10**11).astype(np.int64)
        self.tax_rate = rng.uniform(0.005, 0.04, n)
        r = rng.random((n, 3))
        blank = np.where(kind[:, None] == 0, [0.10, 0.15, 0.45], [0.06, 0.10, 0.12])
        self.blank = r < blank  # revenue, employees, assets

    def _outcome(self, rng: np.random.Generator, person: bool = False) -> tuple[np.ndarray, np.ndarray]:
        # loan only, discount only, both, neither (history of another kind, e.g. guarantees)
        if person:
            pick = _pick(rng, (0.90, 0.0, 0.02, 0.08), self.n)
        else:
            shares = ((0.93, 0.005, 0.005, 0.06), (0.78, 0.05, 0.12, 0.05), (0.90, 0.02, 0.03, 0.05))
            pick = _pick_by(rng, shares, self.kind)
        loan = (pick == 0) | (pick == 2)
        disc = (pick == 1) | (pick == 2)
        return loan, disc

    # -- one year later ---------------------------------------------------------------------------------------
    def evolve(self, rng: np.random.Generator, year: int) -> None:
        """Apply one year: closures, loans, tax changes, growth, new codes for old individual businesses."""
        n = self.n
        r = rng.random((n, 12))
        year_lo, year_hi = np.full(n, day(year)), np.full(n, day(year, 12, 31))
        self.gone |= r[:, 0] < 0.003
        operating = self.status <= 1
        closing = operating & (r[:, 1] < 0.035)
        self.status = np.where(closing, np.where(r[:, 2] < 0.7, 2, 3), self.status).astype(np.int8)
        self.tax_status = np.where(closing & self.tax & (r[:, 3] < 0.6), 3, self.tax_status).astype(np.int8)
        converted = self.legacy & (r[:, 4] < 0.15)
        self.legacy = self.legacy & ~converted

        # Tax: lapses, recoveries, newly registered taxpayers, regrading.
        normal = self.tax & (self.tax_status == 0)
        lapse = normal & ~closing & (r[:, 5] < 0.03)
        self.tax_status = np.where(lapse, np.where(r[:, 5] < 0.025, 1, 2), self.tax_status)
        recover = self.tax & ((self.tax_status == 1) | (self.tax_status == 2)) & ~lapse & (r[:, 6] < 0.35)
        self.tax_status = np.where(recover, 0, self.tax_status).astype(np.int8)
        joins = ~self.tax & operating & ~closing & (r[:, 7] < 0.08)
        self.tax_status = np.where(joins, 0, self.tax_status).astype(np.int8)
        self.tax = self.tax | joins
        self.grade = np.where(r[:, 8] < 0.2, self._grades(rng), self.grade).astype(np.int8)
        self.revenue = np.minimum(np.rint(self.revenue * rng.lognormal(0.05, 0.3, n)), 10**11).astype(
            np.int64
        )
        self.assets = np.minimum(np.rint(self.assets * rng.lognormal(0.05, 0.2, n)), 10**11).astype(np.int64)
        self.employees = np.maximum(1, np.rint(self.employees * rng.lognormal(0.02, 0.15, n))).astype(
            np.int64
        )
        jump = (self.kind != 0) & (r[:, 9] < 0.004)
        self.employees = np.where(jump, self.employees * 6 + 300, self.employees)
        self.revenue = np.where(jump, self.revenue * 8 + 300_000, self.revenue)
        self.assets = np.where(jump, self.assets * 8 + 300_000, self.assets)

        # Credit: first loans this year (a conversion), and legal representatives borrowing privately.
        counted = self.counted_history()
        gets = ~counted & operating & (r[:, 10] < 0.05)
        by_code = gets & ((self.kind != 0) | (~self.legacy & (rng.random(n) < 0.4)))
        by_person = gets & ~by_code
        self.code_row |= by_code
        self.code_loan |= by_code
        self.code_first = np.where(
            by_code & (self.code_first < 0), _dates_between(rng, year_lo, year_hi), self.code_first
        )
        rep = (self.kind != 0) & ~self.person_row & (r[:, 11] < 0.02)
        self.person_row |= by_person | rep
        self.person_loan |= by_person | rep
        self.person_first = np.where(
            (by_person | rep) & (self.person_first < 0),
            _dates_between(rng, year_lo, year_hi),
            self.person_first,
        )

    def subset(self, rows: np.ndarray) -> Entities:
        """The same entities' view restricted to `rows` (every per-entity array indexed alike)."""
        if len(rows) == self.n and (rows == np.arange(self.n)).all():
            return self
        out = object.__new__(Entities)
        for key, value in vars(self).items():
            if isinstance(value, np.ndarray) and value.shape[:1] == (self.n,):
                value = value[rows]
            setattr(out, key, value)
        out.n = len(out.gidx)
        return out

    def counted_history(self) -> np.ndarray:
        """A credit row that takes the entity off the lists (a legal representative's own loans never count)."""
        by_code = self.code_row & ~self.legacy & (self.code_loan | self.code_disc)
        by_person = (self.kind == 0) & self.person_row & (self.person_loan | self.person_disc)
        return by_code | by_person
