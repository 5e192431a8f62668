"""RestRegistryStore: the RegistryStore protocol spoken to a runwell or MLflow server
(reference/mlflow-rest-api.md §5), with the shapes of ``runwell.wire.registry``.

Errors come back as the same RunwellError subclasses the SQL store raises. ``copy_model_version``
has no RPC of its own: it reads the source version and registers ``models:/<src>/<version>``
under the destination name, creating that model when it does not exist, as MLflow's client does.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runwell.entities import Page
from runwell.entities.registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)
from runwell.errors import AlreadyExists
from runwell.store.rest.transport import Transport, shared_transport
from runwell.wire import paths
from runwell.wire import registry as wire

Json = dict[str, Any]


def _pairs(items: Sequence[RegisteredModelTag] | Sequence[ModelVersionTag]) -> list[Json]:
    return [{"key": t.key, "value": t.value} for t in items]


def _search_params(
    filter_string: str | None,
    max_results: int | None,
    order_by: Sequence[str] | None,
    page_token: str | None,
) -> dict[str, Any]:
    params: dict[str, Any] = {}
    if filter_string:
        params["filter"] = filter_string
    if max_results is not None:
        params["max_results"] = str(max_results)
    if order_by:
        params["order_by"] = [order_by] if isinstance(order_by, str) else list(order_by)
    if page_token:
        params["page_token"] = page_token
    return params


class RestRegistryStore:
    """The registry of the server at ``tracking_uri`` (``http(s)://host[:port][/prefix]``)."""

    def __init__(self, tracking_uri: str, transport: Transport | None = None) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.transport = transport or shared_transport(self.tracking_uri)

    def _call(
        self, method: str, path: str, body: Json | None = None, *, idempotent: bool = True
    ) -> Json:
        if method == "GET":
            return self.transport.call("GET", paths.api(path), params=body)
        return self.transport.call(method, paths.api(path), body, idempotent=idempotent)

    # ---------------------------------------------------------------- registered models

    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str | None = None,
    ) -> RegisteredModel:
        body: Json = {"name": name}
        if tags:
            body["tags"] = _pairs(tags)
        if description is not None:
            body["description"] = description
        found = self._call("POST", wire.REGISTERED_MODELS_CREATE, body, idempotent=False)
        return wire.registered_model_from_json(found["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        found = self._call("GET", wire.REGISTERED_MODELS_GET, {"name": name})
        return wire.registered_model_from_json(found["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        body = {"name": name, "new_name": new_name}
        found = self._call("POST", wire.REGISTERED_MODELS_RENAME, body, idempotent=False)
        return wire.registered_model_from_json(found["registered_model"])

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        body: Json = {"name": name}
        if description is not None:
            body["description"] = description
        found = self._call("PATCH", wire.REGISTERED_MODELS_UPDATE, body)
        return wire.registered_model_from_json(found["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._call("DELETE", wire.REGISTERED_MODELS_DELETE, {"name": name})

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        params = _search_params(filter_string, max_results, order_by, page_token)
        found = self._call("GET", wire.REGISTERED_MODELS_SEARCH, params)
        models = [wire.registered_model_from_json(m) for m in found.get("registered_models") or ()]
        return Page(models, found.get("next_page_token") or None)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        body: Json = {"name": name}
        if stages:
            body["stages"] = list(stages)
        found = self._call("POST", wire.REGISTERED_MODELS_LATEST, body)
        return [wire.model_version_from_json(v) for v in found.get("model_versions") or ()]

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        body = {"name": name, "key": tag.key, "value": tag.value}
        self._call("POST", wire.REGISTERED_MODELS_SET_TAG, body)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call("DELETE", wire.REGISTERED_MODELS_DELETE_TAG, {"name": name, "key": key})

    # ---------------------------------------------------------------- aliases

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        body = {"name": name, "alias": alias, "version": str(version)}
        self._call("POST", wire.REGISTERED_MODELS_ALIAS, body)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call("DELETE", wire.REGISTERED_MODELS_ALIAS, {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        found = self._call("GET", wire.REGISTERED_MODELS_ALIAS, {"name": name, "alias": alias})
        return wire.model_version_from_json(found["model_version"])

    # ---------------------------------------------------------------- versions

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[ModelVersionTag] = (),
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        body: Json = {"name": name, "source": source}
        for field, value in (
            ("run_id", run_id),
            ("run_link", run_link),
            ("description", description),
            ("model_id", model_id),
        ):
            if value:
                body[field] = value
        if tags:
            body["tags"] = _pairs(tags)
        found = self._call("POST", wire.MODEL_VERSIONS_CREATE, body, idempotent=False)
        return wire.model_version_from_json(found["model_version"])

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        found = self._call("GET", wire.MODEL_VERSIONS_GET, {"name": name, "version": str(version)})
        return wire.model_version_from_json(found["model_version"])

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        body: Json = {"name": name, "version": str(version)}
        if description is not None:
            body["description"] = description
        found = self._call("PATCH", wire.MODEL_VERSIONS_UPDATE, body)
        return wire.model_version_from_json(found["model_version"])

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        body = {
            "name": name,
            "version": str(version),
            "stage": stage,
            "archive_existing_versions": archive_existing_versions,
        }
        found = self._call("POST", wire.MODEL_VERSIONS_TRANSITION, body)
        return wire.model_version_from_json(found["model_version"])

    def delete_model_version(self, name: str, version: str | int) -> None:
        self._call("DELETE", wire.MODEL_VERSIONS_DELETE, {"name": name, "version": str(version)})

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        found = self._call(
            "GET", wire.MODEL_VERSIONS_DOWNLOAD_URI, {"name": name, "version": str(version)}
        )
        return str(found["artifact_uri"])

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        params = _search_params(filter_string, max_results, order_by, page_token)
        found = self._call("GET", wire.MODEL_VERSIONS_SEARCH, params)
        versions = [wire.model_version_from_json(v) for v in found.get("model_versions") or ()]
        return Page(versions, found.get("next_page_token") or None)

    def set_model_version_tag(self, name: str, version: str | int, tag: ModelVersionTag) -> None:
        body = {"name": name, "version": str(version), "key": tag.key, "value": tag.value}
        self._call("POST", wire.MODEL_VERSIONS_SET_TAG, body)

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        body = {"name": name, "version": str(version), "key": key}
        self._call("DELETE", wire.MODEL_VERSIONS_DELETE_TAG, body)

    def copy_model_version(
        self, src_name: str, src_version: str | int, dst_name: str
    ) -> ModelVersion:
        src = self.get_model_version(src_name, src_version)
        try:
            self.create_registered_model(dst_name)
        except AlreadyExists:
            pass
        return self.create_model_version(
            dst_name,
            f"models:/{src_name}/{src.version}",
            run_id=src.run_id or None,
            tags=src.tag_list,
            run_link=src.run_link or None,
            description=src.description or None,
            model_id=src.model_id or None,
        )
