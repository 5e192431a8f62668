"""Logged-model methods of RunwellClient, with MLflow 3's names and arguments.

A logged model (``m-<id>``) is what ``log_model`` creates: its files, status, tags, params and
metrics, linked to the run that produced it. ``<flavor>.log_model`` does the whole sequence;
these calls are for reading models back and for tools that upload model files themselves:

    model = client.create_logged_model(experiment_id, name="clf", source_run_id=run_id)
    ...upload the files to model.artifact_location...
    client.finalize_logged_model(model.model_id, "READY")
    client.search_logged_models([experiment_id], filter_string="params.alpha = '0.5'")
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from runwell.entities import LoggedModel, LoggedModelStatus, Page
    from runwell.store.protocols import TrackingStore


class LoggedModelClientMixin:
    """Logged-model calls on ``self.store``; mixed into RunwellClient."""

    @property
    def store(self) -> TrackingStore:  # provided by RunwellClient
        raise NotImplementedError

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Mapping[str, object] | None = None,
        params: Mapping[str, object] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING logged model; ``name`` is generated when omitted."""
        from runwell.entities import LoggedModelParam, LoggedModelTag

        return self.store.create_logged_model(
            experiment_id,
            name=name,
            source_run_id=source_run_id,
            tags=[LoggedModelTag(key=str(k), value=str(v)) for k, v in (tags or {}).items()],
            params=[LoggedModelParam(key=str(k), value=str(v)) for k, v in (params or {}).items()],
            model_type=model_type,
        )

    def get_logged_model(self, model_id: str) -> LoggedModel:
        """The logged model ``model_id`` (NotFound when it does not exist or was deleted)."""
        return self.store.get_logged_model(model_id)

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        """Set the final status: READY (every file uploaded) or FAILED."""
        return self.store.finalize_logged_model(model_id, status)

    def delete_logged_model(self, model_id: str) -> None:
        self.store.delete_logged_model(model_id)

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, object]) -> None:
        from runwell.entities import LoggedModelTag

        self.store.set_logged_model_tags(
            model_id, [LoggedModelTag(key=str(k), value=str(v)) for k, v in tags.items()]
        )

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.store.delete_logged_model_tag(model_id, key)

    def log_model_params(self, model_id: str, params: Mapping[str, object]) -> None:
        """Add params to a logged model (a logged value cannot change)."""
        from runwell.entities import LoggedModelParam

        self.store.log_logged_model_params(
            model_id, [LoggedModelParam(key=str(k), value=str(v)) for k, v in params.items()]
        )

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        """One page of the experiments' active models matching ``filter_string``.

        ``order_by`` holds ``{"field_name": "metrics.acc", "ascending": False}`` objects;
        ``page.token`` continues the search.
        """
        return self.store.search_logged_models(
            list(experiment_ids),
            filter_string=filter_string,
            datasets=datasets,
            max_results=max_results,
            order_by=order_by,
            page_token=page_token,
        )
