"""Chinese identifiers: unified social credit code (GB 32100), resident ID (GB 11643), legacy registration number.

Pure Python for single look-ups and form input; the import computes the same checks in SQL, and tests compare the two.
"""

from __future__ import annotations

import re

from shoudai.kit.text import compact

# GB 32100-2015: 31 symbols (no I, O, Z, S, V), weights of positions 1–17, check = (31 - sum mod 31) mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{18}")

# GB 11643-1999: weights 2^(17-i) mod 11 of digits 1–17; check symbol by (sum mod 11).
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

_REG_NO_SHAPE = re.compile(r"[0-9]{15}")
_TWO_DIGITS = re.compile(r"[0-9]{2}")

# Second character of a USCC starting with 9 (registered by market regulation) → our entity kind.
_KIND_BY_CATEGORY = {"1": "enterprise", "2": "individual", "3": "cooperative"}


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a credit code."""
    total = sum(USCC_ALPHABET.index(ch) * w for ch, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str | None) -> str | None:
    """Why `code` (already normalised) is not a valid credit code, in Chinese; None when it is valid."""
    if not code:
        return "为空"
    if len(code) != 18:
        return "长度应为18位"
    if not _USCC_SHAPE.fullmatch(code):
        return "含有非法字符"
    if uscc_check_char(code[:17]) != code[17]:
        return "校验位错误"
    return None


def is_valid_uscc(code: str | None) -> bool:
    """True for a normalised 18-character credit code with a correct check character."""
    return uscc_problem(code) is None


def normalise_uscc(raw: str | None) -> str | None:
    """The credit code in canonical form (half-width, upper case, no spaces) if valid, else None."""
    code = compact(raw)
    return code if is_valid_uscc(code) else None


def resident_id_check_char(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits of a resident ID number."""
    total = sum(int(ch) * w for ch, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK[total % 11]


def resident_id_problem(number: str | None) -> str | None:
    """Why `number` (already normalised) is not a valid 18-digit resident ID, in Chinese; None when valid."""
    if not number:
        return "为空"
    if len(number) != 18:
        return "长度应为18位"
    if not _ID_SHAPE.fullmatch(number):
        return "格式错误"
    if resident_id_check_char(number[:17]) != number[17]:
        return "校验位错误"
    return None


def is_valid_resident_id(number: str | None) -> bool:
    """True for a normalised 18-character resident ID with a correct check character."""
    return resident_id_problem(number) is None


def normalise_resident_id(raw: str | None) -> str | None:
    """The resident ID in canonical form (half-width, upper-case X, no spaces) if valid, else None."""
    number = compact(raw)
    return number if is_valid_resident_id(number) else None


def normalise_reg_no(raw: str | None) -> str | None:
    """A legacy 15-digit registration number (注册号), or None if it is not one.

    Only the shape is checked: old numbers were issued by many offices and their check digits are not reliable.
    """
    number = compact(raw)
    return number if number and _REG_NO_SHAPE.fullmatch(number) else None


def entity_kind_of_uscc(code: str) -> str:
    """enterprise | individual | cooperative for market-regulation codes (9x); other for any other registrar."""
    if code[:1] != "9":
        return "other"
    return _KIND_BY_CATEGORY.get(code[1:2], "other")


def entity_kind_of_type(registry_type: str | None) -> str:
    """The kind from 主体类型 where no credit code is known."""
    text = registry_type or ""
    if "个体" in text:
        return "individual"
    if "合作社" in text:
        return "cooperative"
    return "enterprise"


def entity_kind(uscc: str | None, registry_type: str | None) -> str:
    """The design rule (L2): the code's category digits first, 主体类型 where the code is missing."""
    return entity_kind_of_uscc(uscc) if uscc else entity_kind_of_type(registry_type)


def taxpayer_id_form(taxpayer_id: str) -> str:
    """uscc | legacy15 | person18 | person20 | other, for a normalised 纳税人识别号."""
    if is_valid_uscc(taxpayer_id):
        return "uscc"
    if len(taxpayer_id) == 15:
        return "legacy15"
    if is_valid_resident_id(taxpayer_id):
        return "person18"
    if len(taxpayer_id) == 20 and _TWO_DIGITS.fullmatch(taxpayer_id[18:]) and is_valid_resident_id(taxpayer_id[:18]):
        return "person20"
    return "other"
