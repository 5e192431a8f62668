"""Request fields as MLflow's server reads them, with errors that name the field.

A request's fields come from a JSON body (POST, PATCH, DELETE) or a query string (GET), per
reference/mlflow-rest-api.md §1.2: proto (snake_case) names with their lowerCamelCase alias
accepted, both spellings at once refused, unknown fields ignored, int64 as numbers or numeric
strings, doubles as numbers or ``"NaN"``/``"Infinity"``, enums by name or number, and query
booleans only as ``true``/``false``.

Types are checked for every field of every RPC, in MLflow's wording: a JSON number, bool, list
or object where a string belongs is a 400 "Invalid value 31 for parameter 'run_id' supplied"
(protobuf's parser refuses it, and the stock server's schema checks report it). An unknown enum
name reads as unset, as protobuf's parser with ``ignore_unknown_fields`` leaves it.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

from runwell.errors import InvalidArgument
from runwell.wire.codec import double_from_json, int64_from_json
from runwell.wire.errors import invalid_value, missing_value

E = TypeVar("E", bound=enum.Enum)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def decode_json_body(body: bytes) -> dict[str, Any]:
    """A request body as a JSON object; empty is ``{}``, and a JSON string holding JSON is
    decoded again (older clients send that)."""
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
        if isinstance(value, str):
            value = json.loads(value) if value.strip() else {}
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"Malformed JSON in the request body: {exc}.") from None
    if not isinstance(value, dict):
        raise InvalidArgument("Invalid request body: expected a JSON object.")
    return value


class Fields:
    """The fields of one request, read by name with type checks."""

    def __init__(self, values: Mapping[str, Any], *, from_query: bool = False) -> None:
        self._values = values
        self.from_query = from_query

    @classmethod
    def from_query_items(cls, items: Iterable[tuple[str, str]]) -> Fields:
        """Query parameters; a repeated key becomes a list."""
        values: dict[str, Any] = {}
        for key, value in items:
            if key in values:
                previous = values[key]
                values[key] = (
                    [*previous, value] if isinstance(previous, list) else [previous, value]
                )
            else:
                values[key] = value
        return cls(values, from_query=True)

    def raw(self, name: str) -> Any:
        """The value under ``name`` or its camelCase alias; None when absent."""
        alias = camel(name)
        if alias != name and alias in self._values:
            if name in self._values:
                raise InvalidArgument(f"Field '{name}' is given twice, as '{name}' and '{alias}'.")
            return self._values[alias]
        return self._values.get(name)

    def _scalar(self, name: str) -> Any:
        value = self.raw(name)
        if isinstance(value, list) and self.from_query:
            if len(value) > 1:
                raise InvalidArgument(f"Field '{name}' is given more than once.")
            value = value[0]
        return value

    @staticmethod
    def missing(name: str) -> InvalidArgument:
        return missing_value(name)

    def text(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self._scalar(name)
        if value is None or (required and value == ""):
            if required:
                raise self.missing(name)
            return default
        if not isinstance(value, str):
            # Protobuf's JSON parser refuses anything but a string here, ids sent as ints too.
            raise invalid_value(name, value)
        return value

    def required_text(self, name: str) -> str:
        value = self.text(name, required=True)
        assert value is not None
        return value

    def int64(self, name: str, *, required: bool = False) -> int | None:
        value = self._scalar(name)
        if value is None or (self.from_query and value == ""):
            if required:
                raise self.missing(name)
            return None
        return int64_from_json(value, name)

    def double(self, name: str, *, required: bool = False) -> float | None:
        value = self._scalar(name)
        if value is None:
            if required:
                raise self.missing(name)
            return None
        return double_from_json(value, name)

    def boolean(self, name: str, *, default: bool = False) -> bool:
        value = self._scalar(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value in ("true", "false"):
            return value == "true"
        raise invalid_value(name, value)

    def choice(self, name: str, kind: type[E], *, default: E | None = None) -> E | None:
        """An enum member by name (any case) or by its wire number; an unknown name is unset
        (``default``), an unknown number a 400, as MLflow's server reads enums."""
        value = self._scalar(name)
        if value is None or value == "":
            return default
        if isinstance(value, str):
            member = kind.__members__.get(value.upper())
            if member is not None:
                return member
            if not value.strip().lstrip("-").isdigit():
                return default
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            for member in kind:
                # Enums whose values are their names (RunStatus) carry the number apart.
                if getattr(member, "number", member.value) == value:
                    return member
        raise invalid_value(name, value)

    def strings(self, name: str) -> list[str]:
        """A repeated string field; in a query string a single value reads as a list of one
        (a JSON body must send a list, as protobuf's parser requires)."""
        value = self.raw(name)
        if value is None:
            return []
        if not isinstance(value, list) and not self.from_query:
            raise invalid_value(name, value)
        items = value if isinstance(value, list) else [value]
        out = []
        for item in items:
            if not isinstance(item, str):
                raise invalid_value(name, value)
            out.append(item)
        return out

    def objects(self, name: str) -> list[Mapping[str, Any]]:
        """A repeated message field (JSON bodies only)."""
        value = self.raw(name)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise invalid_value(name, value)
        return value
