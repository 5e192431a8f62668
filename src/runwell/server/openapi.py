"""The OpenAPI document, with what the RPC routes take and answer spelled out.

The RPC endpoints read their fields themselves (``wire.fields``), so FastAPI sees no
parameters and documents none. ``describe_rpcs`` fills that in once, when the document is
first built: each POST/PATCH/DELETE RPC takes a JSON object whose known fields are listed
(each optional and loosely typed: the handler, not the schema, owns validation), each GET
RPC takes them as query parameters, and every operation answers 200 with a JSON object or,
on any error, MLflow's envelope ``{error_code, message}`` (the other routes too: a bad
request is a 400 envelope, not FastAPI's 422). That is the contract a fuzzer
(schemathesis, ``make fuzz``) checks the server against.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

# Every field name the RPC handlers read (reference/mlflow-rest-api.md §4-§5 and api.py).
FIELDS = (
    "alias",
    "allow_deleted",
    "archive_existing_versions",
    "artifact_directory_path",
    "artifact_file_path",
    "artifact_location",
    "datasets",
    "description",
    "end_step",
    "end_time",
    "experiment_id",
    "experiment_ids",
    "experiment_name",
    "filter",
    "is_admin",
    "key",
    "max_results",
    "metric_key",
    "metrics",
    "model_id",
    "model_json",
    "model_type",
    "models",
    "name",
    "new_name",
    "order_by",
    "page_token",
    "params",
    "password",
    "path",
    "permission",
    "run_id",
    "run_ids",
    "run_link",
    "run_name",
    "run_uuid",
    "run_view_type",
    "source",
    "source_run_id",
    "stage",
    "stages",
    "start_step",
    "start_time",
    "status",
    "step",
    "tags",
    "timestamp",
    "token_id",
    "user_id",
    "username",
    "value",
    "version",
    "view_type",
)
_ANY: dict[str, Any] = {}
_SCALAR: dict[str, Any] = {"type": "string"}
ERROR_ENVELOPE: dict[str, Any] = {
    "type": "object",
    "required": ["error_code", "message"],
    "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}},
}
_OBJECT = {"application/json": {"schema": {"type": "object"}}}
_ERROR = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}


def _is_rpc(operation: dict[str, Any]) -> bool:
    return not operation.get("parameters") and "requestBody" not in operation


def _describe(method: str, operation: dict[str, Any]) -> None:
    if method == "get":
        operation["parameters"] = [
            {"name": name, "in": "query", "required": False, "schema": _SCALAR} for name in FIELDS
        ]
    else:
        operation["requestBody"] = {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "properties": {name: _ANY for name in FIELDS},
                    }
                }
            },
        }
    operation["responses"] = {
        "200": {"description": "The answer (``{}`` when empty)", "content": _OBJECT},
        "default": {"description": "MLflow's error envelope", "content": _ERROR},
    }


def describe_rpcs(app: FastAPI, is_rpc_path: Callable[[str], bool]) -> None:
    """Make ``app.openapi()`` document the RPC routes (paths for which ``is_rpc_path``)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        for path, item in document.get("paths", {}).items():
            for method, operation in item.items():
                if not isinstance(operation, dict):
                    continue
                if is_rpc_path(path) and _is_rpc(operation):
                    _describe(method, operation)
                    continue
                # A bad request is a 400 envelope here (errors.py), never FastAPI's 422.
                responses = operation.setdefault("responses", {})
                responses.pop("422", None)
                responses["default"] = {"description": "MLflow's error envelope", "content": _ERROR}
        document.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = (
            ERROR_ENVELOPE
        )
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
