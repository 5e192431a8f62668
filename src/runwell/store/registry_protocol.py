"""RegistryStore: the seam between the registry client and its backends (SQL, REST).

Method names and arguments are MLflow's (``MlflowClient`` / its registry stores), so code moves
between the two unchanged. Verbs as in protocols.py: ``get_x`` raises NotFound, ``search_x``
returns a Page, ``create_x`` returns the entity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from runwell.entities import Page
from runwell.entities.registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
)


@runtime_checkable
class RegistryStore(Protocol):
    """Registered models, their versions, tags, aliases and stages."""

    # registered models
    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str | None = None,
    ) -> RegisteredModel: ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    def update_registered_model(
        self, name: str, description: str | None = None
    ) -> RegisteredModel: ...

    def delete_registered_model(self, name: str) -> None: ...

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]: ...

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]: ...

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None: ...

    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    # aliases
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None: ...

    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # versions
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[ModelVersionTag] = (),
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion: ...

    def get_model_version(self, name: str, version: str | int) -> ModelVersion: ...

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion: ...

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion: ...

    def delete_model_version(self, name: str, version: str | int) -> None: ...

    def get_model_version_download_uri(self, name: str, version: str | int) -> str: ...

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]: ...

    def set_model_version_tag(
        self, name: str, version: str | int, tag: ModelVersionTag
    ) -> None: ...

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None: ...

    def copy_model_version(
        self, src_name: str, src_version: str | int, dst_name: str
    ) -> ModelVersion: ...
