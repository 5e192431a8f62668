"""Search filters and ``order_by`` clauses, in MLflow's syntax (page tokens: page_tokens.py).

MLflow's ``runs/search`` and ``experiments/search`` take a SQL-like filter string of comparisons
joined by ``AND`` and a list of ``order_by`` clauses (and an opaque page token). This module turns
them into plain values that every store (SQL or in-memory) evaluates the same way::

    parse_run_filter("metrics.loss < 0.5 and tags.`mlflow.runName` LIKE 'r%'")
    # (Comparison(kind='metric', key='loss', op='<', value=0.5),
    #  Comparison(kind='tag', key='mlflow.runName', op='LIKE', value='r%'))
    parse_run_order_by(["metrics.loss DESC", "created"])
    # (OrderKey(kind='metric', key='loss', ascending=False),
    #  OrderKey(kind='attribute', key='start_time', ascending=True))

The accepted grammar is the stock server's (``shared/reference/mlflow-search-syntax.md``,
sections 1-3 and 7); every rejected input raises ``InvalidArgument`` naming what was wrong.
The tokenizer is our own: a filter is short and parsed on every search, and identical strings
are answered from a cache because the results are immutable.

Every search is bounded before a database sees it (issue 19): a filter holds at most
``MAX_FILTER_LENGTH`` characters, ``MAX_FILTER_CLAUSES`` comparisons and, in each LIKE or ILIKE
pattern, ``MAX_LIKE_WILDCARDS`` '%'; an ``order_by`` at most ``MAX_ORDER_BY_CLAUSES`` clauses.
The tokenizer's regex cannot backtrack, and LIKE patterns matched in Python go through
``store/like.py``, never a regex.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from runwell.errors import InvalidArgument


@dataclass(frozen=True, slots=True)
class Comparison:
    """One ``identifier comparator value`` clause of a filter.

    Attributes:
        kind: ``"metric"``, ``"param"``, ``"tag"``, ``"attribute"`` or ``"dataset"``.
        key: The unquoted key; attribute aliases (``created``, ``Run name``) are resolved.
        op: ``=``, ``!=``, ``>``, ``>=``, ``<``, ``<=``, ``LIKE``, ``ILIKE``, ``IN``,
            ``NOT IN``, ``IS NULL`` or ``IS NOT NULL``.
        value: A float for metrics, an int or float for numeric attributes, a str for string
            comparisons, a tuple of str for ``IN``/``NOT IN`` and None for ``IS [NOT] NULL``.
    """

    kind: str
    key: str
    op: str
    value: float | int | str | tuple[str, ...] | None


@dataclass(frozen=True, slots=True)
class OrderKey:
    """One ``order_by`` clause: sort by ``kind``/``key``, ascending or not."""

    kind: str
    key: str
    ascending: bool


_NUMERIC_OPS = ("=", "!=", ">", ">=", "<", "<=")
_STRING_OPS = ("=", "!=", "LIKE", "ILIKE")
_LIST_OPS = ("IN", "NOT IN")
_NULL_OPS = ("IS NULL", "IS NOT NULL")
_ALL_OPS = _NUMERIC_OPS + _STRING_OPS[2:] + _LIST_OPS + _NULL_OPS
_DATASET_KEYS = ("name", "digest", "context")
_NOUNS = {"param": "parameter"}  # kinds named differently in messages
_BAD_CLAUSE_STARTS = {  # token text, upper-cased -> why it cannot start a comparison
    "(": "Invalid clause(s): parentheses around comparisons are not supported",
    "NOT": "NOT is only supported as part of NOT IN and IS NOT NULL",
    "OR": "Invalid clause(s): expected a comparison, got 'OR'",
    "AND": "Invalid clause(s): expected a comparison, got 'AND'",
}
_QUOTE_HINT = "if a key has '-', '/', ':' or spaces, quote it: params.`my-key` or params.\"my-key\""

# Bounds on every search filter (runs, experiments, registered models, model versions, logged
# models), checked before any database sees it (issue 19). Each comparison is a subquery, and
# PostgreSQL took 18 s to plan and run 100 of them, 82 s for 200. Filters people write or
# MLflow's clients build hold a handful of comparisons; 50 leaves room for generated ones.
# 10,000 characters fit that many comparisons, or an IN list of some 250 run ids.
MAX_FILTER_CLAUSES = 50
MAX_FILTER_LENGTH = 10_000
# '%' wildcards in one LIKE or ILIKE pattern, once each run of wildcards is written as one '%':
# a pattern's cost per compared value grows with them. People write one to three.
MAX_LIKE_WILDCARDS = 100
# Each order_by key on a metric, param or tag joins one more table: MariaDB refuses a query of
# more than 61 tables (that was a 503), and 500 keys overflowed SQLAlchemy's compiler (a 500).
MAX_ORDER_BY_CLAUSES = 20
_WILDCARD_RUN = re.compile(r"[%_]+")


@dataclass(frozen=True, slots=True)
class _Grammar:
    """What one search accepts: entity prefixes, attribute keys and what they compare with."""

    entity_types: Mapping[str, str]  # prefix as written -> canonical kind
    string_attributes: tuple[str, ...]
    numeric_attributes: tuple[str, ...]
    list_attributes: tuple[str, ...]  # string attributes that also take IN / NOT IN
    attribute_aliases: Mapping[str, str]
    order_kinds: tuple[str, ...]

    def attribute(self, key: str) -> str:
        return self.attribute_aliases.get(key, key)


def _prefixes(**kinds: str) -> dict[str, str]:
    """``metric="metric metrics"`` -> ``{"metric": "metric", "metrics": "metric"}``."""
    return {prefix: kind for kind, prefixes in kinds.items() for prefix in prefixes.split()}


_RUN_GRAMMAR = _Grammar(
    entity_types=_prefixes(
        metric="metric metrics",
        param="parameter param params parameters",
        tag="tag tags",
        attribute="attribute attr attributes run",
        dataset="dataset datasets",
    ),
    string_attributes=("run_id", "run_name", "status", "user_id", "artifact_uri"),
    numeric_attributes=("start_time", "end_time"),
    list_attributes=("run_id",),
    attribute_aliases={"run name": "run_name", "Run name": "run_name", "Run Name": "run_name"}
    | {"created": "start_time", "Created": "start_time"},
    order_kinds=("metric", "param", "tag", "attribute"),
)
_EXPERIMENT_GRAMMAR = _Grammar(
    entity_types=_prefixes(attribute="attribute attributes", tag="tag tags"),
    string_attributes=("name", "experiment_id"),
    numeric_attributes=("creation_time", "last_update_time"),
    list_attributes=("experiment_id",),
    attribute_aliases={},
    order_kinds=("attribute",),
)
_LOGGED_MODEL_GRAMMAR = _Grammar(
    entity_types=_prefixes(
        metric="metric metrics",
        param="parameter param params parameters",
        tag="tag tags",
        attribute="attribute attributes attr",
    ),
    string_attributes=("name", "model_id", "model_type", "source_run_id", "status"),
    numeric_attributes=("creation_timestamp", "last_updated_timestamp"),
    list_attributes=("name", "model_id", "source_run_id", "status"),
    attribute_aliases={
        "creation_time": "creation_timestamp",
        "last_updated_time": "last_updated_timestamp",
    },
    order_kinds=("metric", "param", "tag", "attribute"),
)
_GRAMMARS = {
    "run": _RUN_GRAMMAR,
    "experiment": _EXPERIMENT_GRAMMAR,
    "logged_model": _LOGGED_MODEL_GRAMMAR,
}


# --- tokenizer ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # "backtick" | "string" | "number" | "name" | "op" | "punct"
    text: str  # as written, quotes included

    def is_word(self, word: str) -> bool:
        return self.kind == "name" and self.text.upper() == word

    def is_punct(self, char: str) -> bool:
        return self.kind == "punct" and self.text == char


# A name may carry dots (``tags.mlflow.runName``); the identifier parser splits it at the first.
# A number must not run into a name (``1abc``), which then lexes as a name and fails as a value.
_TOKEN_RE = re.compile(
    r"""
      (?P<ws>\s+)
    | (?P<backtick>`[^`]*`)
    | (?P<string>'(?:[^'\\]|\\.|'')*'|"(?:[^"\\]|\\.|"")*")
    | (?P<number>-?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)(?![\w.])
    | (?P<name>\w+(?:\.\w+)*)
    | (?P<op>!=|>=|<=|=|<|>)
    | (?P<punct>[.(),;])
    """,
    re.VERBOSE | re.DOTALL,
)


def _tokenize(source: str, context: str) -> tuple[_Token, ...]:
    tokens: list[_Token] = []
    pos = 0
    while pos < len(source):
        match = _TOKEN_RE.match(source, pos)
        if match is None:
            char = source[pos]
            if char in "'\"`":
                detail = f"unterminated {char}...{char} quoting starting at position {pos}"
            else:
                detail = f"unexpected character {char!r} at position {pos}; {_QUOTE_HINT}"
            raise InvalidArgument(f"Invalid {context} {source!r}: {detail}")
        kind = match.lastgroup
        assert kind is not None  # every alternative is a named group
        if kind != "ws":
            tokens.append(_Token(kind, match.group()))
        pos = match.end()
    return tuple(tokens)


def _unquote(token: _Token) -> str:
    """The text inside quotes: a doubled quote or a backslash before a quote or a backslash
    stands for that character; any other backslash is kept (LIKE patterns, Windows paths)."""
    quote, body = token.text[0], token.text[1:-1]
    if quote == "`":
        return body
    return re.sub(rf"\\([\\{quote}])|{quote}{quote}", lambda m: m.group(1) or quote, body)


class _Cursor:
    """Walks the tokens of one filter or order_by clause; errors quote the whole source."""

    __slots__ = ("_context", "_index", "_source", "tokens")

    def __init__(self, source: str, context: str) -> None:
        self._source = source
        self._context = context
        self.tokens = _tokenize(source, context)
        self._index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self._index] if self._index < len(self.tokens) else None

    def next(self) -> _Token | None:
        token = self.peek()
        self._index += 1
        return token

    def error(self, detail: str) -> InvalidArgument:
        return InvalidArgument(f"Invalid {self._context} {self._source!r}: {detail}")


def _shown(token: _Token | None) -> str:
    return "the end" if token is None else repr(token.text)


# --- filters -----------------------------------------------------------------------------------


def _parse_identifier(cursor: _Cursor) -> tuple[str | None, str]:
    """``[entity_type '.'] key`` -> (entity type as written or None, unquoted key)."""
    token = cursor.next()
    if token is not None and token.kind == "name":
        head, dot, rest = token.text.partition(".")
        if dot:
            return head, rest
        first = head
    elif token is not None and (token.kind == "backtick" or token.text.startswith('"')):
        first = _unquote(token)
        if token.kind == "string":  # a double-quoted name is always a key
            return None, first
    else:
        raise cursor.error(f"expected an identifier such as metrics.loss, got {_shown(token)}")
    following = cursor.peek()
    if following is None or not following.is_punct("."):
        return None, first
    cursor.next()
    key_token = cursor.next()
    if key_token is None or not (
        key_token.kind in ("name", "backtick") or key_token.text.startswith('"')
    ):
        raise cursor.error(f"expected a key after '{first}.', got {_shown(key_token)}")
    key = key_token.text if key_token.kind == "name" else _unquote(key_token)
    if not key:
        raise cursor.error(f"the key after '{first}.' is empty")
    return first, key


def _parse_comparator(cursor: _Cursor, identifier: str) -> str:
    token = cursor.next()
    if token is not None and token.kind == "op":
        return token.text
    if token is not None and token.kind == "name":
        word = token.text.upper()
        if word in ("LIKE", "ILIKE", "IN"):
            return word
        if word == "NOT" and (following := cursor.next()) is not None and following.is_word("IN"):
            return "NOT IN"
        if word == "IS":
            negated = (following := cursor.next()) is not None and following.is_word("NOT")
            if negated:
                following = cursor.next()
            if following is not None and following.is_word("NULL"):
                return "IS NOT NULL" if negated else "IS NULL"
    # A word or number right after the identifier usually means an unquoted key was split.
    hint = f"; {_QUOTE_HINT}" if token is not None and token.kind in ("name", "number") else ""
    raise cursor.error(
        f"expected a comparator ({', '.join(_ALL_OPS)}) after {identifier!r}, "
        f"got {_shown(token)}{hint}"
    )


def _parse_string_list(cursor: _Cursor, op: str) -> tuple[str, ...]:
    """``'(' quoted-string (',' quoted-string)* [','] ')'``, as a Python tuple literal reads."""
    opening = cursor.next()
    if opening is None or not opening.is_punct("("):
        raise cursor.error(
            f"{op} expects a parenthesised list of quoted strings such as ('a', 'b'), "
            f"got {_shown(opening)}"
        )
    items: list[str] = []
    while True:
        token = cursor.next()
        if token is not None and token.is_punct(")") and items:
            return tuple(items)
        if token is None or token.kind != "string":
            what = "must not be empty" if token is not None and token.is_punct(")") else ""
            raise cursor.error(
                f"the {op} list {what or 'may hold only quoted strings'}, got {_shown(token)}"
            )
        items.append(_unquote(token))
        separator = cursor.next()
        if separator is not None and separator.is_punct(")"):
            return tuple(items)
        if separator is None or not separator.is_punct(","):
            raise cursor.error(f"expected ',' or ')' in the {op} list, got {_shown(separator)}")


def _parse_filter(source: str, grammar: _Grammar) -> tuple[Comparison, ...]:
    if len(source) > MAX_FILTER_LENGTH:
        raise InvalidArgument(
            f"Invalid filter string {source[:80]!r}...: it is {len(source):,} characters long, "
            f"more than the limit of {MAX_FILTER_LENGTH:,}; narrow the search with fewer or "
            "shorter comparisons"
        )
    cursor = _Cursor(source, "filter string")
    if any(token.is_punct(";") for token in cursor.tokens):
        raise cursor.error("Provide AND-ed expression list; ';' is not allowed")
    comparisons: list[Comparison] = []
    while (start := cursor.peek()) is not None:
        if start.kind in ("name", "punct"):
            if (problem := _BAD_CLAUSE_STARTS.get(start.text.upper())) is not None:
                raise cursor.error(problem)
        entity, key = _parse_identifier(cursor)
        identifier = key if entity is None else f"{entity}.{key}"
        op = _parse_comparator(cursor, identifier)
        value: _Token | tuple[str, ...] | None = None
        if op in _LIST_OPS:
            value = _parse_string_list(cursor, op)
        elif op not in _NULL_OPS:
            value = cursor.next()
            if value is None:
                raise cursor.error(f"expected a value after {identifier!r} {op}")
        comparisons.append(_check(grammar, entity, key, op, value))
        separator = cursor.next()
        if separator is None or separator.is_word("AND"):
            continue  # MLflow tolerates a dangling trailing AND
        if separator.is_word("OR"):
            raise cursor.error("Invalid clause(s): 'OR' is not supported, only AND")
        raise cursor.error(
            f"Invalid clause(s): expected AND after the comparison on {identifier!r}, "
            f"got {_shown(separator)}"
        )
    if len(comparisons) > MAX_FILTER_CLAUSES:
        raise InvalidArgument(
            f"Invalid filter string {source[:80]!r}...: it has {len(comparisons)} comparisons, "
            f"more than the limit of {MAX_FILTER_CLAUSES}; narrow the search with fewer "
            "comparisons (an IN list counts as one)"
        )
    return tuple(comparisons)


def _resolve_kind(grammar: _Grammar, entity: str | None, what: str) -> str:
    if entity is None:
        return "attribute"
    kind = grammar.entity_types.get(entity)
    if kind is None:
        raise InvalidArgument(
            f"Invalid entity type {entity!r} in {what}. Valid values are "
            f"{sorted(grammar.entity_types)} (or none, for an attribute)"
        )
    return kind


def _allowed(grammar: _Grammar, kind: str, key: str) -> tuple[tuple[str, ...], bool]:
    """(comparators, whether the value is numeric) for one kind and key."""
    if kind == "metric":
        return _NUMERIC_OPS, True
    if kind in ("param", "tag"):
        return _STRING_OPS + _NULL_OPS, False
    if kind == "dataset":
        if key not in _DATASET_KEYS:
            raise InvalidArgument(
                f"Invalid dataset key {key!r}. Valid keys are {list(_DATASET_KEYS)}"
            )
        return _STRING_OPS + _LIST_OPS, False
    if key in grammar.numeric_attributes:
        return _NUMERIC_OPS, True
    if key in grammar.string_attributes:
        listable = key in grammar.list_attributes
        return (_STRING_OPS + _LIST_OPS if listable else _STRING_OPS), False
    valid = sorted([*grammar.string_attributes, *grammar.numeric_attributes])
    raise InvalidArgument(f"Invalid attribute key {key!r}. Valid keys are {valid}")


def _check(
    grammar: _Grammar,
    entity: str | None,
    raw_key: str,
    op: str,
    value: _Token | tuple[str, ...] | None,
) -> Comparison:
    """Validate one parsed clause against the search's rules and build its Comparison."""
    kind = _resolve_kind(grammar, entity, "filter")
    key = grammar.attribute(raw_key) if kind == "attribute" else raw_key
    ops, numeric = _allowed(grammar, kind, key)
    noun = ("numeric " if kind == "attribute" and numeric else "") + _NOUNS.get(kind, kind)
    if op not in ops:
        if op in _LIST_OPS and kind == "attribute" and not numeric:
            raise InvalidArgument(
                f"Only {list(grammar.list_attributes)} attributes support comparison with a "
                f"list of quoted string values (got {key!r} {op})."
            )
        raise InvalidArgument(
            f"Invalid comparator {op!r} for {noun} {key!r}; expected one of {', '.join(ops)}"
        )
    if not isinstance(value, _Token):  # IN list or IS [NOT] NULL: shape checked by the parser
        return Comparison(kind, key, op, value)
    if numeric:
        if value.kind != "number":
            raise InvalidArgument(
                f"Expected numeric value type for {noun} {key!r}, got {value.text}"
            )
        text = value.text  # attributes keep ints exact (epoch ms); metrics are floats
        number = int(text) if kind != "metric" and text.lstrip("-").isdigit() else float(text)
        if isinstance(number, int) and not -(2**63) <= number < 2**63:
            # The columns are 64-bit integers: a driver cannot bind a larger Python int (500).
            raise InvalidArgument(
                f"Invalid value {text} for {noun} {key!r}: expected an integer in the signed "
                "64-bit range (-9223372036854775808 to 9223372036854775807)."
            )
        return Comparison(kind, key, op, number)
    if value.kind != "string":
        quoted = f" (quote it: '{value.text}')" if value.kind in ("name", "number") else ""
        raise InvalidArgument(
            f"Expected a quoted string value for {noun} {key!r}, got {value.text}{quoted}"
        )
    text = _unquote(value)
    if op in ("LIKE", "ILIKE"):
        text = _like_pattern(text, f"{noun} {key!r}")
    return Comparison(kind, key, op, text)


def _like_pattern(pattern: str, what: str) -> str:
    """``pattern`` with each run of wildcards holding a '%' written as its '_'s and one '%'.

    The two match the same strings, and the short form is cheaper everywhere: a database's
    LIKE recurses at each '%' (MariaDB runs out of stack at about 1,600 of them). At most
    ``MAX_LIKE_WILDCARDS`` '%' remain after that.
    """
    normal = _WILDCARD_RUN.sub(
        lambda run: "_" * run.group().count("_") + ("%" if "%" in run.group() else ""), pattern
    )
    if (count := normal.count("%")) > MAX_LIKE_WILDCARDS:
        raise InvalidArgument(
            f"Invalid LIKE pattern for {what}: it has {count} '%' wildcards (a run of them "
            f"counts once), more than the limit of {MAX_LIKE_WILDCARDS}"
        )
    return normal


@functools.lru_cache(maxsize=1024)
def _cached_filter(source: str, search: str) -> tuple[Comparison, ...]:
    return _parse_filter(source, _GRAMMARS[search])


def parse_run_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """Parse a ``runs/search`` filter; None, empty or blank means "match everything".

    Raises:
        InvalidArgument: The string is not comparisons joined by AND, or a comparison does not
            fit its kind (unknown attribute, wrong comparator, unquoted string, quoted metric).
    """
    if filter_string is None or not filter_string.strip():
        return ()
    return _cached_filter(filter_string, "run")


def parse_experiment_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """Parse an ``experiments/search`` filter: attributes and tags only.

    Raises:
        InvalidArgument: As for ``parse_run_filter``.
    """
    if filter_string is None or not filter_string.strip():
        return ()
    return _cached_filter(filter_string, "experiment")


def parse_logged_model_filter(filter_string: str | None) -> tuple[Comparison, ...]:
    """Parse a ``logged-models/search`` filter: attributes, metrics, params and tags.

    Raises:
        InvalidArgument: As for ``parse_run_filter``.
    """
    if filter_string is None or not filter_string.strip():
        return ()
    return _cached_filter(filter_string, "logged_model")


# --- order_by ----------------------------------------------------------------------------------


def _parse_order_clause(clause: str, grammar: _Grammar) -> OrderKey:
    cursor = _Cursor(clause, "order_by clause")
    if cursor.peek() is None:
        raise cursor.error("expected an identifier, optionally followed by ASC or DESC")
    entity, raw_key = _parse_identifier(cursor)
    direction = cursor.next()
    ascending = True
    if direction is not None:
        if not (direction.is_word("ASC") or direction.is_word("DESC")):
            raise cursor.error(
                f"expected ASC or DESC after the identifier, got {_shown(direction)}"
            )
        ascending = direction.is_word("ASC")
        if (extra := cursor.next()) is not None:
            raise cursor.error(f"unexpected {_shown(extra)} after {direction.text}")
    kind = _resolve_kind(grammar, entity, f"order_by clause {clause!r}")
    if kind not in grammar.order_kinds:
        raise InvalidArgument(f"Invalid order_by entity: {kind} (in {clause!r})")
    key = grammar.attribute(raw_key) if kind == "attribute" else raw_key
    if kind == "attribute":
        _allowed(grammar, kind, key)  # raises for an unknown attribute key
    return OrderKey(kind, key, ascending)


def check_order_by_size(clauses: Sequence[str]) -> None:
    """Refuse more than ``MAX_ORDER_BY_CLAUSES`` clauses, or one over ``MAX_FILTER_LENGTH``."""
    if len(clauses) > MAX_ORDER_BY_CLAUSES:
        raise InvalidArgument(
            f"Invalid order_by: it has {len(clauses)} clauses, more than the limit of "
            f"{MAX_ORDER_BY_CLAUSES}"
        )
    for clause in clauses:
        if len(clause) > MAX_FILTER_LENGTH:
            raise InvalidArgument(
                f"Invalid order_by clause {clause[:80]!r}...: it is {len(clause):,} characters "
                f"long, more than the limit of {MAX_FILTER_LENGTH:,}"
            )


def _parse_order_by(clauses: tuple[str, ...], grammar: _Grammar) -> tuple[OrderKey, ...]:
    check_order_by_size(clauses)
    keys: list[OrderKey] = []
    seen: set[tuple[str, str]] = set()
    for clause in clauses:
        order_key = _parse_order_clause(clause, grammar)
        if (order_key.kind, order_key.key) in seen:
            raise InvalidArgument(
                f"`order_by` contains duplicate fields: {order_key.kind} {order_key.key!r} "
                f"appears more than once in {list(clauses)}"
            )
        seen.add((order_key.kind, order_key.key))
        keys.append(order_key)
    return tuple(keys)


@functools.lru_cache(maxsize=512)
def _cached_order_by(clauses: tuple[str, ...], search: str) -> tuple[OrderKey, ...]:
    return _parse_order_by(clauses, _GRAMMARS[search])


def _as_clauses(order_by: Sequence[str] | None) -> tuple[str, ...]:
    if order_by is None:
        return ()
    # A lone string is a Sequence[str] too; read it as one clause, not as its characters.
    return (order_by,) if isinstance(order_by, str) else tuple(order_by)


def parse_run_order_by(order_by: Sequence[str] | None) -> tuple[OrderKey, ...]:
    """Parse ``runs/search`` order_by clauses (``"<identifier> [ASC|DESC]"`` each).

    Raises:
        InvalidArgument: A clause does not parse, names an unknown attribute or a dataset, or
            two clauses sort on the same field.
    """
    return _cached_order_by(_as_clauses(order_by), "run")


def parse_experiment_order_by(order_by: Sequence[str] | None) -> tuple[OrderKey, ...]:
    """Parse ``experiments/search`` order_by clauses: attributes only.

    Raises:
        InvalidArgument: As for ``parse_run_order_by``; tags give "Invalid order_by entity: tag".
    """
    return _cached_order_by(_as_clauses(order_by), "experiment")


def parse_logged_model_order_by(fields: Sequence[tuple[str, bool]]) -> tuple[OrderKey, ...]:
    """Parse ``logged-models/search`` order_by objects, given as (field_name, ascending) pairs.

    A field name is an identifier as in a filter (``creation_timestamp``, ``tags.`a-b```).

    Raises:
        InvalidArgument: As for ``parse_run_order_by``.
    """
    clauses = tuple(f"{name} {'ASC' if ascending else 'DESC'}" for name, ascending in fields)
    return _cached_order_by(clauses, "logged_model")
