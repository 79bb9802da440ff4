"""Money and rates, pure: 万元 text ↔ integer fen, half-up rounding, largest-remainder allocation."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

FEN_PER_WAN = 1_000_000  # 1 万元 = 10,000 yuan = 1,000,000 fen
FEN_PER_YUAN = 100
RATE_SCALE = 10_000  # rates (percent) are stored as integers of 0.0001 %


class MoneyError(ValueError):
    """A money or rate value that cannot be represented exactly."""


def to_decimal(raw: object) -> Decimal:
    if isinstance(raw, Decimal):
        return raw
    if isinstance(raw, bool):
        raise MoneyError("不是数字")
    if isinstance(raw, int):
        return Decimal(raw)
    if isinstance(raw, float):
        # Excel cells arrive as floats: their shortest repr is what the user typed.
        return Decimal(repr(raw))
    text = str(raw).strip().replace(",", "").replace("，", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MoneyError("不是数字") from None
    if not value.is_finite():
        raise MoneyError("不是数字")
    return value


def wan_to_fen(raw: object) -> int:
    """万元 (as typed) → integer fen; more precision than a fen is refused, never rounded away silently."""
    fen = to_decimal(raw) * FEN_PER_WAN
    if fen != fen.to_integral_value():
        raise MoneyError("金额精度超过“分”（万元最多6位小数）")
    return int(fen)


def yuan_to_fen(raw: object) -> int:
    """Yuan → integer fen (at most two decimals)."""
    fen = to_decimal(raw) * FEN_PER_YUAN
    if fen != fen.to_integral_value():
        raise MoneyError("金额精度超过“分”")
    return int(fen)


def fen_to_wan(fen: int) -> Decimal:
    """Integer fen → exact Decimal 万元."""
    return Decimal(fen) / FEN_PER_WAN


def fen_to_yuan(fen: int) -> Decimal:
    """Integer fen → exact Decimal yuan (two decimals)."""
    return (Decimal(fen) / FEN_PER_YUAN).quantize(Decimal("0.01"))


def percent_to_e4(raw: object) -> int:
    """A rate in percent (3.85) → integer of 0.0001 % (38500); more precision is refused."""
    scaled = to_decimal(raw) * RATE_SCALE
    if scaled != scaled.to_integral_value():
        raise MoneyError("利率/费率最多4位小数")
    return int(scaled)


def e4_to_percent(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value) / RATE_SCALE


def round_half_up(value: Decimal, places: int = 0) -> Decimal:
    """Commercial rounding (四舍五入), the rule used in every financial statement here."""
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def largest_remainder(total: int, weights: Mapping[str, Decimal | int]) -> dict[str, int]:
    """Split integer `total` in proportion to `weights` so the parts add up exactly (Hamilton's method).

    Ties in the remainders go to the larger weight, then to the smaller key, so the result is deterministic.
    All-zero weights split evenly.
    """
    keys = list(weights)
    if not keys:
        return {}
    w = {k: Decimal(weights[k]) for k in keys}
    if any(v < 0 for v in w.values()):
        raise ValueError("weights must not be negative")
    wsum = sum(w.values())
    if wsum == 0:
        w = {k: Decimal(1) for k in keys}
        wsum = Decimal(len(keys))
    exact = {k: Decimal(total) * w[k] / wsum for k in keys}
    parts = {k: int(exact[k].to_integral_value(rounding="ROUND_FLOOR")) for k in keys}
    left = total - sum(parts.values())
    order = sorted(keys, key=lambda k: (-(exact[k] - parts[k]), -w[k], k))
    for k in order[:left]:
        parts[k] += 1
    return parts


def wan_text(fen: int | None, places: int = 2) -> str:
    """Fen as 万元 text for screens and CSV, rounded half-up to `places` decimals."""
    if fen is None:
        return ""
    return f"{round_half_up(fen_to_wan(fen), places):,.{places}f}"
