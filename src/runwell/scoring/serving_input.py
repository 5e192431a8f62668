"""``validate_serving_input``: score a request body the way the scoring server would.

    body = runwell.models.convert_input_example_to_serving_input(X.head())
    runwell.models.validate_serving_input("runs:/<run_id>/model", body)

The body is parsed by the server's own JSON parser (``payloads.parse_json``), against the
model's signature, then passed to ``predict`` with its params; whatever the server would refuse
raises here, before the model is deployed. (Exposed as ``runwell.models.validate_serving_input``;
it lives here because it needs the scoring parser, which sits above ``runwell.models``.)
"""

from __future__ import annotations

import json
from typing import Any

from runwell.errors import InvalidArgument
from runwell.pyfunc import load_model
from runwell.scoring.app import _input_spec  # the server's reading of the model's metadata
from runwell.scoring.payloads import parse_json


def validate_serving_input(model_uri: str, serving_input: str | dict[str, Any]) -> Any:
    """The model's prediction for ``serving_input``, parsed as ``/invocations`` parses it.

    Args:
        model_uri: the model (a path or a model URI, as ``runwell.pyfunc.load_model`` takes).
        serving_input: the request body: a JSON string or the dict it decodes to.

    Raises:
        InvalidArgument: ``serving_input`` is neither a string nor a dict.
        ScoringError: the body is not one the scoring server accepts for this model.
    """
    if isinstance(serving_input, dict):
        body = json.dumps(serving_input).encode("utf-8")
    elif isinstance(serving_input, str):
        body = serving_input.encode("utf-8")
    else:
        raise InvalidArgument(
            f"serving_input must be a JSON string or a dict, not {type(serving_input).__name__}."
        )
    model = load_model(model_uri)
    parsed = parse_json(body, _input_spec(model))
    return model.predict(parsed.data, params=parsed.params)
