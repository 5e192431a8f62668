"""MLflow's ``mlflow.types``: the schema classes of model signatures, under the same path.

``from mlflow.types import Schema, ColSpec`` becomes ``from runwell.types import ...``; the
classes live in ``runwell.models.schema`` and ``runwell.models.datatype``.
"""

from runwell.models.datatype import DataType
from runwell.models.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec

__all__ = ["ColSpec", "DataType", "ParamSchema", "ParamSpec", "Schema", "TensorSpec"]
