"""The packed block format: every column shape round-trips, and blocks come out in order."""

from __future__ import annotations

import math
import random

import pytest

from runwell.store.sql.metric_blocks import Block, progression

LOW, HIGH = -(2**63), 2**63 - 1


@pytest.mark.parametrize(
    ("column", "expected"),
    [
        ([5] * 20, (5, 0)),
        (list(range(3, 63, 3)), (3, 3)),
        (list(range(10, -10, -1)), (10, -1)),
        ([0, 1, 2, 4], None),
        ([1, 1, 1, 2], None),
        ([0, 2, 4, 5, 8], None),  # right ends, wrong middle
        ([LOW, HIGH], None),  # the increment overflows int64
        ([HIGH - 2, HIGH - 1, HIGH], (HIGH - 2, 1)),
        ([LOW, LOW + 5, LOW + 10], (LOW, 5)),
    ],
)
def test_progression(column: list[int], expected: tuple[int, int] | None) -> None:
    assert progression(column) == expected


def _round_trip(block: Block) -> Block:
    return Block.unpack(block.pack())


def _same(a: Block, b: Block) -> None:
    assert (a.timestamps, a.steps) == (b.timestamps, b.steps)
    assert [v if v == v else "nan" for v in a.values] == [v if v == v else "nan" for v in b.values]


def test_even_and_uneven_columns_round_trip() -> None:
    rng = random.Random(3)
    n = 40
    columns = {
        "constant": [1_700_000_000_000] * n,
        "counting": list(range(100, 100 + n)),
        "uneven": sorted(rng.randrange(LOW, HIGH) for _ in range(n)),
        "extremes": [LOW, HIGH] * (n // 2),
    }
    values = [rng.random() for _ in range(n - 4)] + [math.nan, math.inf, -math.inf, -0.0]
    for timestamps in columns.values():
        for steps in columns.values():
            block = Block.ordered(list(timestamps), list(steps), list(values))
            back = _round_trip(block)
            _same(back, block)
            keys = [back.key(i) for i in range(len(back))]
            assert keys == sorted(set(keys))


def test_even_columns_pack_small() -> None:
    block = Block.ordered([7] * 1000, list(range(1000)), [0.5] * 1000)
    assert len(block.pack()) == 5 + 16 + 16 + 8 * 1000


def test_integer_values_become_floats() -> None:
    block = _round_trip(Block.ordered([1] * 20, list(range(20)), list(range(20))))
    assert block.values == [float(i) for i in range(20)]
    assert all(type(v) is float for v in block.values)


def test_disorder_and_duplicates_are_sorted_out() -> None:
    points = [(2, 1, 0.5), (1, 9, 0.5), (2, 1, 0.5), (2, 1, math.nan), (2, 1, -1.0)] * 5
    block = Block.ordered(*(list(c) for c in zip(*points, strict=True)))
    # At (2, 1): -1.0, then NaN (stored as 0 with its own kind), then 0.5; duplicates once.
    assert block.timestamps == [1, 2, 2, 2] and block.steps == [9, 1, 1, 1]
    assert block.values[:2] == [0.5, -1.0] and math.isnan(block.values[2])
    assert block.values[3] == 0.5
    _same(_round_trip(block), block)
