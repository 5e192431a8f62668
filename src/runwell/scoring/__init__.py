"""The pyfunc scoring server (``runwell models serve``), speaking MLflow's scoring protocol.

    from runwell.scoring import build_app, serve, serve_uri

Import it explicitly: it loads pandas, numpy and uvicorn, which ``import runwell`` must not.
"""

from __future__ import annotations

from runwell.scoring.app import ScoringApp, build_app
from runwell.scoring.errors import ScoringError
from runwell.scoring.payloads import ParsedRequest, parse_request
from runwell.scoring.responses import predictions_body
from runwell.scoring.server import app_from_environment, serve, serve_uri

__all__ = [
    "ParsedRequest",
    "ScoringApp",
    "ScoringError",
    "app_from_environment",
    "build_app",
    "parse_request",
    "predictions_body",
    "serve",
    "serve_uri",
]
