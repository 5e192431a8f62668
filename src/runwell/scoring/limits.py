"""How much one ``/invocations`` request may ask of the scoring server: columns and cells.

=======================  ==========  ===============================  =====================
limit                    default     variable                         past it
=======================  ==========  ===============================  =====================
columns (named inputs)   10,000      RUNWELL_SCORING_MAX_COLUMNS      400, before parsing
cells (rows x columns)   1,000,000   RUNWELL_SCORING_MAX_CELLS        400, before predict
=======================  ==========  ===============================  =====================

Columns are what makes a request expensive for its size: pandas spends tens of microseconds
per column, so a 0.7 MB CSV of 100,000 columns took seconds. Each format is measured before
the DataFrame is built (the CSV header, the decoded JSON's lists and keys, the Parquet
footer), and every parsed input is measured again, so nothing past a limit reaches predict.
Cells bound the memory and predict time of one request, and the time decoding holds Python's
GIL (orjson and numpy's list conversion do not release it): at the default, about 0.1 s on a
2-core machine, which is what keeps ``/ping`` quick beside the largest allowed request.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from runwell import env
from runwell.scoring.errors import ScoringError

DEFAULT_MAX_COLUMNS = 10_000
DEFAULT_MAX_CELLS = 1_000_000


@dataclass(frozen=True, slots=True)
class PayloadLimits:
    """The bounds of one request (see the module docstring)."""

    max_columns: int = DEFAULT_MAX_COLUMNS
    max_cells: int = DEFAULT_MAX_CELLS

    @classmethod
    def from_environment(
        cls, max_columns: int | None = None, max_cells: int | None = None
    ) -> PayloadLimits:
        """The given limits, else RUNWELL_SCORING_MAX_COLUMNS / _CELLS, else the defaults."""
        return cls(
            max_columns=max_columns
            or env.whole_number(env.SCORING_MAX_COLUMNS, DEFAULT_MAX_COLUMNS, 1),
            max_cells=max_cells or env.whole_number(env.SCORING_MAX_CELLS, DEFAULT_MAX_CELLS, 1),
        )

    def check(self, columns: int, cells: int) -> None:
        """Refuse a request of ``columns`` columns and ``cells`` cells past the limits."""
        if columns > self.max_columns:
            raise ScoringError(
                f"The request has {columns} columns; this server accepts at most "
                f"{self.max_columns} (set {env.SCORING_MAX_COLUMNS} to change it)."
            )
        if cells > self.max_cells:
            raise ScoringError(
                f"The request has {cells} cells (rows x columns); this server accepts at most "
                f"{self.max_cells} (set {env.SCORING_MAX_CELLS} to change it)."
            )

    def check_rows(self, rows: Iterable[Any], columns: int = 0, *, tensor: bool = False) -> None:
        """Check a list of rows (lists) or records (dicts): the cells are the sum of the row
        widths; the columns the widest row (not for a tensor's rows) or the record keys."""
        keys: set[Any] = set()
        widest = cells = 0
        for row in rows:
            if isinstance(row, dict):
                keys.update(row)
                width = len(row)
            else:
                width = len(row) if isinstance(row, list) else 1
                widest = max(widest, width)
            cells += width
        self.check(max(columns, 0 if tensor else widest, len(keys)), cells)

    def check_data(self, data: Any) -> None:
        """Check a parsed model input: a DataFrame, an ndarray or a dict of arrays."""
        shape = getattr(data, "shape", None)
        if isinstance(shape, tuple):
            columns = shape[1] if len(shape) == 2 and hasattr(data, "columns") else 1
            self.check(columns, int(getattr(data, "size", 0)))
        elif isinstance(data, dict):
            self.check(len(data), sum(_size(value) for value in data.values()))


def _size(value: Any) -> int:
    """The cells of one named input: an array's size, a list's length, else 1."""
    size = getattr(value, "size", None)
    if isinstance(size, int):
        return size
    return len(value) if isinstance(value, list) else 1
