"""Signatures: the JSON of specs (reference §3.1-3.2) and inference from example data."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from runwell.errors import InvalidArgument
from runwell.models import (
    ColSpec,
    DataType,
    ModelSignature,
    ParamSchema,
    ParamSpec,
    Schema,
    TensorSpec,
    infer_signature,
)


def test_column_schema_json_matches_mlflow() -> None:
    schema = Schema([ColSpec(DataType.double, "a"), ColSpec(DataType.long, "b", required=False)])
    assert json.loads(schema.to_json()) == [
        {"type": "double", "name": "a", "required": True},
        {"type": "long", "name": "b", "required": False},
    ]
    assert Schema.from_json(schema.to_json()) == schema


def test_tensor_schema_json_matches_mlflow() -> None:
    schema = Schema([TensorSpec(np.dtype("float64"), (-1, 2))])
    assert schema.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}
    ]
    assert Schema.from_json(schema.to_json()) == schema
    assert schema.is_tensor_spec()
    assert schema.numpy_types() == [np.dtype("float64")]


def test_schema_helpers_the_scoring_server_uses() -> None:
    schema = Schema([ColSpec(DataType.double, "a"), ColSpec(DataType.string, "s", required=False)])
    assert not schema.is_tensor_spec()
    assert schema.has_input_names()
    assert schema.input_names() == ["a", "s"]
    assert schema.required_input_names() == ["a"]
    assert schema.input_types() == [DataType.double, DataType.string]
    assert schema.numpy_types() == [np.dtype("float64"), np.dtype("str")]
    unnamed = Schema([ColSpec(DataType.string)])
    assert not unnamed.has_input_names()
    assert unnamed.input_names() == [0]


def test_composite_column_types_round_trip() -> None:
    text = json.dumps(
        [
            {"type": "array", "items": {"type": "string"}, "name": "tags", "required": True},
            {"type": "any", "name": "x", "required": False},
        ]
    )
    assert json.loads(Schema.from_json(text).to_json()) == json.loads(text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[{"type": "decimal", "name": "a"}]', "decimal"),
        ('[{"type": "double", "name": "a"}, {"type": "double"}]', "named"),
        (
            '[{"type": "double", "name": "a"}, '
            '{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}, "name": "t"}]',
            "mixes",
        ),
        ('{"type": "double"}', "list"),
        ("not json", "schema JSON"),
    ],
)
def test_bad_schema_json_is_refused(text: str, fragment: str) -> None:
    with pytest.raises(InvalidArgument, match=fragment):
        Schema.from_json(text)


def test_params_schema_json_matches_mlflow() -> None:
    schema = ParamSchema(
        [
            ParamSpec("alpha", DataType.double, 0.5),
            ParamSpec("mode", DataType.string, "fast"),
            ParamSpec("flags", DataType.long, [1, 2], (-1,)),
        ]
    )
    assert schema.to_dict() == [
        {"name": "alpha", "default": 0.5, "shape": None, "type": "double"},
        {"name": "mode", "default": "fast", "shape": None, "type": "string"},
        {"name": "flags", "default": [1, 2], "shape": [-1], "type": "long"},
    ]
    assert ParamSchema.from_json(schema.to_json()) == schema


def test_param_default_of_the_wrong_type_is_refused() -> None:
    with pytest.raises(InvalidArgument, match=r"param 'k'.*long"):
        ParamSpec("k", DataType.long, "five")
    with pytest.raises(InvalidArgument, match=r"shape \[2\]"):
        ParamSpec("k", DataType.long, [1, 2], (2,))


def test_infer_signature_from_a_dataframe_and_an_array() -> None:
    frame = pd.DataFrame({"a": [0.0, 1.0], "b": [1, None], "s": ["x", "y"]})
    signature = infer_signature(frame, np.array([0, 1]), params={"k": 5, "flags": [1.5]})
    assert signature.to_dict() == {
        "inputs": json.dumps(
            [
                {"type": "double", "name": "a", "required": True},
                {"type": "double", "name": "b", "required": False},
                {"type": "string", "name": "s", "required": True},
            ]
        ),
        "outputs": json.dumps(
            [{"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}]
        ),
        "params": json.dumps(
            [
                {"name": "k", "default": 5, "shape": None, "type": "long"},
                {"name": "flags", "default": [1.5], "shape": [-1], "type": "double"},
            ]
        ),
    }
    assert ModelSignature.from_dict(signature.to_dict()) == signature


def test_infer_signature_from_dicts_lists_and_strings() -> None:
    tensors = infer_signature({"x": np.zeros((3, 4), dtype=np.float32)}).inputs
    assert tensors is not None and tensors.to_dict() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 4]}, "name": "x"}
    ]
    records = infer_signature([{"q": "hi", "n": 1}, {"q": "yo"}]).inputs
    assert records is not None and records.to_dict() == [
        {"type": "string", "name": "q", "required": True},
        {"type": "long", "name": "n", "required": False},
    ]
    strings = infer_signature(["a", "b"]).inputs
    assert strings is not None and strings.to_dict() == [{"type": "string", "required": True}]
    single = infer_signature("hello").inputs
    assert single is not None and single.to_dict() == [{"type": "string", "required": True}]
    columns = infer_signature({"q": "hi", "tags": ["a", "b"]}).inputs
    assert columns is not None and columns.to_dict() == [
        {"type": "string", "name": "q", "required": True},
        {"type": "array", "items": {"type": "string"}, "name": "tags", "required": True},
    ]


def test_infer_signature_refuses_what_it_cannot_type() -> None:
    with pytest.raises(InvalidArgument, match=r"column 'm'.*several types"):
        infer_signature(pd.DataFrame({"m": ["x", 1]}))
    with pytest.raises(InvalidArgument, match="object"):
        infer_signature(object())
