"""MLflow's module paths that scripts import from exist under runwell (issue 23, item 3)."""

from __future__ import annotations

import subprocess
import sys

import runwell
from runwell.models.schema import ColSpec, Schema


def test_types_client_and_version_are_where_mlflow_has_them() -> None:
    from runwell.client import MlflowClient
    from runwell.types import ColSpec as TypesColSpec
    from runwell.types import DataType, ParamSchema, ParamSpec, TensorSpec
    from runwell.version import VERSION

    assert MlflowClient is runwell.MlflowClient
    assert TypesColSpec is ColSpec and runwell.types.Schema is Schema
    assert {DataType.double.name, ParamSchema.__name__, ParamSpec.__name__} == {
        "double",
        "ParamSchema",
        "ParamSpec",
    }
    assert TensorSpec.__module__ == "runwell.models.schema"
    assert VERSION == runwell.__version__ == runwell.VERSION
    schema = Schema([ColSpec(DataType.double, "x")])
    assert schema.input_names() == ["x"]


def test_the_module_paths_cost_nothing_at_import_runwell() -> None:
    code = (
        "import sys, runwell; "
        "print(sorted(m for m in ('runwell.types', 'runwell.client', 'runwell.version', "
        "'pandas', 'sqlalchemy') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
