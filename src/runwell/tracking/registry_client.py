"""Model registry methods of RunwellClient (MLflow's names), and ``models:/`` URI resolution.

The registry lives in the tracking store's database (or behind the same server) unless the
client was given a ``registry_uri``. ``resolve_model_uri`` turns every form of model URI the
reference lists (mlflow-formats.md §5) into the location of the files:

    models:/name/3          version 3
    models:/name@champion   the version the alias points at
    models:/name/Production the highest version in that stage (any case)
    models:/name/latest     the highest version in any stage
    models:/m-<id>          a logged model
    runs:/<run>/<path>      inside the run's artifacts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from runwell.errors import InvalidArgument, NotFound

# The registry's entities and store load on the first registry call, not with `import runwell`.
if TYPE_CHECKING:
    from runwell.entities import Page
    from runwell.entities.registry import (
        ModelVersion,
        ModelVersionTag,
        RegisteredModel,
        RegisteredModelTag,
    )
    from runwell.store.protocols import TrackingStore
    from runwell.store.registry_protocol import RegistryStore


def _model_tags(values: Mapping[str, object] | None) -> list[RegisteredModelTag]:
    from runwell.entities.registry import RegisteredModelTag

    return [RegisteredModelTag(key=str(k), value=str(v)) for k, v in (values or {}).items()]


def _version_tags(values: Mapping[str, object] | None) -> list[ModelVersionTag]:
    from runwell.entities.registry import ModelVersionTag

    return [ModelVersionTag(key=str(k), value=str(v)) for k, v in (values or {}).items()]


class RegistryClientMixin:
    """Registry calls on ``self.registry_store``; mixed into RunwellClient."""

    tracking_uri: str
    registry_uri: str
    _registry: RegistryStore | None = None

    @property
    def store(self) -> TrackingStore:  # provided by RunwellClient
        raise NotImplementedError

    @property
    def registry_store(self) -> RegistryStore:
        if self._registry is None:
            uri = self.registry_uri
            self.store  # noqa: B018 - opens (and migrates) the shared database first
            from runwell.store.registry_uri import registry_store

            self._registry = registry_store(uri)
        return self._registry

    # registered models
    def create_registered_model(
        self,
        name: str,
        tags: Mapping[str, object] | None = None,
        description: str | None = None,
    ) -> RegisteredModel:
        return self.registry_store.create_registered_model(name, _model_tags(tags), description)

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.registry_store.get_registered_model(name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        return self.registry_store.rename_registered_model(name, new_name)

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        return self.registry_store.update_registered_model(name, description)

    def delete_registered_model(self, name: str) -> None:
        self.registry_store.delete_registered_model(name)

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = 100,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        return self.registry_store.search_registered_models(
            filter_string, max_results, order_by, page_token
        )

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        return self.registry_store.get_latest_versions(name, stages)

    def set_registered_model_tag(self, name: str, key: str, value: object) -> None:
        self.registry_store.set_registered_model_tag(name, _model_tags({key: value})[0])

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self.registry_store.delete_registered_model_tag(name, key)

    # aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        self.registry_store.set_registered_model_alias(name, alias, version)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self.registry_store.delete_registered_model_alias(name, alias)

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self.registry_store.get_model_version_by_alias(name, alias)

    # versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, object] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        return self.registry_store.create_model_version(
            name,
            source,
            run_id=run_id,
            tags=_version_tags(tags),
            run_link=run_link,
            description=description,
            model_id=model_id,
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self.registry_store.get_model_version(name, version)

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        return self.registry_store.update_model_version(name, version, description)

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        return self.registry_store.transition_model_version_stage(
            name, version, stage, archive_existing_versions
        )

    def get_model_version_stages(self, name: str, version: str | int) -> list[str]:
        """The stages a version may be moved to (MLflow's: the same four for every version)."""
        from runwell.entities.registry import STAGES

        self.get_model_version(name, version)  # NotFound for an unknown version, as MLflow
        return list(STAGES)

    def delete_model_version(self, name: str, version: str | int) -> None:
        self.registry_store.delete_model_version(name, version)

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = 10_000,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        return self.registry_store.search_model_versions(
            filter_string, max_results, order_by, page_token
        )

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: object) -> None:
        self.registry_store.set_model_version_tag(name, version, _version_tags({key: value})[0])

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        self.registry_store.delete_model_version_tag(name, version, key)

    def copy_model_version(self, src_model_uri: str, dst_name: str) -> ModelVersion:
        """Copy ``models:/<name>/<version>`` (or ``@alias``) to a new version of ``dst_name``."""
        name, version = self._model_version_of(src_model_uri)
        return self.registry_store.copy_model_version(name, version, dst_name)

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the version's files are, with ``runs:/`` sources resolved to the run's
        artifact location."""
        uri = self.registry_store.get_model_version_download_uri(name, version)
        return self._resolve_runs_uri(uri)

    # resolution
    def _resolve_runs_uri(self, uri: str) -> str:
        if not uri.startswith("runs:/"):
            return uri
        run_id, _, path = uri[len("runs:/") :].partition("/")
        base = self.store.get_run(run_id).info.artifact_uri.rstrip("/")
        return f"{base}/{path}" if path else base

    def _model_version_of(self, uri: str) -> tuple[str, str]:
        """(name, version) of a registry ``models:/`` URI."""
        parsed = urlparse(uri)
        if parsed.scheme != "models" or parsed.netloc:
            raise InvalidArgument(f"Not a models:/ URI of the registry: {uri!r}.")
        path = parsed.path.lstrip("/")
        if "@" in path and "/" not in path:
            name, alias = path.split("@", 1)
            return name, self.get_model_version_by_alias(name, alias).version
        parts = path.split("/")
        if len(parts) != 2 or not parts[0] or not parts[1]:
            raise InvalidArgument(
                f"Not a proper models:/ URI: {uri!r}. Expected models:/<name>/<version>, "
                "models:/<name>/<stage>, models:/<name>/latest or models:/<name>@<alias>."
            )
        name, suffix = parts
        if suffix.isdigit():
            return name, suffix
        stages = None if suffix.lower() == "latest" else [suffix]
        versions = self.get_latest_versions(name, stages)
        if not versions:
            raise NotFound(f"No versions of model {name!r} found for {suffix!r} in {uri!r}.")
        return name, max(versions, key=lambda v: int(v.version)).version

    def resolve_model_uri(self, uri: str) -> str:
        """The artifact location a model URI stands for (see the module docstring)."""
        parsed = urlparse(uri)
        if parsed.scheme == "runs":
            return self._resolve_runs_uri(uri)
        if parsed.scheme != "models":
            return uri
        path = parsed.path.lstrip("/")
        if path and "/" not in path and "@" not in path and not parsed.netloc:
            return self.store.get_logged_model(path).artifact_location
        name, version = self._model_version_of(uri)
        return self.get_model_version_download_uri(name, version)


def resolve_model_uri(uri: str, tracking_uri: str | None = None) -> str:
    """The artifact location of a model URI, through a client of ``tracking_uri``."""
    from runwell.tracking.client import RunwellClient

    return RunwellClient(tracking_uri).resolve_model_uri(uri)
