"""Output of the CLI: aligned text tables for people, JSON for scripts.

Tables fit the terminal (``shutil.get_terminal_size``, which honours ``COLUMNS``): the widest
shrinkable column gives up characters first and a cut cell ends in ``…``. Output into a pipe
or file is not cut unless ``COLUMNS`` is set, so ``runwell runs list | grep`` sees every cell.

JSON turns entities into plain data the way ``dataclasses.asdict`` does, with enums by name;
ids stay strings and times epoch milliseconds, as in the entities.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import os
import shutil
import sys
import time
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import click

ELLIPSIS = "…"
GAP = "  "
# A shrinkable column keeps at least this many characters (or its header, if longer).
MIN_WIDTH = 8


def to_data(value: Any) -> Any:
    """Entities and containers as JSON-ready data: dataclasses -> dicts, enums -> names."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        # fields() rather than asdict(): asdict deep-copies every leaf and keeps enums as-is.
        return {
            f.metadata.get("name", f.name): to_data(getattr(value, f.name))
            for f in dataclasses.fields(value)
        }
    if isinstance(value, enum.Enum):
        return value.name
    if isinstance(value, Mapping):
        return {str(k): to_data(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_data(v) for v in value]
    return value


def echo_json(value: Any) -> None:
    click.echo(json.dumps(to_data(value), indent=2, allow_nan=True))


def _cut(text: str, width: int) -> str:
    if len(text) <= width:
        return text
    return text[: max(width - 1, 0)] + ELLIPSIS


def _fit(
    widths: list[int], headers: Sequence[str], shrink: Collection[int], limit: int | None
) -> None:
    """Narrow the widest shrinkable column, one character at a time, until the row fits."""
    if limit is None:
        return
    floors = {i: max(MIN_WIDTH, len(headers[i])) for i in shrink}
    excess = sum(widths) + len(GAP) * (len(widths) - 1) - limit
    while excess > 0:
        candidates = [i for i in shrink if widths[i] > floors[i]]
        if not candidates:
            return  # cannot fit: let the terminal wrap rather than hide the fixed columns
        widest = max(candidates, key=lambda i: widths[i])
        widths[widest] -= 1
        excess -= 1


def _terminal_width() -> int | None:
    if "COLUMNS" in os.environ or sys.stdout.isatty():
        return shutil.get_terminal_size().columns
    return None


def render_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    shrink: Collection[str] | None = None,
    width: int | None = None,
) -> str:
    """Rows under headers in aligned columns, fitted to ``width`` (the terminal by default).

    Args:
        headers: Column titles.
        rows: Cells as text, one sequence per row.
        shrink: Titles of the columns that may be cut to fit; all of them when None.
        width: Characters available; when None, the terminal's width, or no limit when
            output goes to a pipe or file and ``COLUMNS`` is unset.
    """
    limit = width if width is not None else _terminal_width()
    cells = [[" ".join(cell.split()) if "\n" in cell else cell for cell in row] for row in rows]
    widths = [max([len(h), *(len(row[i]) for row in cells)]) for i, h in enumerate(headers)]
    shrinkable = [i for i, h in enumerate(headers) if shrink is None or h in shrink]
    _fit(widths, headers, shrinkable, limit)
    lines = []
    for row in [list(headers), *cells]:
        padded = [_cut(cell, widths[i]).ljust(widths[i]) for i, cell in enumerate(row)]
        lines.append(GAP.join(padded).rstrip())
    return "\n".join(lines)


def echo_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], *, shrink: Collection[str] | None = None
) -> None:
    click.echo(render_table(headers, rows, shrink=shrink))


# ------------------------------------------------------------------ cell formats


def local_time(epoch_ms: int | None) -> str:
    """Epoch milliseconds as local wall-clock time, ``-`` when unknown."""
    if epoch_ms is None:
        return "-"
    return datetime.fromtimestamp(epoch_ms / 1000).strftime("%Y-%m-%d %H:%M:%S")


def duration(start_ms: int | None, end_ms: int | None) -> str:
    """``end - start`` in the largest two units; a run still going counts up to now."""
    if start_ms is None:
        return "-"
    end = end_ms if end_ms is not None else int(time.time() * 1000)
    seconds = max(end - start_ms, 0) / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m {secs:02d}s"


def number(value: float) -> str:
    """A metric value, short: four significant digits."""
    return f"{value:.4g}"


def pairs(values: Mapping[str, str]) -> str:
    """``k=v k=v`` in key order."""
    return " ".join(f"{k}={values[k]}" for k in sorted(values))


def size(num_bytes: int | None) -> str:
    """A file size for people: ``512 B``, ``12.3 kB``; ``-`` for directories."""
    if num_bytes is None:
        return "-"
    if num_bytes < 1000:
        return f"{num_bytes} B"
    units = ("kB", "MB", "GB", "TB")
    amount = num_bytes / 1000
    index = 0
    while amount >= 1000 and index < len(units) - 1:
        amount /= 1000
        index += 1
    return f"{amount:.1f} {units[index]}"
