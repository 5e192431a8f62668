"""Metric points stored as packed blocks: one row holds many points of one series.

A ``log_batch`` of a thousand points used to insert a thousand rows into the clustered history
index, and that b-tree insert was more than half of the call. A key with at least
``BLOCK_MIN_POINTS`` points in one batch is now written as one ``metric_blocks`` row instead:
its points sorted by the history order ``(timestamp, step, value, kind)`` without exact
duplicates. Single points and small batches keep using the ``metrics`` table; a history read
merges both (history_reads.py).

The packed form, little-endian: a header (format byte, then the point count as uint32), the
timestamps, the steps, the values as float64 (NaN and ±inf stored as themselves). Timestamps
and steps are each either int64 arrays or, when they step evenly (constant timestamps of one
batch, steps counting up), just their start and increment as two int64: flag bit 0 marks the
timestamps so, bit 1 the steps. Converting Python ints to machine ints was the costliest part
of packing, and even progressions also prove the points are in order without a check.

The block's first and last (timestamp, step) are columns, so a history read finds the blocks
in order and a page that resumes after a point skips the blocks wholly before it.
"""

from __future__ import annotations

import struct
import sys
from array import array
from itertools import islice
from operator import le, lt
from typing import Any

from runwell.store.sql import codec

# A key with fewer points in one batch is cheaper as rows (a block costs an index entry and a
# blob; below this many points the rows' b-tree inserts are not the larger cost).
BLOCK_MIN_POINTS = 16

_SWAP = sys.byteorder != "little"
_HEADER = struct.Struct("<BI")
_PROGRESSION = struct.Struct("<qq")
_TIMESTAMPS_EVEN = 1
_STEPS_EVEN = 2
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1

# The order of the history: timestamp, step, then the stored value and kind (codec).
SortKey = tuple[int, int, float, int]
# An evenly stepping column: (start, increment).
Progression = tuple[int, int]

# The packed layout, for readers that decode blocks into arrays (history_sampling.py).
HEADER = _HEADER
PROGRESSION = _PROGRESSION
TIMESTAMPS_EVEN = _TIMESTAMPS_EVEN
STEPS_EVEN = _STEPS_EVEN


def sort_key(timestamp: int, step: int, value: float) -> SortKey:
    encoded, kind = codec.encode(value)
    return timestamp, step, encoded, kind


def progression(column: list[int]) -> Progression | None:
    """(start, increment) when ``column`` steps evenly from its first item, else None."""
    count = len(column)
    start = column[0]
    if count == 1:
        return start, 0
    increment = column[1] - start
    if not _INT64_MIN <= increment <= _INT64_MAX:
        return None
    if increment == 0:
        return (start, 0) if column.count(start) == count else None
    end = start + increment * count
    if column[-1] != end - increment or column != list(range(start, end, increment)):
        return None
    return start, increment


def _expand(start: int, increment: int, count: int) -> list[int]:
    if increment == 0:
        return [start] * count
    return list(range(start, start + increment * count, increment))


class Block:
    """The points of one block as three columns, in history order without duplicates.

    ``even_timestamps`` / ``even_steps`` are the columns' progressions when known.
    """

    __slots__ = ("even_steps", "even_timestamps", "steps", "timestamps", "values")

    def __init__(
        self,
        timestamps: list[int],
        steps: list[int],
        values: list[float],
        even_timestamps: Progression | None = None,
        even_steps: Progression | None = None,
    ) -> None:
        self.timestamps = timestamps
        self.steps = steps
        self.values = values
        self.even_timestamps = even_timestamps
        self.even_steps = even_steps

    def __len__(self) -> int:
        return len(self.timestamps)

    def key(self, index: int) -> SortKey:
        return sort_key(self.timestamps[index], self.steps[index], self.values[index])

    def pack(self) -> bytes:
        flags = 0
        parts: list[bytes] = []
        for column, even, flag in (
            (self.timestamps, self.even_timestamps, _TIMESTAMPS_EVEN),
            (self.steps, self.even_steps, _STEPS_EVEN),
        ):
            if even is not None:
                flags |= flag
                parts.append(_PROGRESSION.pack(*even))
            else:
                parts.append(_native(array("q", column)).tobytes())
        parts.append(_native(array("d", self.values)).tobytes())
        return _HEADER.pack(flags, len(self.timestamps)) + b"".join(parts)

    @classmethod
    def unpack(cls, data: bytes) -> Block:
        flags, count = _HEADER.unpack_from(data)
        offset = _HEADER.size
        columns: list[list[int]] = []
        for flag in (_TIMESTAMPS_EVEN, _STEPS_EVEN):
            if flags & flag:
                start, increment = _PROGRESSION.unpack_from(data, offset)
                columns.append(_expand(start, increment, count))
                offset += _PROGRESSION.size
            else:
                numbers = array("q")
                numbers.frombytes(data[offset : offset + 8 * count])
                columns.append(_native(numbers).tolist())
                offset += 8 * count
        values = array("d")
        values.frombytes(data[offset : offset + 8 * count])
        return cls(columns[0], columns[1], _native(values).tolist())

    @classmethod
    def ordered(cls, timestamps: list[int], steps: list[int], values: list[Any]) -> Block:
        """A block of these points (values may be ints), sorted and without exact duplicates.

        Points usually arrive in order, which evenly stepping columns prove at once and
        C-speed checks prove otherwise (increasing timestamps, or increasing steps at
        non-decreasing timestamps, or increasing (timestamp, step) pairs); anything else sorts.
        """
        even_timestamps = progression(timestamps)
        even_steps = progression(steps)
        in_order = even_timestamps is not None and (
            even_timestamps[1] > 0
            or (even_timestamps[1] == 0 and even_steps is not None and even_steps[1] > 0)
        )
        if (
            in_order
            or all(map(lt, timestamps, islice(timestamps, 1, None)))
            or (
                all(map(lt, steps, islice(steps, 1, None)))
                and all(map(le, timestamps, islice(timestamps, 1, None)))
            )
        ):
            return cls(timestamps, steps, values, even_timestamps, even_steps)
        pairs = list(zip(timestamps, steps, strict=True))
        if all(map(lt, pairs, islice(pairs, 1, None))):
            return cls(timestamps, steps, values, even_timestamps, even_steps)
        keys = sorted(
            {sort_key(t, s, float(v)) for t, s, v in zip(timestamps, steps, values, strict=True)}
        )
        return cls(
            [k[0] for k in keys],
            [k[1] for k in keys],
            [codec.decode(k[2], k[3]) for k in keys],
        )


def _native(numbers: array[Any]) -> array[Any]:
    """The array in (or from) the stored little-endian byte order."""
    if _SWAP:
        numbers.byteswap()
    return numbers


def block_row(series: int, block: Block) -> tuple[Any, ...]:
    """The parameters of an insert into ``metric_blocks`` (see Statements.insert_block)."""
    last = len(block) - 1
    return (
        series,
        block.timestamps[0],
        block.steps[0],
        block.timestamps[last],
        block.steps[last],
        len(block),
        block.pack(),
    )
