"""The package surface: light import, sorted exports, the error table."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import runwell
from runwell.errors import AlreadyExists, ErrorCode, NotFound, error_for_code

HEAVY = (
    "sqlalchemy",
    "alembic",
    "pandas",
    "numpy",
    "starlette",
    "uvicorn",
    "fastapi",
    "sklearn",
    "psutil",
    "torch",
    "pyspark",
    "yaml",
    "httpx",
    "orjson",
    "cloudpickle",
    "skops",
    "runwell.models",
    "runwell.pyfunc",
    "runwell.sklearn",
    "runwell.scoring",
)


def test_import_runwell_loads_no_heavy_modules() -> None:
    code = "import json, sys, runwell; print(json.dumps(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    loaded = json.loads(done.stdout)
    heavy = sorted(({m.split(".")[0] for m in loaded} | set(loaded)) & set(HEAVY))
    assert heavy == []


def test_model_packages_load_on_first_use_as_attributes() -> None:
    code = (
        "import sys, runwell; before = 'runwell.sklearn' in sys.modules; "
        "print(before, runwell.sklearn.__name__, runwell.pyfunc.load_model.__module__)"
    )
    done = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    before, name, module = done.stdout.split()
    assert (before, name) == ("False", "runwell.sklearn")
    assert module.startswith("runwell.pyfunc")
    with pytest.raises(AttributeError, match="no_such_thing"):
        runwell.no_such_thing  # noqa: B018


def test_all_is_sorted_and_complete() -> None:
    assert runwell.__all__ == sorted(runwell.__all__)
    for name in runwell.__all__:
        assert hasattr(runwell, name), name


def test_error_codes_carry_mlflow_http_statuses() -> None:
    assert ErrorCode.RESOURCE_ALREADY_EXISTS.http_status == 400
    assert ErrorCode.RESOURCE_DOES_NOT_EXIST.http_status == 404
    assert ErrorCode.INVALID_PARAMETER_VALUE.http_status == 400
    assert ErrorCode.TEMPORARILY_UNAVAILABLE.http_status == 503
    assert ErrorCode.ALREADY_EXISTS.http_status == 409
    assert isinstance(error_for_code("RESOURCE_DOES_NOT_EXIST", "x"), NotFound)
    assert isinstance(error_for_code("RESOURCE_ALREADY_EXISTS", "x"), AlreadyExists)
    unknown = error_for_code("SOMETHING_NEW", "x")
    assert unknown.code is ErrorCode.INTERNAL_ERROR and unknown.http_status == 500
