"""Vectorised identifier arithmetic: codes are built as (n, width) uint8 ASCII matrices and turned into Arrow strings."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

USCC_ALPHABET = b"0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28], dtype=np.int64)
ORG_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
ALPHABET_U8 = np.frombuffer(USCC_ALPHABET, dtype=np.uint8)

# Byte → value lookups (GB 32100 uses its 31-char alphabet; GB 11714 counts letters A=10 … Z=35).
USCC_VALUE = np.full(256, -1, dtype=np.int64)
USCC_VALUE[ALPHABET_U8] = np.arange(31)
ORG_VALUE = np.full(256, -1, dtype=np.int64)
ORG_VALUE[np.frombuffer(b"0123456789", np.uint8)] = np.arange(10)
ORG_VALUE[np.arange(65, 91)] = np.arange(10, 36)
DIGIT_VALUE = np.zeros(256, dtype=np.int64)
DIGIT_VALUE[48:58] = np.arange(10)


def digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative integers as an (n, width) ASCII matrix."""
    return _positional(values, width, 10, None)


def base31(values: np.ndarray, width: int) -> np.ndarray:
    """Digits in the USCC alphabet (no I, O, Z, S, V) as an (n, width) ASCII matrix."""
    return _positional(values, width, 31, ALPHABET_U8)


def _positional(values: np.ndarray, width: int, base: int, alphabet: np.ndarray | None) -> np.ndarray:
    # Column by column with a scalar divisor: numpy divides by a scalar far faster than by a broadcast array.
    hi = np.asarray(values, dtype=np.int64)
    out = np.empty((len(hi), width), dtype=np.uint8)
    for j in range(width - 1, -1, -1):
        q = hi // base
        out[:, j] = hi - q * base
        hi = q
    if alphabet is None:
        out += 48
        return out
    return alphabet[out]


def affine(index: np.ndarray, modulus: int, mult: int, add: int) -> np.ndarray:
    """A bijection of range(modulus) (mult must be coprime with it): spreads sequential indexes over a code space."""
    return (np.asarray(index, dtype=np.int64) % modulus * mult + add) % modulus


def _weighted_sum(values: np.ndarray, body: np.ndarray, weights: np.ndarray) -> np.ndarray:
    # Column by column in int32: several times faster than one (n, w) int64 product.
    table = values.astype(np.int32)
    total = np.zeros(body.shape[0], dtype=np.int32)
    for j, w in enumerate(weights):
        total += table[body[:, j]] * np.int32(w)
    return total


def org_check(body: np.ndarray) -> np.ndarray:
    """GB 11714 check character for (n, 8) organisation-code bodies."""
    c = 11 - _weighted_sum(ORG_VALUE, body, ORG_WEIGHTS) % 11
    return np.where(c == 10, ord("X"), np.where(c == 11, ord("0"), c + 48)).astype(np.uint8)


def uscc_check(body: np.ndarray) -> np.ndarray:
    """GB 32100 check character for (n, 17) code bodies."""
    return ALPHABET_U8[(31 - _weighted_sum(USCC_VALUE, body, USCC_WEIGHTS) % 31) % 31]


def id_check(body: np.ndarray) -> np.ndarray:
    """GB 11643 check character for (n, 17) resident-ID bodies."""
    return ID_CHECK[_weighted_sum(DIGIT_VALUE, body, ID_WEIGHTS) % 11]


def regno_check(body: np.ndarray) -> np.ndarray:
    """ISO 7064 MOD 11,10 check digit for (n, 14) registration-number bodies."""
    p = np.full(body.shape[0], 10, dtype=np.int64)
    for j in range(body.shape[1]):
        s = (p + body[:, j].astype(np.int64) - 48) % 10
        s = np.where(s == 0, 10, s)
        p = (s * 2) % 11
    return ((11 - p) % 10 + 48).astype(np.uint8)


def with_check(body: np.ndarray, check) -> np.ndarray:
    return np.concatenate([body, check(body)[:, None]], axis=1)


def fullwidth(mat: np.ndarray) -> np.ndarray:
    """ASCII alphanumerics → their full-width forms (U+FF10…), each 3 UTF-8 bytes: (n, w) → (n, 3w)."""
    cp = mat.astype(np.int64) - 0x20  # offset within U+FF00
    out = np.empty((mat.shape[0], mat.shape[1], 3), dtype=np.uint8)
    out[:, :, 0] = 0xEF
    out[:, :, 1] = 0xBC + (cp >= 0x40)
    out[:, :, 2] = 0x80 + (cp & 0x3F)
    return out.reshape(mat.shape[0], -1)


def strings(
    mat: np.ndarray, lengths: np.ndarray | None = None, start: np.ndarray | None = None
) -> pa.StringArray:
    """Rows of a byte matrix as Arrow strings; each row uses bytes [start, start+length) (default: the whole row)."""
    n, w = mat.shape
    if lengths is None and start is None:
        offsets = np.arange(0, (n + 1) * w, w, dtype=np.int64)
        return _from_buffers(n, offsets, np.ascontiguousarray(mat).tobytes())
    start = np.zeros(n, np.int64) if start is None else start
    lengths = (w - start) if lengths is None else lengths
    col = np.arange(w)
    return strings_masked(mat, (col >= start[:, None]) & (col < (start + lengths)[:, None]))


def strings_masked(mat: np.ndarray, keep: np.ndarray) -> pa.StringArray:
    """Rows of a byte matrix as Arrow strings, keeping only the bytes where `keep` is true."""
    offsets = np.concatenate([[0], np.cumsum(keep.sum(axis=1))]).astype(np.int64)
    return _from_buffers(mat.shape[0], offsets, mat[keep].tobytes())


def _from_buffers(n: int, offsets: np.ndarray, data: bytes) -> pa.StringArray:
    arr = pa.Array.from_buffers(pa.large_string(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])
    return arr.cast(pa.string())


def string_data(arr: pa.Array) -> memoryview:
    """The concatenated bytes of a string array (no copy)."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    width = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    offsets = np.frombuffer(arr.buffers()[1], dtype=width)[arr.offset : arr.offset + len(arr) + 1]
    if len(arr) == 0:
        return memoryview(b"")
    return memoryview(arr.buffers()[2])[int(offsets[0]) : int(offsets[-1])]


def number_strings(values: np.ndarray, width: int = 12) -> pa.StringArray:
    """Non-negative integers as plain decimal strings without padding."""
    v = np.asarray(values, dtype=np.int64)
    mat = digits(v, width)
    nd = np.maximum(1, np.floor(np.log10(np.maximum(v, 1))).astype(np.int64) + 1)
    return strings(mat, nd, width - nd)


def money_strings(cents: np.ndarray) -> pa.StringArray:
    """Amounts given in hundredths as `123.45` (money in 万元, two decimals)."""
    v = np.asarray(cents, dtype=np.int64)
    width = 14
    mat = digits(v, width)
    mat = np.concatenate(
        [mat[:, : width - 2], np.full((len(v), 1), ord("."), np.uint8), mat[:, width - 2 :]], axis=1
    )
    nd = np.maximum(1, np.floor(np.log10(np.maximum(v // 100, 1))).astype(np.int64) + 1) + 3
    return strings(mat, nd, width + 1 - nd)


_ALPHABET_STR = USCC_ALPHABET.decode()
_VALUE_OF = {c: i for i, c in enumerate(_ALPHABET_STR)}


def valid_uscc(code: str) -> bool:
    """Scalar GB 32100 check (for tests and callers outside the generator)."""
    if len(code) != 18 or any(c not in _VALUE_OF for c in code):
        return False
    total = sum(_VALUE_OF[c] * int(w) for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return _ALPHABET_STR[(31 - total % 31) % 31] == code[17]
