"""The TrackingStore calls an offline run cannot answer: searches, other runs, logged models.

Each raises InvalidState naming offline mode and the way out (sync, then ask the server).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from runwell.entities import (
    Experiment,
    ExperimentTag,
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
    ModelInput,
    ModelOutput,
    Page,
    Run,
    RunTable,
    ViewType,
)
from runwell.errors import InvalidState


def offline_refusal(what: str) -> NoReturn:
    raise InvalidState(
        f"{what} is not available in offline mode (RUNWELL_MODE=offline): offline runs live in "
        "local journals until `runwell sync` uploads them. Sync first, then ask the tracking "
        "server, or unset RUNWELL_MODE."
    )


class OfflineUnsupported:
    """Every call that needs the tracking server's data, refused clearly."""

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        offline_refusal("search_experiments")

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        offline_refusal("Renaming an experiment")

    def delete_experiment(self, experiment_id: str) -> None:
        offline_refusal("Deleting an experiment")

    def restore_experiment(self, experiment_id: str) -> None:
        offline_refusal("Restoring an experiment")

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        offline_refusal("Tagging an experiment")

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        offline_refusal("Deleting an experiment tag")

    def delete_run(self, run_id: str) -> None:
        offline_refusal("Deleting a run")

    def restore_run(self, run_id: str) -> None:
        offline_refusal("Restoring a run")

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        offline_refusal("search_runs")

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: Sequence[str] | None = None,
    ) -> RunTable:
        offline_refusal("search_runs")

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] = (),
        params: Sequence[LoggedModelParam] = (),
        model_type: str | None = None,
    ) -> LoggedModel:
        offline_refusal("Logging a model (logged models)")

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        offline_refusal("get_logged_model")

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        offline_refusal("Finalizing a logged model")

    def delete_logged_model(self, model_id: str) -> None:
        offline_refusal("Deleting a logged model")

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        offline_refusal("Tagging a logged model")

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        offline_refusal("Deleting a logged model tag")

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParam]) -> None:
        offline_refusal("Logging logged-model params")

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        offline_refusal("search_logged_models")

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        offline_refusal("Logging model outputs")

    def log_model_inputs(self, run_id: str, models: Sequence[ModelInput]) -> None:
        offline_refusal("Logging model inputs")
