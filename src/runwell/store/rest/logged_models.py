"""The logged-model half of RestTrackingStore (reference/mlflow-rest-api.md §4.3).

``{model_id}`` and ``{tag_key}`` are URL segments; finalize and tag updates are PATCH, and
deletes carry their fields in a JSON body, as MLflow's client sends them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from runwell.entities import (
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
    ModelInput,
    ModelOutput,
    Page,
)
from runwell.store.rest.transport import Transport
from runwell.wire import paths
from runwell.wire.logged_model import logged_model_from_json

Json = dict[str, Any]


def _model_path(template: str, model_id: str, tag_key: str = "") -> str:
    return paths.api(
        template.format(model_id=quote(model_id, safe=""), tag_key=quote(tag_key, safe="/"))
    )


def _pairs(items: Sequence[LoggedModelTag] | Sequence[LoggedModelParam]) -> list[Json]:
    return [{"key": item.key, "value": item.value} for item in items]


class RestLoggedModels:
    """Logged models and run model links on the server behind ``transport``."""

    transport: Transport

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] = (),
        params: Sequence[LoggedModelParam] = (),
        model_type: str | None = None,
    ) -> LoggedModel:
        body: Json = {"experiment_id": experiment_id}
        for field, value in (
            ("name", name),
            ("source_run_id", source_run_id),
            ("model_type", model_type),
        ):
            if value:
                body[field] = value
        if tags:
            body["tags"] = _pairs(tags)
        if params:
            body["params"] = _pairs(params)
        found = self.transport.call("POST", paths.api(paths.LOGGED_MODELS), body, idempotent=False)
        return logged_model_from_json(found["model"])

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        params = {"allow_deleted": "true"} if allow_deleted else None
        found = self.transport.call("GET", _model_path(paths.LOGGED_MODEL, model_id), params=params)
        return logged_model_from_json(found["model"])

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        body = {"model_id": model_id, "status": LoggedModelStatus.parse(status).proto_name}
        found = self.transport.call("PATCH", _model_path(paths.LOGGED_MODEL, model_id), body)
        return logged_model_from_json(found["model"])

    def delete_logged_model(self, model_id: str) -> None:
        path = _model_path(paths.LOGGED_MODEL, model_id)
        self.transport.call("DELETE", path, {"model_id": model_id})

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        path = _model_path(paths.LOGGED_MODEL_TAGS, model_id)
        self.transport.call("PATCH", path, {"model_id": model_id, "tags": _pairs(tags)})

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.transport.call("DELETE", _model_path(paths.LOGGED_MODEL_TAG, model_id, key))

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParam]) -> None:
        path = _model_path(paths.LOGGED_MODEL_PARAMS, model_id)
        self.transport.call("POST", path, {"model_id": model_id, "params": _pairs(params)})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        body: Json = {"experiment_ids": list(experiment_ids)}
        if filter_string:
            body["filter"] = filter_string
        if datasets:
            body["datasets"] = [dict(d) for d in datasets]
        if max_results is not None:
            body["max_results"] = max_results
        if order_by:
            body["order_by"] = [dict(o) for o in order_by]
        if page_token:
            body["page_token"] = page_token
        found = self.transport.call("POST", paths.api(paths.LOGGED_MODELS_SEARCH), body)
        models = [logged_model_from_json(m) for m in found.get("models") or ()]
        return Page(models, found.get("next_page_token") or None)

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        body = {
            "run_id": run_id,
            "models": [{"model_id": m.model_id, "step": m.step} for m in models],
        }
        self.transport.call("POST", paths.api(paths.RUNS_OUTPUTS), body)

    def log_model_inputs(self, run_id: str, models: Sequence[ModelInput]) -> None:
        body = {"run_id": run_id, "models": [{"model_id": m.model_id} for m in models]}
        self.transport.call("POST", paths.api(paths.RUNS_LOG_INPUTS), body)
