"""DataType: the scalar type names of MLflow's column and param specs (reference §3.1).

The wire name is the member name (``long``, ``double`` ...). Each type knows the numpy dtype
and the Python type its values take, which schema enforcement and CSV parsing rely on.
"""

from __future__ import annotations

import datetime
import enum
from typing import Any

from runwell.errors import InvalidArgument


class DataType(enum.Enum):
    """A column or param type; ``integer`` is int32 and ``float`` float32, as in MLflow."""

    boolean = "bool"
    integer = "int32"
    long = "int64"
    float = "float32"
    double = "float64"
    string = "str"
    binary = "bytes"
    datetime = "datetime64[ns]"

    def to_numpy(self) -> Any:
        """The numpy dtype values of this type take (``str``/``bytes`` for text and bytes)."""
        import numpy as np

        return np.dtype(self.value)

    def to_pandas(self) -> Any:
        """The dtype of a pandas column of this type (object for text and bytes)."""
        import numpy as np

        if self in (DataType.string, DataType.binary):
            return np.dtype(object)
        return self.to_numpy()

    def to_python(self) -> type:
        """The Python type of one value (params are validated against it)."""
        return _PYTHON_TYPES[self]

    @classmethod
    def parse(cls, name: Any, where: str = "type") -> DataType:
        """The member called ``name``; InvalidArgument naming the accepted names otherwise."""
        if isinstance(name, DataType):
            return name
        member = cls.__members__.get(name) if isinstance(name, str) else None
        if member is None:
            names = ", ".join(cls.__members__)
            raise InvalidArgument(f"Invalid {where} {name!r}: expected one of {names}.")
        return member


_PYTHON_TYPES: dict[DataType, type] = {
    DataType.boolean: bool,
    DataType.integer: int,
    DataType.long: int,
    DataType.float: float,
    DataType.double: float,
    DataType.string: str,
    DataType.binary: bytes,
    DataType.datetime: datetime.datetime,
}
