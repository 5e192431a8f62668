"""The seams between the client and the backends: TrackingStore and ArtifactRepo.

Verbs: ``get_x`` raises NotFound, ``find_x`` returns None, ``search_x`` returns a Page,
``create_x`` returns the entity.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from runwell.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    FileInfo,
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
    Metric,
    ModelInput,
    ModelOutput,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTable,
    RunTag,
    ViewType,
)


@runtime_checkable
class TrackingStore(Protocol):
    """Experiments, runs and everything logged to them."""

    # experiments
    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> Experiment: ...

    def get_experiment(self, experiment_id: str) -> Experiment: ...

    def find_experiment_by_name(self, name: str) -> Experiment | None: ...

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]: ...

    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    def delete_experiment(self, experiment_id: str) -> None: ...

    def restore_experiment(self, experiment_id: str) -> None: ...

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None: ...

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # runs
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run: ...

    def get_run(self, run_id: str) -> Run: ...

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo: ...

    def delete_run(self, run_id: str) -> None: ...

    def restore_run(self, run_id: str) -> None: ...

    def log_metric(self, run_id: str, metric: Metric) -> None: ...

    def log_param(self, run_id: str, param: Param) -> None: ...

    def set_tag(self, run_id: str, tag: RunTag) -> None: ...

    def delete_tag(self, run_id: str, key: str) -> None: ...

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None: ...

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None: ...

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]: ...

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]: ...

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: Sequence[str] | None = None,
    ) -> RunTable: ...

    # logged models (MLflow 3): see store/sql/logged_models.py for the semantics
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] = (),
        params: Sequence[LoggedModelParam] = (),
        model_type: str | None = None,
    ) -> LoggedModel: ...

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel: ...

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel: ...

    def delete_logged_model(self, model_id: str) -> None: ...

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None: ...

    def delete_logged_model_tag(self, model_id: str, key: str) -> None: ...

    def log_logged_model_params(
        self, model_id: str, params: Sequence[LoggedModelParam]
    ) -> None: ...

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]: ...

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None: ...

    def log_model_inputs(self, run_id: str, models: Sequence[ModelInput]) -> None: ...


@runtime_checkable
class ArtifactRepo(Protocol):
    """Files under one artifact root URI."""

    root_uri: str

    def log_artifact(self, local_file: str, artifact_path: str | None = None) -> None: ...

    def log_artifacts(self, local_dir: str, artifact_path: str | None = None) -> None: ...

    def write_bytes(self, artifact_file: str, data: bytes) -> None: ...

    def read_bytes(self, artifact_file: str) -> bytes: ...

    def read_chunks(self, artifact_file: str, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        """Stream a file's bytes: NotFound when missing, InvalidArgument for a directory.

        The checks happen on the call, before the first chunk, so a server can still answer
        with an error status.
        """
        ...

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]: ...

    def download_artifacts(self, artifact_path: str, dst_path: str) -> str: ...

    def delete_artifacts(self, artifact_path: str | None = None) -> None: ...
