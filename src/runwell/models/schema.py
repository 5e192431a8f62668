"""Schemas of model inputs, outputs and inference params, with MLflow's JSON (reference §3.1-3.2).

A ``Schema`` is a list of column specs (tabular data) or of tensor specs (arrays), never both,
and either all named or all unnamed. Composite column types (``array``, ``object``, ``map``,
``any``) are kept as their JSON so that a model written by MLflow round-trips unchanged;
enforcement passes such columns through.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models.datatype import DataType

COMPOSITE_TYPES = ("array", "object", "map", "any")


@dataclass(frozen=True)
class ColSpec:
    """One column: a scalar ``DataType`` or a composite type's JSON (a dict)."""

    type: DataType | dict[str, Any]
    name: str | None = None
    required: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.type, dict):
            object.__setattr__(self, "type", DataType.parse(self.type, "column type"))

    @property
    def is_composite(self) -> bool:
        return isinstance(self.type, dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = (
            dict(self.type) if isinstance(self.type, dict) else {"type": self.type.name}
        )
        if self.name is not None:
            out["name"] = self.name
        out["required"] = self.required
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColSpec:
        kind = data.get("type")
        name = data.get("name")
        required = bool(data.get("required", True))
        if kind in COMPOSITE_TYPES:
            composite = {k: v for k, v in data.items() if k not in ("name", "required")}
            return cls(type=composite, name=name, required=required)
        return cls(type=DataType.parse(kind, "column type"), name=name, required=required)


@dataclass(frozen=True)
class TensorSpec:
    """An array of a numpy dtype and shape; ``-1`` marks a dimension of any size."""

    type: Any  # numpy.dtype; kept untyped so that this module loads without numpy
    shape: tuple[int, ...]
    name: str | None = None

    def __post_init__(self) -> None:
        import numpy as np

        dtype = np.dtype(self.type)
        if dtype == np.dtype(object):
            raise InvalidArgument(
                "Invalid tensor dtype 'object': give a numeric, bool, str or bytes dtype."
            )
        object.__setattr__(self, "type", dtype)
        object.__setattr__(self, "shape", tuple(int(d) for d in self.shape))

    @property
    def required(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": str(self.type), "shape": list(self.shape)},
        }
        if self.name is not None:
            out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TensorSpec:
        spec = data.get("tensor-spec")
        if not isinstance(spec, dict) or "dtype" not in spec or "shape" not in spec:
            raise InvalidArgument(
                f"Invalid tensor spec {data!r}: expected 'tensor-spec' with 'dtype' and 'shape'."
            )
        try:
            return cls(type=spec["dtype"], shape=tuple(spec["shape"]), name=data.get("name"))
        except TypeError as exc:
            raise InvalidArgument(f"Invalid tensor spec {data!r}: {exc}.") from None


Spec = ColSpec | TensorSpec


class Schema:
    """The inputs (or outputs) of a model: column specs or tensor specs."""

    def __init__(self, inputs: Iterable[Spec]) -> None:
        self.inputs: list[Spec] = list(inputs)
        kinds = {type(spec) for spec in self.inputs}
        if len(kinds) > 1:
            raise InvalidArgument(
                "Invalid schema: it mixes column specs and tensor specs; use one kind."
            )
        named = {spec.name is not None for spec in self.inputs}
        if len(named) > 1:
            raise InvalidArgument("Invalid schema: either every input is named or none is.")
        names = [spec.name for spec in self.inputs if spec.name is not None]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidArgument(f"Invalid schema: duplicate input names {duplicates}.")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Schema) and self.inputs == other.inputs

    def __repr__(self) -> str:
        return f"Schema({self.inputs!r})"

    def __len__(self) -> int:
        return len(self.inputs)

    def is_tensor_spec(self) -> bool:
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    def has_input_names(self) -> bool:
        return bool(self.inputs) and self.inputs[0].name is not None

    def input_names(self) -> list[str | int]:
        """Names, or positions for an unnamed schema."""
        return [s.name if s.name is not None else i for i, s in enumerate(self.inputs)]

    def required_input_names(self) -> list[str | int]:
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if s.required]

    def optional_input_names(self) -> list[str | int]:
        return [n for n, s in zip(self.input_names(), self.inputs, strict=True) if not s.required]

    def input_types(self) -> list[Any]:
        """DataType (or composite JSON) per column, numpy dtype per tensor."""
        return [s.type for s in self.inputs]

    def input_types_dict(self) -> dict[str, Any]:
        if not self.has_input_names():
            raise InvalidArgument("This schema has no input names.")
        return {str(s.name): s.type for s in self.inputs}

    def numpy_types(self) -> list[Any]:
        """The numpy dtype of each input (object for composite columns)."""
        import numpy as np

        out: list[Any] = []
        for spec in self.inputs:
            if isinstance(spec, TensorSpec):
                out.append(spec.type)
            elif isinstance(spec.type, dict):
                out.append(np.dtype(object))
            else:
                out.append(spec.type.to_numpy())
        return out

    def to_dict(self) -> list[dict[str, Any]]:
        return [spec.to_dict() for spec in self.inputs]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"Invalid schema JSON {text!r}: {exc}.") from None
        if not isinstance(data, list):
            raise InvalidArgument(f"Invalid schema JSON {text!r}: expected a list of specs.")
        specs: list[Spec] = []
        for item in data:
            if not isinstance(item, dict):
                raise InvalidArgument(f"Invalid schema entry {item!r}: expected an object.")
            if item.get("type") == "tensor":
                specs.append(TensorSpec.from_dict(item))
            else:
                specs.append(ColSpec.from_dict(item))
        return cls(specs)


@dataclass(frozen=True)
class ParamSpec:
    """An inference param: name, scalar type, default, and shape ``None`` or ``(-1,)``."""

    name: str
    dtype: DataType
    default: Any
    shape: tuple[int, ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "dtype", DataType.parse(self.dtype, f"type of param {self.name!r}")
        )
        if self.shape is not None:
            shape = tuple(self.shape)
            if shape != (-1,):
                raise InvalidArgument(
                    f"Invalid shape {list(shape)} of param {self.name!r}: expected null or [-1]."
                )
            object.__setattr__(self, "shape", shape)
        if self.default is not None:
            object.__setattr__(self, "default", self.validate(self.default))

    def validate(self, value: Any) -> Any:
        """``value`` converted to this param's type; InvalidArgument when it cannot be."""
        if self.shape is None:
            return _param_scalar(self, value)
        if not isinstance(value, (list, tuple)) and type(value).__name__ != "ndarray":
            raise InvalidArgument(
                f"Invalid value {value!r} for param {self.name!r}: expected a list of "
                f"{self.dtype.name} (shape [-1])."
            )
        return [_param_scalar(self, item) for item in list(value)]

    def to_dict(self) -> dict[str, Any]:
        default = self.default
        if self.dtype is DataType.datetime and default is not None:
            default = [d.isoformat() for d in default] if self.shape else default.isoformat()
        if self.dtype is DataType.binary and default is not None:
            default = [d.decode() for d in default] if self.shape else default.decode()
        return {
            "name": self.name,
            "default": default,
            "shape": list(self.shape) if self.shape is not None else None,
            "type": self.dtype.name,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ParamSpec:
        if not isinstance(data, dict) or "name" not in data or "type" not in data:
            raise InvalidArgument(
                f"Invalid param spec {data!r}: expected an object with 'name' and 'type'."
            )
        shape = data.get("shape")
        return cls(
            name=data["name"],
            dtype=DataType.parse(data["type"], f"type of param {data['name']!r}"),
            default=data.get("default"),
            shape=tuple(shape) if shape is not None else None,
        )


def _param_scalar(spec: ParamSpec, value: Any) -> Any:
    import datetime as dt

    expected = spec.dtype
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()  # numpy scalars
    ok = False
    if expected is DataType.boolean:
        ok = isinstance(value, bool)
    elif expected in (DataType.integer, DataType.long):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif expected in (DataType.float, DataType.double):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value, ok = float(value), True
    elif expected is DataType.string:
        ok = isinstance(value, str)
    elif expected is DataType.binary:
        if isinstance(value, str):
            value = value.encode()
        ok = isinstance(value, bytes)
    elif expected is DataType.datetime:
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value)
            except ValueError:
                pass
        elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        ok = isinstance(value, dt.datetime)
    if not ok:
        raise InvalidArgument(
            f"Invalid value {value!r} for param {spec.name!r}: expected type {expected.name}."
        )
    return value


class ParamSchema:
    """The inference params a model accepts, each with its default."""

    def __init__(self, params: Sequence[ParamSpec]) -> None:
        self.params = list(params)
        names = [p.name for p in self.params]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise InvalidArgument(f"Invalid params schema: duplicate param names {duplicates}.")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParamSchema) and self.params == other.params

    def __repr__(self) -> str:
        return f"ParamSchema({self.params!r})"

    def to_dict(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def to_json(self) -> str:
        return json.dumps(self.to_dict())

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    @classmethod
    def from_json(cls, text: str) -> ParamSchema:
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(f"Invalid params schema JSON {text!r}: {exc}.") from None
        if not isinstance(data, list):
            raise InvalidArgument(f"Invalid params schema JSON {text!r}: expected a list.")
        return cls([ParamSpec.from_dict(item) for item in data])
