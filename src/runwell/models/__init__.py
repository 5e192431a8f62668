"""runwell.models: the MLmodel format, signatures, input examples and model URIs.

    from runwell.models import Model, infer_signature
    signature = infer_signature(X, model.predict(X))
    Model.load("runs:/<run_id>/model").get_input_schema()

Imported on demand (it loads numpy/pandas for signatures), never by ``import runwell``.
"""

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
    "Model",
    "ModelInfo",
    "ModelSignature",
    "ParamSchema",
    "ParamSpec",
    "Schema",
    "TensorSpec",
    "convert_input_example_to_serving_input",
    "download_model",
    "get_flavor",
    "infer_signature",
    "list_flavors",
    "set_model",
    "validate_serving_input",
]
