"""Turn an ``/invocations`` request body into ``(model input, params)``.

MLflow's scoring protocol (reference mlflow-formats.md §4), decoded here and nowhere else:

- ``application/json``: an object with exactly one of ``dataframe_split``,
  ``dataframe_records`` (both -> DataFrame), ``instances`` (TF-serving rows) or ``inputs``
  (TF-serving columns -> ndarray or dict of ndarrays), plus optional ``params``; an object with
  ``messages``/``prompt``/``input`` is an LLM request handed to the model whole.
- ``text/csv`` (header row) and ``application/vnd.apache.parquet`` -> DataFrame, no params.
- a ``charset`` other than utf-8, any other media-type parameter, or another type -> 415.

Every refusal is a ScoringError (400 unless HTTP says 413/415), so no payload ends in a 500.
With ``limits`` (the server passes its own) each format is measured before its DataFrame is
built, and the parsed input again after (limits.py): a request past the column or cell limit
is refused before pandas spends seconds on it. JSON nested more than 64 levels deep
(runwell.wire.nesting) is a 400 too.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import orjson

from runwell.errors import ErrorCode
from runwell.scoring import casting
from runwell.scoring.errors import (
    FORMAT_KEYS,
    PROTOCOL_NOTE,
    REQUIRED_FORMAT,
    ScoringError,
    invalid_input,
)
from runwell.scoring.limits import PayloadLimits
from runwell.wire.nesting import MAX_JSON_DEPTH, nested_too_deep

CONTENT_TYPE_JSON = "application/json"
CONTENT_TYPE_CSV = "text/csv"
CONTENT_TYPE_PARQUET = "application/vnd.apache.parquet"
CONTENT_TYPES = (CONTENT_TYPE_CSV, CONTENT_TYPE_JSON, CONTENT_TYPE_PARQUET)
LLM_KEYS = ("messages", "prompt", "input")
_FORMATS = frozenset(FORMAT_KEYS)
# Rows converted to one float64 array at a time: numpy holds the GIL while it converts a
# list, so a large body is converted in steps the event loop's thread can run between.
_ROWS_PER_STEP = 20_000


@dataclass(frozen=True, slots=True)
class ParsedRequest:
    """A decoded request: what goes to ``predict`` and how to answer it.

    Attributes:
        data: the model input (DataFrame, ndarray, dict of arrays, or raw JSON for LLM models).
        params: inference parameters, or None.
        unwrapped: answer with the bare prediction (LLM requests) instead of the envelope.
    """

    data: Any
    params: dict[str, Any] | None = None
    unwrapped: bool = False


@dataclass(frozen=True, slots=True)
class InputSpec:
    """What the parser needs to know about the model (read once, when the app is built)."""

    schema: Any = None
    param_names: frozenset[str] = frozenset()
    inputs_passthrough: bool = False  # signature from type hints: `inputs` goes in unparsed
    float_columns: tuple[str, ...] | None = None  # see casting.float_columns
    float_index: Any = None  # those names as a pandas Index, built once (see _float_frame)


def input_spec(
    schema: Any, param_names: frozenset[str] = frozenset(), inputs_passthrough: bool = False
) -> InputSpec:
    """The InputSpec for a model with this input schema (None: no signature)."""
    float_columns = casting.float_columns(schema)
    float_index = None
    if float_columns is not None:
        import pandas as pd

        float_index = pd.Index(list(float_columns))
    return InputSpec(
        schema=schema,
        param_names=param_names,
        inputs_passthrough=inputs_passthrough,
        float_columns=float_columns,
        float_index=float_index,
    )


_MEDIA_TYPES: dict[str, str] = {}  # accepted Content-Type headers seen, and their media type
_MEDIA_TYPES_MAX = 64


def media_type(content_type: str | None) -> str:
    """The bare media type of a ``Content-Type`` header, refusing what MLflow refuses (415).

    Clients send the same header on every request, so accepted ones are remembered.
    """
    known = _MEDIA_TYPES.get(content_type) if content_type else None
    if known is not None:
        return known
    mime = _media_type(content_type)
    if content_type and len(_MEDIA_TYPES) < _MEDIA_TYPES_MAX:
        _MEDIA_TYPES[content_type] = mime
    return mime


def _media_type(content_type: str | None) -> str:
    if not content_type:
        raise _unsupported(content_type)
    mime, _, rest = content_type.partition(";")
    params: dict[str, str] = {}
    for pair in rest.split(";"):
        if pair.strip():
            key, _, value = pair.partition("=")
            params[key.strip().lower()] = value.strip().strip('"')
    if params.get("charset", "utf-8").lower() != "utf-8":
        raise ScoringError("The scoring server only supports UTF-8", status=415, plain_text=True)
    unknown = sorted(set(params) - {"charset"})
    if unknown:
        raise ScoringError(
            f"Unrecognized content type parameters: {', '.join(unknown)}. {PROTOCOL_NOTE}",
            status=415,
            plain_text=True,
        )
    mime = mime.strip().lower()
    if mime not in CONTENT_TYPES:
        raise _unsupported(content_type)
    return mime


def _unsupported(content_type: str | None) -> ScoringError:
    return ScoringError(
        f"This predictor only supports the following content types: {list(CONTENT_TYPES)}. "
        f"Got '{content_type or ''}'.",
        status=415,
        plain_text=True,
    )


def parse_request(
    body: bytes, content_type: str | None, spec: InputSpec, limits: PayloadLimits | None = None
) -> ParsedRequest:
    """Decode ``body`` sent as ``content_type`` into model input for a model described by spec,
    refusing a request past ``limits`` (none: any size)."""
    mime = media_type(content_type)
    try:
        if mime == CONTENT_TYPE_JSON:
            parsed = parse_json(body, spec, limits)
        elif mime == CONTENT_TYPE_CSV:
            parsed = ParsedRequest(parse_csv(body, spec.schema, limits))
        else:
            parsed = ParsedRequest(parse_parquet(body, limits))
    except RecursionError:  # a structure the model's schema casting or an error message walked
        raise _too_deep() from None
    if limits is not None and not parsed.unwrapped and not spec.inputs_passthrough:
        limits.check_data(parsed.data)
    return parsed


def decode_json(body: bytes) -> Any:
    """orjson first; stdlib json as fallback, since MLflow clients may send NaN/Infinity."""
    try:
        value = orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            value = json.loads(body)
        except RecursionError:
            raise _too_deep() from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise invalid_input(
                f"Ensure that input is a valid JSON formatted string. Error: {exc}"
            ) from exc
    if nested_too_deep(body, value):
        raise _too_deep()
    return value


def _too_deep() -> ScoringError:
    return invalid_input(f"The JSON is nested too deeply: more than {MAX_JSON_DEPTH} levels.")


def parse_json(body: bytes, spec: InputSpec, limits: PayloadLimits | None = None) -> ParsedRequest:
    """A JSON body (see the module docstring for the accepted shapes)."""
    payload = decode_json(body)
    if not isinstance(payload, dict):
        kind = "a list" if isinstance(payload, list) else f"a JSON {type(payload).__name__}"
        raise invalid_input(f"{REQUIRED_FORMAT}. Received {kind}.")
    if any(key in payload for key in LLM_KEYS):
        llm_data = {k: v for k, v in payload.items() if k not in spec.param_names}
        llm_params = {k: v for k, v in payload.items() if k in spec.param_names}
        return ParsedRequest(llm_data, llm_params, unwrapped=True)
    params = _params(payload.get("params"))
    if spec.inputs_passthrough:
        if "inputs" not in payload:
            raise ScoringError(
                "Request payload must be a dictionary with 'inputs' key when the model "
                f"signature comes from type hints. Found keys: {sorted(payload)}.",
                ErrorCode.INVALID_PARAMETER_VALUE,
            )
        return ParsedRequest(payload["inputs"], params)
    keys = [key for key in payload if key in _FORMATS]
    if len(keys) != 1:
        raise ScoringError(
            f"{REQUIRED_FORMAT}. Received dictionary with input fields: {list(payload)}. "
            f"{PROTOCOL_NOTE}"
        )
    key = keys[0]
    value = payload[key]
    if limits is not None:
        _check_json_input(key, value, limits)
    if key == "dataframe_split":
        data: Any = _float_frame(value, spec) if spec.float_columns else None
        if data is None:
            data = frame_from_split(value, spec.schema)
    elif key == "dataframe_records":
        data = frame_from_records(value, spec.schema)
    elif key == "instances":
        data = casting.cast_instances(value, spec.schema)
    else:
        data = casting.cast_tensor_input(value, spec.schema)
    return ParsedRequest(data, params)


def _check_json_input(key: str, value: Any, limits: PayloadLimits) -> None:
    """Measure a decoded input against the limits before any DataFrame or array is built."""
    if key == "dataframe_split" and isinstance(value, dict):
        rows = value.get("data")
        names = value.get("columns")
        width = len(names) if isinstance(names, list) else 0
        if isinstance(rows, list):
            limits.check_rows(rows, width)
        else:
            limits.check(width, width)
    elif isinstance(value, list) and value and isinstance(value[0], (dict, list)):
        # records or instances (dicts: their keys are columns), or a tensor's rows
        limits.check_rows(value, tensor=key in ("instances", "inputs"))
    elif isinstance(value, dict):  # named inputs: one column each
        sizes = [len(v) if isinstance(v, list) else 1 for v in value.values()]
        limits.check(len(value), sum(sizes))


def _params(value: Any) -> dict[str, Any] | None:
    if value is None or isinstance(value, dict):
        return value
    raise invalid_input(f"'params' must be a JSON object, got a JSON {type(value).__name__}.")


def _float_frame(value: Any, spec: InputSpec) -> Any:
    """Fast path for an all-double signature; None sends the body down the general path.

    The column Index is built once per model: pandas turning a list of names into an Index
    costs more than the rest of a 1-row frame. Each frame gets a view of it, so a model that
    renames its input's columns cannot change the next request's.
    """
    import numpy as np
    import pandas as pd

    if not isinstance(value, dict) or value.keys() - {"columns", "data", "index"}:
        return None
    names = value.get("columns")
    if not isinstance(names, list) or tuple(names) != spec.float_columns:
        return None
    rows = value.get("data")
    if not isinstance(rows, list) or not rows:
        return None
    try:
        parts = [
            np.asarray(rows[start : start + _ROWS_PER_STEP], dtype=np.float64)
            for start in range(0, len(rows), _ROWS_PER_STEP)
        ]
    except (TypeError, ValueError):
        return None
    if any(part.ndim != 2 or part.shape[1] != len(names) for part in parts):
        return None
    array = parts[0] if len(parts) == 1 else np.concatenate(parts)
    try:
        return pd.DataFrame(array, columns=spec.float_index.view(), index=value.get("index"))
    except (TypeError, ValueError):
        return None


def frame_from_split(value: Any, schema: Any) -> Any:
    """``{"columns", "data", "index"?}`` (pandas split orient) -> DataFrame."""
    import pandas as pd

    if not isinstance(value, dict):
        raise invalid_input(
            f"Dataframe split format must be a dictionary. Got a JSON {type(value).__name__}."
        )
    extra = set(value) - {"columns", "data", "index"}
    if "data" not in value or extra:
        raise invalid_input(
            "Dataframe split format must have 'data' field and optionally 'columns' and "
            f"'index' fields. Got {sorted(value)}."
        )
    try:
        frame = pd.DataFrame(
            data=value["data"], columns=value.get("columns"), index=value.get("index")
        )
    except Exception as exc:
        raise invalid_input(
            "Provided dataframe_split field is not a valid dataframe representation in "
            f"'split' format. Error: '{exc}'"
        ) from exc
    return casting.cast_frame(frame, schema) if schema is not None else frame


def frame_from_records(value: Any, schema: Any) -> Any:
    """``[{"col": v, ...}, ...]`` (pandas records orient) -> DataFrame."""
    import pandas as pd

    if not isinstance(value, list):
        kind = "dictionary" if isinstance(value, dict) else f"JSON {type(value).__name__}"
        raise invalid_input(f"Dataframe records format must be a list of records. Got {kind}.")
    try:
        frame = pd.DataFrame(data=value)
    except Exception as exc:
        raise invalid_input(
            "Provided dataframe_records field is not a valid dataframe representation in "
            f"'records' format. Error: '{exc}'"
        ) from exc
    return casting.cast_frame(frame, schema) if schema is not None else frame


def _check_csv(body: bytes, limits: PayloadLimits) -> None:
    """The header's columns, and (when no field is quoted, so a line is a row) the cells."""
    end = body.find(b"\n")
    header = body if end < 0 else body[:end]
    if b'"' in header:  # quoted names may hold commas: the csv module counts them
        columns = len(next(csv.reader([header.decode("utf-8", "replace")]), []))
    else:  # counted without making a string per name
        columns = header.count(b",") + 1 if header.strip() else 0
    rows = body.count(b"\n") - (1 if end >= 0 else 0) + (0 if body.endswith(b"\n") else 1)
    limits.check(columns, 0 if b'"' in body else columns * max(rows, 0))


def parse_csv(body: bytes, schema: Any, limits: PayloadLimits | None = None) -> Any:
    """A CSV body with a header row -> DataFrame (string columns stay strings)."""
    import pandas as pd

    if limits is not None:
        _check_csv(body, limits)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise invalid_input(
            f"Ensure that input is a valid UTF-8 encoded string. Error: {exc}"
        ) from exc
    dtypes = casting.csv_dtypes(schema) if schema is not None else None
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=dtypes)
    except Exception as exc:
        raise ScoringError(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
            f"CSV-formatted Pandas DataFrame produced using `DataFrame.to_csv()`. Error: '{exc}'"
        ) from exc
    return casting.cast_frame(frame, schema) if schema is not None else frame


def _check_parquet(body: bytes, limits: PayloadLimits) -> None:
    """Columns and rows from the file's footer, before any column is read."""
    try:
        import pyarrow.parquet as pq
    except ImportError:  # fastparquet reads it; the parsed frame is checked afterwards
        return
    try:
        metadata = pq.read_metadata(io.BytesIO(body))
    except Exception:  # not a Parquet file: read_parquet says so below
        return
    limits.check(metadata.num_columns, metadata.num_columns * metadata.num_rows)


def parse_parquet(body: bytes, limits: PayloadLimits | None = None) -> Any:
    """A Parquet body -> DataFrame (needs pyarrow or fastparquet, as pandas does)."""
    import pandas as pd

    if limits is not None:
        _check_parquet(body, limits)
    try:
        return pd.read_parquet(io.BytesIO(body))
    except Exception as exc:
        raise ScoringError(
            "Failed to parse input as a Pandas DataFrame. Ensure that the input is a valid "
            f"Parquet file produced using `DataFrame.to_parquet()`. Error: '{exc}'"
        ) from exc
