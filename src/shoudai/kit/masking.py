"""Masking of personal data on screens and in exports (X2, JR/T 0171-2020): rules are configuration, functions are pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Two-character surnames: masking "欧阳娜娜" must keep "欧阳", not "欧".
COMPOUND_SURNAMES = frozenset(
    ["欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "独孤", "南宫", "西门", "百里", "呼延", "澹台", "公冶", "太史", "申屠", "闻人", "赫连", "万俟", "钟离", "宗政", "濮阳", "淳于", "单于", "太叔", "仲孙", "拓跋", "司空", "第五"]
)


@dataclass(frozen=True)
class KeepRule:
    """Keep `head` leading and `tail` trailing characters, replace the middle with `fill` (one per hidden char)."""

    head: int
    tail: int
    fill: str = "*"


@dataclass(frozen=True)
class NameRule:
    """Keep the surname; the rest becomes `fill` once (`per_char=False`) or once per hidden character."""

    fill: str = "*"
    per_char: bool = False


@dataclass(frozen=True)
class MaskingRules:
    """The whole masking policy; build from settings/config with `from_mapping`."""

    id_number: KeepRule = field(default_factory=lambda: KeepRule(3, 4))
    phone: KeepRule = field(default_factory=lambda: KeepRule(3, 4))
    name: NameRule = field(default_factory=NameRule)

    @classmethod
    def from_mapping(cls, cfg: Mapping[str, Mapping[str, object]]) -> MaskingRules:
        """Rules from a mapping such as {"id_number": {"head": 6, "tail": 4}, "name": {"per_char": True}}."""
        base = cls()
        id_cfg, phone_cfg, name_cfg = (dict(cfg.get(k, {})) for k in ("id_number", "phone", "name"))
        return cls(
            id_number=KeepRule(**{**base.id_number.__dict__, **id_cfg}),
            phone=KeepRule(**{**base.phone.__dict__, **phone_cfg}),
            name=NameRule(**{**base.name.__dict__, **name_cfg}),
        )


DEFAULT_RULES = MaskingRules()


def keep_ends(value: str, rule: KeepRule) -> str:
    """Mask the middle of `value`; a value too short to keep both ends is masked entirely."""
    if not value:
        return value
    n = len(value)
    if n <= rule.head + rule.tail:
        return rule.fill * n
    return value[: rule.head] + rule.fill * (n - rule.head - rule.tail) + value[n - rule.tail :]


def mask_id_number(value: str | None, rules: MaskingRules = DEFAULT_RULES) -> str | None:
    """410***********1234 style masking of an ID number (default: first 3 + last 4)."""
    return None if value is None else keep_ends(value.strip(), rules.id_number)


def mask_phone(value: str | None, rules: MaskingRules = DEFAULT_RULES) -> str | None:
    """138****5678 style masking of a phone number (default: first 3 + last 4)."""
    return None if value is None else keep_ends(value.strip(), rules.phone)


def surname_of(name: str) -> str:
    """The surname of a Chinese personal name (compound surnames included); Latin names give their first letter."""
    if len(name) > 2 and name[:2] in COMPOUND_SURNAMES:
        return name[:2]
    return name[:1]


def mask_name(value: str | None, rules: MaskingRules = DEFAULT_RULES) -> str | None:
    """张* style masking of a person's name (default: surname + one '*')."""
    if value is None:
        return None
    name = value.strip()
    if not name:
        return name
    surname = surname_of(name)
    hidden = len(name) - len(surname)
    if hidden <= 0:
        # A one-character "name" is all surname: hide it rather than show it whole.
        return rules.name.fill
    return surname + (rules.name.fill * hidden if rules.name.per_char else rules.name.fill)


MASKERS = {"id_number": mask_id_number, "phone": mask_phone, "name": mask_name}


def mask(kind: str, value: str | None, rules: MaskingRules = DEFAULT_RULES) -> str | None:
    """Mask `value` as `kind` (id_number | phone | name)."""
    try:
        return MASKERS[kind](value, rules)
    except KeyError:
        raise ValueError(f"unknown personal-data kind {kind!r}") from None
