"""Model-version searches compiled once per shape and run on driver cursors.

Building and executing a SQLAlchemy query costs far more than the indexed lookup behind it:
a search for one model's versions by name and tag spent over nine tenths of its time in query
construction, compilation-cache keys and result plumbing. A search's *shape* (which fields,
operators and list lengths, which order) decides its SQL, and its values only fill the
parameters. So each shape is built once with placeholders, compiled to the dialect's SQL, and
kept; a search then binds its values and runs that SQL directly.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from runwell.entities.registry import ModelVersion
from runwell.store.search_filter import Comparison, OrderKey
from runwell.store.sql import registry_search as search
from runwell.store.sql.raw import RawConnections
from runwell.store.sql.registry_loading import VERSION_COLUMNS, versions_from, versions_select
from runwell.store.sql.search_timeout import bounded_cursor

# One entry per distinct filter/order shape; a service sees a handful of shapes.
_MAX_SHAPES = 256
_LIMIT, _OFFSET = "rw_limit", "rw_offset"


@dataclasses.dataclass(frozen=True)
class _Compiled:
    sql: str
    # Parameter names in statement order (positional drivers), or None for named ones.
    order: tuple[str, ...] | None
    # Values compiled into the shape (tag keys, the prompt tag's value ...).
    fixed: dict[str, Any]


def _placeholder(index: int, c: Comparison) -> tuple[Comparison, dict[str, Any]]:
    """``c`` with its value replaced by bind parameters, and their values.

    The prompt tag's value stays in the shape: whether a missing tag matches depends on it.
    """
    if c.kind == "tag" and c.key == search.PROMPT_TAG:
        return c, {}
    if isinstance(c.value, tuple):
        names = [f"rw_{index}_{j}" for j in range(len(c.value))]
        holders: Any = tuple(sa.bindparam(n) for n in names)
        return dataclasses.replace(c, value=holders), dict(zip(names, c.value, strict=True))
    name = f"rw_{index}"
    holder: Any = sa.bindparam(name)
    return dataclasses.replace(c, value=holder), {name: c.value}


def _shape(comparisons: Sequence[Comparison], order: Sequence[OrderKey]) -> tuple[Any, ...]:
    parts: list[Any] = []
    for c in comparisons:
        value: Any = None
        if c.kind == "tag" and c.key == search.PROMPT_TAG:
            value = c.value
        elif isinstance(c.value, tuple):
            value = len(c.value)
        parts.append((c.kind, c.key, c.op, value))
    return tuple(parts), tuple(order)


class VersionSearches:
    """Compiled version searches of one engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = "mysql" if engine.dialect.name == "mariadb" else engine.dialect.name
        self._compiled: dict[tuple[Any, ...], _Compiled] = {}
        self._lock = threading.Lock()

    def statement(
        self,
        comparisons: Sequence[Comparison],
        order: Sequence[OrderKey],
        limit: int,
        offset: int,
    ) -> tuple[str, Any]:
        """The SQL of this search and its parameters, in the driver's form."""
        values: dict[str, Any] = {_LIMIT: limit, _OFFSET: offset}
        placeheld = []
        for index, c in enumerate(comparisons):
            held, bound = _placeholder(index, c)
            placeheld.append(held)
            values.update(bound)
        key = _shape(comparisons, order)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compile(placeheld, order, values)
            with self._lock:
                if len(self._compiled) >= _MAX_SHAPES:
                    self._compiled.clear()
                self._compiled[key] = compiled
        merged = {**compiled.fixed, **values}
        if compiled.order is None:
            return compiled.sql, merged
        return compiled.sql, [merged[name] for name in compiled.order]

    def _compile(
        self,
        comparisons: Sequence[Comparison],
        order: Sequence[OrderKey],
        values: dict[str, Any],
    ) -> _Compiled:
        query = (
            versions_select()
            .where(*search.version_filter_clauses(comparisons, self._dialect))
            .order_by(*search.version_order(order))
            .limit(sa.bindparam(_LIMIT, type_=sa.Integer, literal_execute=False))
            .offset(sa.bindparam(_OFFSET, type_=sa.Integer, literal_execute=False))
        )
        compiled = query.compile(dialect=self._engine.dialect)
        params = compiled.construct_params(values)
        fixed = {name: value for name, value in params.items() if name not in values}
        order_names = tuple(compiled.positiontup or ()) if compiled.positional else None
        return _Compiled(str(compiled), order_names, fixed)

    def run(
        self,
        raw: RawConnections,
        comparisons: Sequence[Comparison],
        order: Sequence[OrderKey],
        limit: int,
        offset: int,
    ) -> list[ModelVersion]:
        """Up to ``limit`` versions after ``offset``, with their tags and aliases."""
        sql, parameters = self.statement(comparisons, order, limit, offset)
        with (
            raw.read() as driver_cursor,
            bounded_cursor(driver_cursor, raw.engine, "model versions") as cursor,
        ):
            cursor.execute(sql, parameters)
            rows: list[Any] = [_VersionRow(*row) for row in cursor.fetchall()]
            if not rows:
                return []
            ids = [row.id for row in rows]
            marks = ", ".join([raw.mark] * len(ids))
            key = "`key`" if raw.dialect == "mysql" else "key"
            cursor.execute(
                f"SELECT version, {key}, value FROM model_version_tags "
                f"WHERE version IN ({marks}) ORDER BY {key}",
                ids,
            )
            tag_rows = cursor.fetchall()
            cursor.execute(
                f"SELECT version, alias FROM registered_model_aliases "
                f"WHERE version IN ({marks}) ORDER BY alias",
                ids,
            )
            alias_rows = cursor.fetchall()
        return versions_from(rows, tag_rows, alias_rows)


# A version row of ``versions_select`` as the driver returns it, with its columns' names.
_VersionRow = collections.namedtuple(  # type: ignore[misc]
    "_VersionRow", [column.key for column in VERSION_COLUMNS]
)
