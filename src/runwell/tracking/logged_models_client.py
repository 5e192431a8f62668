"""Logged-model methods of RunwellClient, with MLflow 3's names and arguments.

A logged model (``m-<id>``) is what ``log_model`` creates: its files, status, tags, params and
metrics, linked to the run that produced it. ``<flavor>.log_model`` does the whole sequence;
these calls are for reading models back and for tools that upload model files themselves:

    model = client.create_logged_model(experiment_id, name="clf", source_run_id=run_id)
    ...upload the files to model.artifact_location...
    client.finalize_logged_model(model.model_id, "READY")
    client.search_logged_models([experiment_id], filter_string="params.alpha = '0.5'")
    client.log_model_artifacts(model.model_id, "local/model_dir")   # files, after the fact
    client.list_logged_model_artifacts(model.model_id)              # [FileInfo, ...]
    client.log_outputs(run_id, [ModelOutput(model.model_id, step=3)])
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from runwell.errors import InvalidArgument
from runwell.store import uri as uris
from runwell.store.artifacts.local import check_relative_path

if TYPE_CHECKING:
    from runwell.entities import FileInfo, LoggedModel, LoggedModelStatus, Page
    from runwell.store.protocols import ArtifactRepo, TrackingStore


class ModelOutputLike(Protocol):
    """A model a run produced: runwell's ``ModelOutput`` or MLflow's ``LoggedModelOutput``."""

    @property
    def model_id(self) -> str: ...

    @property
    def step(self) -> int: ...


class LoggedModelClientMixin:
    """Logged-model calls on ``self.store``; mixed into RunwellClient."""

    tracking_uri: str  # set by RunwellClient

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

    def artifact_repo_for_logged_model(self, model_id: str) -> ArtifactRepo:
        """The artifact repository holding the files of logged model ``model_id``."""
        location = self.get_logged_model(model_id).artifact_location
        return uris.artifact_repo(location, self.tracking_uri)

    def list_logged_model_artifacts(self, model_id: str, path: str | None = None) -> list[FileInfo]:
        """The files and directories directly under ``path`` (default: the top) of the model."""
        return self.artifact_repo_for_logged_model(model_id).list_artifacts(
            check_relative_path(path) or None
        )

    def log_model_artifact(
        self, model_id: str, local_path: str, artifact_path: str | None = None
    ) -> None:
        """Upload the file ``local_path`` into the model (under ``artifact_path`` if given)."""
        if not os.path.isfile(local_path):
            raise InvalidArgument(f"Invalid local_path '{local_path}': it is not a file.")
        self.artifact_repo_for_logged_model(model_id).log_artifact(
            local_path, check_relative_path(artifact_path) or None
        )

    def log_model_artifacts(
        self, model_id: str, local_dir: str, artifact_path: str | None = None
    ) -> None:
        """Upload the contents of ``local_dir`` into the model (under ``artifact_path``)."""
        if not os.path.isdir(local_dir):
            raise InvalidArgument(f"Invalid local_dir '{local_dir}': it is not a directory.")
        self.artifact_repo_for_logged_model(model_id).log_artifacts(
            local_dir, check_relative_path(artifact_path) or None
        )

    def log_outputs(self, run_id: str, models: Sequence[ModelOutputLike]) -> None:
        """Record that run ``run_id`` produced these logged models (``model_id``, ``step``).

        Takes runwell's ``ModelOutput`` or anything with ``model_id`` and ``step`` (MLflow's
        ``LoggedModelOutput``).
        """
        from runwell.entities import ModelOutput

        if isinstance(models, (str, bytes)) or not isinstance(models, Sequence):
            raise InvalidArgument("Invalid models: expected a list of ModelOutput(model_id, step).")
        outputs = []
        for index, item in enumerate(models):
            model_id = getattr(item, "model_id", None)
            step = getattr(item, "step", 0)
            if not isinstance(model_id, str) or not model_id:
                raise InvalidArgument(
                    f"Invalid models[{index}]: model_id must be a non-empty string."
                )
            if isinstance(step, bool) or not isinstance(step, int):
                raise InvalidArgument(
                    f"Invalid models[{index}]: step must be an int, not {step!r}."
                )
            outputs.append(ModelOutput(model_id=model_id, step=step))
        self.store.log_outputs(run_id, outputs)
