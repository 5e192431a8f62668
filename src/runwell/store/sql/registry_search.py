"""Registry searches: the filter grammar, order_by and paging of reference
mlflow-search-syntax.md §4-5 and §7, turned into SQLAlchemy Core queries.

Parsing reuses the tokenizer and clause checks of ``runwell.store.search_filter`` with two more
grammars. Two rules are the registry's own: ``IS [NOT] NULL`` is refused, and a tag comparison
on ``mlflow.prompt.is_prompt`` treats a missing tag as ``'false'``, because MLflow's 3.x client
appends ``tag.`mlflow.prompt.is_prompt` != 'true'`` to every registered-model search and models
without that tag must still match.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from runwell.errors import InvalidArgument
from runwell.store.like import like_pattern
from runwell.store.search_filter import (
    Comparison,
    OrderKey,
    _Grammar,
    _parse_filter,
    _parse_order_clause,
    _prefixes,
    check_order_by_size,
)
from runwell.store.sql.registry_rows import (
    model_version_tags,
    model_versions,
    registered_model_tags,
    registered_models,
)
from runwell.store.sql.search import _string_condition, exists, fenced

PROMPT_TAG = "mlflow.prompt.is_prompt"
MAX_MODELS_RESULTS = 1000
DEFAULT_MODELS_RESULTS = 100
MAX_VERSIONS_RESULTS = 200_000
DEFAULT_VERSIONS_RESULTS = 200_000

_ENTITIES = _prefixes(attribute="attribute attributes", tag="tag tags")
_MODEL_FILTER = _Grammar(
    entity_types=_ENTITIES,
    string_attributes=("name",),
    numeric_attributes=(),
    list_attributes=("name",),
    attribute_aliases={},
    order_kinds=("attribute",),
)
_MODEL_ORDER = _Grammar(
    entity_types=_ENTITIES,
    string_attributes=("name",),
    numeric_attributes=("last_updated_timestamp",),
    list_attributes=(),
    attribute_aliases={"timestamp": "last_updated_timestamp"},
    order_kinds=("attribute",),
)
_VERSION_FILTER = _Grammar(
    entity_types=_ENTITIES,
    string_attributes=("name", "run_id", "source_path"),
    numeric_attributes=("version_number",),
    list_attributes=("name", "run_id"),
    attribute_aliases={},
    order_kinds=("attribute",),
)
_VERSION_ORDER = _Grammar(
    entity_types=_ENTITIES,
    string_attributes=("name",),
    numeric_attributes=("version_number", "creation_timestamp", "last_updated_timestamp"),
    list_attributes=(),
    attribute_aliases={"timestamp": "last_updated_timestamp"},
    order_kinds=("attribute",),
)


@functools.lru_cache(maxsize=512)
def _filter(source: str, versions: bool) -> tuple[Comparison, ...]:
    comparisons = _parse_filter(source, _VERSION_FILTER if versions else _MODEL_FILTER)
    for c in comparisons:
        if c.op in ("IS NULL", "IS NOT NULL"):
            what = "model version" if versions else "registered model"
            raise InvalidArgument(f"IS NULL / IS NOT NULL is not supported for {what} search.")
    return comparisons


def parse_model_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """A ``registered-models/search`` filter: ``name`` and tags."""
    if filter_string is None or not filter_string.strip():
        return ()
    return _filter(filter_string, False)


def parse_version_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """A ``model-versions/search`` filter: name, run_id, source_path, version_number, tags."""
    if filter_string is None or not filter_string.strip():
        return ()
    return _filter(filter_string, True)


def _order(order_by: Sequence[str] | None, grammar: _Grammar) -> tuple[OrderKey, ...]:
    clauses = (order_by,) if isinstance(order_by, str) else tuple(order_by or ())
    check_order_by_size(clauses)
    keys: list[OrderKey] = []
    for clause in clauses:
        key = _parse_order_clause(clause, grammar)
        if any(k.key == key.key for k in keys):
            raise InvalidArgument(
                f"`order_by` contains duplicate fields: {key.key!r} appears more than once in "
                f"{list(clauses)}"
            )
        keys.append(key)
    return tuple(keys)


def parse_model_order_by(order_by: Sequence[str] | None) -> tuple[OrderKey, ...]:
    return _order(order_by, _MODEL_ORDER)


def parse_version_order_by(order_by: Sequence[str] | None) -> tuple[OrderKey, ...]:
    return _order(order_by, _VERSION_ORDER)


def _string_clause(column: Any, op: str, value: Any, dialect: str) -> Any:
    return _string_condition(dialect, column, op, value)


def _numeric_clause(column: Any, op: str, value: Any) -> Any:
    return {
        "=": column == value,
        "!=": column != value,
        ">": column > value,
        ">=": column >= value,
        "<": column < value,
        "<=": column <= value,
    }[op]


def _tag_clause(
    tags: sa.Table, owner_column: Any, owner_key: Any, c: Comparison, dialect: str, fence: bool
) -> Any:
    """EXISTS (a tag row that matches); for the prompt tag a missing row reads as 'false'."""
    match = exists(
        sa.select(1)
        .select_from(tags)
        .where(
            owner_column == owner_key,
            tags.c.key == c.key,
            _string_clause(tags.c.value, c.op, c.value, dialect),
        ),
        fence,
    )
    if c.key != PROMPT_TAG:
        return match
    absent = ~exists(
        sa.select(1).select_from(tags).where(owner_column == owner_key, tags.c.key == c.key),
        fence,
    )
    missing_matches = _matches_missing_as_false(c)
    return sa.or_(match, absent) if missing_matches else match


def _matches_missing_as_false(c: Comparison) -> bool:
    value = "false"
    if c.op == "=":
        return c.value == value
    if c.op == "!=":
        return c.value != value
    if c.op in ("LIKE", "ILIKE"):
        # In Python, so linear (store/like.py): a regex took 16 s on '<90 x %>x' (issue 19).
        return like_pattern(str(c.value), case_sensitive=c.op == "LIKE").matches(value)
    return False


def model_filter_clauses(comparisons: Sequence[Comparison], dialect: str) -> list[Any]:
    clauses = []
    fence = fenced(dialect, len(comparisons))
    for c in comparisons:
        if c.kind == "tag":
            clauses.append(
                _tag_clause(
                    registered_model_tags,
                    registered_model_tags.c.model,
                    registered_models.c.id,
                    c,
                    dialect,
                    fence,
                )
            )
        else:
            clauses.append(_string_clause(registered_models.c.name, c.op, c.value, dialect))
    return clauses


def model_order(keys: Sequence[OrderKey]) -> list[Any]:
    columns = {
        "name": registered_models.c.name,
        "last_updated_timestamp": registered_models.c.last_updated_timestamp,
    }
    out = [columns[k.key].asc() if k.ascending else columns[k.key].desc() for k in keys]
    if not any(k.key == "name" for k in keys):
        out.append(registered_models.c.name.asc())
    return out


def version_filter_clauses(comparisons: Sequence[Comparison], dialect: str) -> list[Any]:
    clauses = []
    fence = fenced(dialect, len(comparisons))
    for c in comparisons:
        if c.kind == "tag":
            clauses.append(
                _tag_clause(
                    model_version_tags,
                    model_version_tags.c.version,
                    model_versions.c.id,
                    c,
                    dialect,
                    fence,
                )
            )
        elif c.key == "version_number":
            clauses.append(_numeric_clause(model_versions.c.version, c.op, c.value))
        else:
            column = {
                "name": registered_models.c.name,
                "run_id": model_versions.c.run_id,
                "source_path": model_versions.c.source,
            }[c.key]
            clauses.append(_string_clause(column, c.op, c.value, dialect))
    return clauses


def version_order(keys: Sequence[OrderKey]) -> list[Any]:
    columns = {
        "name": registered_models.c.name,
        "version_number": model_versions.c.version,
        "creation_timestamp": model_versions.c.creation_timestamp,
        "last_updated_timestamp": model_versions.c.last_updated_timestamp,
    }
    if not keys:
        keys = (
            OrderKey("attribute", "last_updated_timestamp", False),
            OrderKey("attribute", "name", True),
            OrderKey("attribute", "version_number", False),
        )
    out = [columns[k.key].asc() if k.ascending else columns[k.key].desc() for k in keys]
    named = {k.key for k in keys}
    if "name" not in named:
        out.append(registered_models.c.name.asc())
    if "version_number" not in named:
        out.append(model_versions.c.version.desc())
    return out
