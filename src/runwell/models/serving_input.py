"""``runwell.models.validate_serving_input``, MLflow's name for a check before deploying.

The work is done in ``runwell.scoring.serving_input`` with the scoring server's own parser;
that package sits above this one, so it is imported by name when the function is called.
"""

from __future__ import annotations

import importlib
from typing import Any


def validate_serving_input(model_uri: str, serving_input: str | dict[str, Any]) -> Any:
    """The model's prediction for the request body ``serving_input`` (a JSON string or dict),
    parsed as the scoring server's ``/invocations`` parses it; raises what the server would."""
    module = importlib.import_module("runwell.scoring.serving_input")
    return module.validate_serving_input(model_uri, serving_input)
