"""Input examples (reference §3.3): ``input_example.json`` and ``serving_input_example.json``.

An example is a DataFrame (saved in pandas ``split`` orient without the index), an ndarray
(saved as nested lists), or any JSON value (dicts, lists, strings: ``json_object``). A tuple
``(example, params)`` saves params beside it. The serving example is the body a client would
POST to ``/invocations``: ``dataframe_split`` for frames, ``inputs`` for everything else.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models.model import Model

EXAMPLE_FILE = "input_example.json"
SERVING_EXAMPLE_FILE = "serving_input_example.json"


def split_example(example: Any) -> tuple[Any, dict[str, Any] | None]:
    """``(example, params)`` from what the user gave (a tuple carries params)."""
    if isinstance(example, tuple) and len(example) == 2 and isinstance(example[1], Mapping):
        return example[0], dict(example[1])
    return example, None


def _json_default(value: Any) -> Any:
    import numpy as np

    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode("ascii")
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _frame_split(frame: Any) -> dict[str, Any]:
    split = json.loads(frame.to_json(orient="split", index=False, date_format="iso"))
    return {"columns": split["columns"], "data": split["data"]}


def save_input_example(model: Model, path: str, example: Any) -> None:
    """Write the example files into the model directory ``path`` and record them."""
    info, example_text, serving_text = encode_example(example)
    with open(os.path.join(path, EXAMPLE_FILE), "w", encoding="utf-8") as handle:
        handle.write(example_text)
    with open(os.path.join(path, SERVING_EXAMPLE_FILE), "w", encoding="utf-8") as handle:
        handle.write(serving_text)
    info["serving_input_path"] = SERVING_EXAMPLE_FILE
    model.saved_input_example_info = info


def encode_example(example: Any) -> tuple[dict[str, Any], str, str]:
    """The example's ``saved_input_example_info``, its file text and its serving body text."""
    import numpy as np
    import pandas as pd

    value, params = split_example(example)
    info: dict[str, Any] = {"artifact_path": EXAMPLE_FILE}
    if isinstance(value, pd.Series):
        value = value.to_frame()
    if isinstance(value, pd.DataFrame):
        info["type"] = "dataframe"
        info["pandas_orient"] = "split"
        payload: Any = _frame_split(value)
        serving: dict[str, Any] = {"dataframe_split": payload}
    elif isinstance(value, np.ndarray):
        info["type"] = "ndarray"
        payload = value.tolist()
        serving = {"inputs": payload}
    elif (
        isinstance(value, Mapping)
        and value
        and all(isinstance(v, np.ndarray) for v in value.values())
    ):
        info["type"] = "ndarray"
        payload = {"inputs": {str(k): v.tolist() for k, v in value.items()}}
        serving = {"inputs": payload["inputs"]}
    else:
        info["type"] = "json_object"
        payload = value
        serving = {"inputs": value}
    if params is not None:
        payload = {"inputs": payload, "params": params}
        serving["params"] = params
        info["params"] = "true"
    try:
        example_text = json.dumps(payload, default=_json_default)
        serving_text = json.dumps(serving, default=_json_default, indent=2)
    except (TypeError, ValueError) as exc:
        raise InvalidArgument(
            f"Invalid input_example: it cannot be saved as JSON ({exc})."
        ) from None
    return info, example_text, serving_text


def _read(model: Model, path: str) -> tuple[dict[str, Any], Any] | None:
    info = model.saved_input_example_info
    if not info:
        return None
    file_path = os.path.join(path, str(info.get("artifact_path", EXAMPLE_FILE)))
    if not os.path.isfile(file_path):
        raise InvalidArgument(
            f"The model's input example '{file_path}' is missing (named in "
            "saved_input_example_info)."
        )
    with open(file_path, encoding="utf-8") as handle:
        return info, json.load(handle)


def load_input_example(model: Model, path: str) -> Any:
    """The example as saved: a DataFrame, an ndarray (or dict of them), or the JSON value."""
    import numpy as np
    import pandas as pd

    found = _read(model, path)
    if found is None:
        return None
    info, data = found
    if info.get("params") and isinstance(data, dict) and "inputs" in data:
        data = data["inputs"]
    kind = info.get("type")
    if kind == "dataframe":
        if not isinstance(data, dict) or "columns" not in data or "data" not in data:
            raise InvalidArgument(
                "Invalid dataframe input example: expected 'columns' and 'data' (split orient)."
            )
        return pd.DataFrame(data["data"], columns=data["columns"])
    if kind == "ndarray":
        if isinstance(data, dict) and "inputs" in data:
            inner = data["inputs"]
            if isinstance(inner, dict):
                return {k: np.asarray(v) for k, v in inner.items()}
            return np.asarray(inner)
        return np.asarray(data)
    return data


def load_input_example_params(model: Model, path: str) -> dict[str, Any] | None:
    found = _read(model, path)
    if found is None:
        return None
    info, data = found
    if info.get("params") and isinstance(data, dict):
        params = data.get("params")
        return dict(params) if isinstance(params, Mapping) else None
    return None


def convert_input_example_to_serving_input(input_example: Any) -> str | None:
    """The JSON body a client would POST to ``/invocations`` for this input example.

    The same text ``save_model`` writes to ``serving_input_example.json``: ``dataframe_split``
    for a DataFrame, ``inputs`` for anything else, and ``params`` for an ``(example, params)``
    tuple. ``None`` gives ``None``.
    """
    if input_example is None:
        return None
    return encode_example(input_example)[2]
