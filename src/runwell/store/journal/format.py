"""What a journal record holds, and how its body is packed.

A record is one write call: ``RUN`` (the run was created: experiment, user, start time, name,
tags), ``BATCH`` (params, tags and metric points logged together), ``STATUS`` (status, end time
or new name), ``DELETE_TAG`` and ``INPUTS`` (datasets). Every body but BATCH is a JSON object.

A BATCH body is packed for speed, little-endian: a header (format byte, the length of a JSON
part, the number of points), the JSON part ``{"p": [[key, value], ...], "t": [...], "k":
[metric keys]}``, then four columns of ``count`` items: each point's index into ``k``
(uint32), timestamps and steps (int64) and values (float64, NaN and ±inf as themselves).
Building the columns is a C-speed array conversion per column, so a thousand points pack in
tens of microseconds. Every body is stored with its CRC-32, which the reader checks.
"""

from __future__ import annotations

import enum
import struct
import sys
import zlib
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from runwell.entities import Metric, Param, RunTag
from runwell.store import validation

FORMAT_VERSION = 1
_SWAP = sys.byteorder != "little"
_BATCH_HEADER = struct.Struct("<BII")


class Kind(enum.IntEnum):
    RUN = 1
    BATCH = 2
    STATUS = 3
    DELETE_TAG = 4
    INPUTS = 5


@dataclass(frozen=True, slots=True)
class Record:
    """One record as read back: its sequence number, kind and body."""

    seq: int
    kind: Kind
    body: bytes

    def json(self) -> dict[str, Any]:
        value: dict[str, Any] = orjson.loads(self.body)
        return value


def checksum(seq: int, kind: int, body: bytes) -> int:
    """CRC-32 of a record; the sequence number and kind are part of it."""
    return zlib.crc32(body, zlib.crc32(struct.pack("<qB", seq, kind)))


def json_body(value: dict[str, Any]) -> bytes:
    return orjson.dumps(value)


def _native(numbers: array[Any]) -> array[Any]:
    if _SWAP:
        numbers.byteswap()
    return numbers


def pack_batch(
    metrics: Sequence[Metric], params: Sequence[Param] = (), tags: Sequence[RunTag] = ()
) -> bytes:
    """A BATCH body. Raises TypeError/OverflowError on a point a column cannot hold."""
    keys: dict[str, int] = {}
    index = array("I", [keys.setdefault(m.key, len(keys)) for m in metrics])
    timestamps = array("q", [m.timestamp for m in metrics])
    steps = array("q", [m.step for m in metrics])
    values = array("d", [m.value for m in metrics])
    head = orjson.dumps(
        {
            "p": [[p.key, p.value] for p in params],
            "t": [[t.key, t.value] for t in tags],
            "k": list(keys),
        }
    )
    return b"".join(
        (
            _BATCH_HEADER.pack(FORMAT_VERSION, len(head), len(metrics)),
            head,
            *(_native(column).tobytes() for column in (index, timestamps, steps, values)),
        )
    )


@dataclass(frozen=True, slots=True)
class Batch:
    """An unpacked BATCH body: params and tags in order, points as columns."""

    params: list[Param]
    tags: list[RunTag]
    keys: list[str]
    index: list[int]
    timestamps: list[int]
    steps: list[int]
    values: list[float]

    def __len__(self) -> int:
        """Values in the batch: params, tags and points."""
        return len(self.params) + len(self.tags) + len(self.index)

    def metrics(self, start: int = 0, stop: int | None = None) -> list[Metric]:
        keys = self.keys
        return [
            Metric(key=keys[k], value=v, timestamp=t, step=s)
            for k, t, s, v in zip(
                self.index[start:stop],
                self.timestamps[start:stop],
                self.steps[start:stop],
                self.values[start:stop],
                strict=True,
            )
        ]


def unpack_batch(body: bytes) -> Batch:
    version, head_size, count = _BATCH_HEADER.unpack_from(body)
    if version != FORMAT_VERSION:
        raise ValueError(f"unknown batch format {version}")
    offset = _BATCH_HEADER.size
    head = orjson.loads(body[offset : offset + head_size])
    offset += head_size
    columns: list[list[Any]] = []
    for code, width in (("I", 4), ("q", 8), ("q", 8), ("d", 8)):
        column = array(code)
        column.frombytes(body[offset : offset + width * count])
        offset += width * count
        columns.append(_native(column).tolist())
    if offset != len(body) or any(len(c) != count for c in columns):
        raise ValueError("batch body has the wrong length")
    return Batch(
        params=[Param(key=k, value=v) for k, v in head["p"]],
        tags=[RunTag(key=k, value=v) for k, v in head["t"]],
        keys=head["k"],
        index=columns[0],
        timestamps=columns[1],
        steps=columns[2],
        values=columns[3],
    )


def checked_batch(
    metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
) -> bytes:
    """A BATCH body of values that pass the stores' rules (the same errors as the server's)."""
    for param in params:
        validation.key(param.key, "key")
        validation.param_value(param.value, param.key)
    for tag in tags:
        validation.key(tag.key, "key")
        validation.tag_value(tag.value, tag.key)
    try:
        body = pack_batch(metrics, params, tags)
    except (TypeError, OverflowError, ValueError):
        body = b""
    # A bad point makes a column refuse it, or is a negative timestamp or a bad key: checked
    # at C speed here, precisely by validation.metric only when something is wrong.
    if not body or not _points_valid(metrics):
        for metric in metrics:
            validation.metric(metric)
        body = pack_batch(metrics, params, tags)
    return body


def _points_valid(metrics: Sequence[Metric]) -> bool:
    if not metrics:
        return True
    if min(m.timestamp for m in metrics) < 0:
        return False
    if any(type(m.value) is bool for m in metrics):
        return False
    return all(validation.valid_key(key) for key in {m.key for m in metrics})
