"""runwell.models: the MLmodel format, signatures, input examples and model URIs.

    from runwell.models import Model, infer_signature
    signature = infer_signature(X, model.predict(X))
    Model.load("runs:/<run_id>/model").get_input_schema()

Imported on demand (it loads numpy/pandas for signatures), never by ``import runwell``.
"""

import importlib
from typing import Any

from runwell.models.datatype import DataType
from runwell.models.from_code import set_model
from runwell.models.input_example import convert_input_example_to_serving_input
from runwell.models.model import Model, ModelInfo
from runwell.models.plugins import get_flavor, list_flavors
from runwell.models.schema import ColSpec, ParamSchema, ParamSpec, Schema, TensorSpec
from runwell.models.serving_input import validate_serving_input
from runwell.models.signature import ModelSignature, infer_signature
from runwell.models.uri import download_model

__all__ = [
    "ColSpec",
    "DataType",
    "EvaluationArtifact",
    "EvaluationMetric",
    "EvaluationResult",
    "MetricThreshold",
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "convert_input_example_to_serving_input",
    "download_model",
    "evaluate",
    "get_flavor",
    "infer_signature",
    "list_flavors",
    "make_metric",
    "set_model",
    "validate_serving_input",
]

# Evaluation (runwell.evaluation) sits above pyfunc, so it loads on first use, by name: a
# static import here would break the layers contract (runwell.models below runwell.pyfunc).
_EVALUATION = frozenset(
    {
        "EvaluationArtifact",
        "EvaluationMetric",
        "EvaluationResult",
        "MetricThreshold",
        "evaluate",
        "make_metric",
    }
)


def __getattr__(name: str) -> Any:
    if name in _EVALUATION:
        return getattr(importlib.import_module("runwell.evaluation"), name)
    raise AttributeError(f"module 'runwell.models' has no attribute {name!r}")
