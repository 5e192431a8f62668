"""How metric values are stored: a finite double plus a kind flag, so NaN and ±inf survive.

SQLite turns NaN into NULL and MySQL rejects infinities, so the ``value`` column always holds a
finite number that sorts correctly (NaN as 0, ±inf as ±max double) and ``kind`` says what the
logged value really was.
"""

from __future__ import annotations

import math

FINITE = 0
NAN = 1
INFINITE = 2
MAX_DOUBLE = 1.7976931348623157e308


def encode(value: float) -> tuple[float, int]:
    if value != value:  # NaN
        return 0.0, NAN
    if math.isinf(value):
        return (MAX_DOUBLE if value > 0 else -MAX_DOUBLE), INFINITE
    return value, FINITE


def decode(value: float, kind: int) -> float:
    if kind == FINITE:
        return value
    if kind == NAN:
        return math.nan
    return math.inf if value > 0 else -math.inf


def decoded_value_sql(dialect: str) -> str:
    """A SELECT expression giving the logged value back: ±inf as such, NaN as NULL.

    Decoding in the database keeps a million-row history read at three columns and no
    per-row Python branch; NULL is the one value every dialect returns for "not a number".
    """
    if dialect == "mysql":
        # MySQL has no infinity: its rows carry the kind and are decoded in Python.
        return "value, kind"
    infinity = "9e999" if dialect == "sqlite" else "'Infinity'::float8"
    return (
        f"CASE kind WHEN {FINITE} THEN value WHEN {NAN} THEN NULL ELSE SIGN(value) * {infinity} END"
    )
