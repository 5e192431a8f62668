"""RestTrackingStore: the TrackingStore protocol spoken to a runwell or MLflow tracking server.

Each method is one (or, for whole histories and run tables, a few paged) calls of
reference/mlflow-rest-api.md §4.1-4.2, encoded and decoded by ``runwell.wire.codec`` so the
server and this store share one definition of every shape. The server validates and answers
errors in MLflow's envelope; the transport turns them back into the RunwellError subclasses the
SQL store raises, so code written against a local store behaves the same against a server.

This store is synchronous: each call is one request. The background batching of the client
(``tracking/async_logging.py``) sits on top of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runwell.entities import (
    DatasetInput,
    Experiment,
    ExperimentTag,
    Metric,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTable,
    RunTag,
    ViewType,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store import validation
from runwell.store.gc_pause import paused_gc
from runwell.store.rest.history import HISTORY_PAGE, full_history, history_page
from runwell.store.rest.logged_models import RestLoggedModels
from runwell.store.rest.transport import Transport, shared_transport
from runwell.wire import paths
from runwell.wire.codec import (
    dataset_input_to_json,
    double_to_json,
    experiment_from_json,
    metrics_to_json,
    run_from_json,
    run_info_from_json,
)

Json = dict[str, Any]


def _pairs(items: Sequence[Any]) -> list[Json]:
    return [{"key": item.key, "value": item.value} for item in items]


def _api(path: str) -> str:
    return paths.api(path)


class RestTrackingStore(RestLoggedModels):
    """Experiments and runs on the server at ``tracking_uri`` (``http(s)://host[:port][/prefix]``)."""

    def __init__(self, tracking_uri: str, transport: Transport | None = None) -> None:
        self.tracking_uri = tracking_uri.rstrip("/")
        self.transport = transport or shared_transport(self.tracking_uri)
        # Runs per runs/search request when reading a whole table: the server's maximum.
        self.search_page_size = validation.MAX_RUNS_SEARCH_RESULTS
        # Points per metrics/get-history request when reading a whole history.
        self.history_page_size = HISTORY_PAGE

    def _get(self, path: str, **params: Any) -> Json:
        return self.transport.call("GET", _api(path), params=params)

    def _post(self, path: str, body: Json, *, idempotent: bool = True) -> Json:
        return self.transport.call("POST", _api(path), body, idempotent=idempotent)

    # ---------------------------------------------------------------- experiments

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> Experiment:
        body: Json = {"name": name}
        if artifact_location:
            body["artifact_location"] = artifact_location
        if tags:
            body["tags"] = _pairs(tags)
        # Not idempotent: a retried create after a lost answer would clash with itself.
        created = self._post(paths.EXPERIMENTS_CREATE, body, idempotent=False)
        return self.get_experiment(str(created["experiment_id"]))

    def get_experiment(self, experiment_id: str) -> Experiment:
        found = self._get(paths.EXPERIMENTS_GET, experiment_id=experiment_id)
        return experiment_from_json(found["experiment"])

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        try:
            found = self._get(paths.EXPERIMENTS_GET_BY_NAME, experiment_name=name)
        except NotFound:
            return None
        return experiment_from_json(found["experiment"])

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        body: Json = {
            "view_type": ViewType.parse(view_type).name,
            # MLflow's server has no default page size; 1000 is the SQL store's.
            "max_results": 1000 if max_results is None else max_results,
        }
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        found = self._post(paths.EXPERIMENTS_SEARCH, body)
        experiments = [experiment_from_json(e) for e in found.get("experiments") or ()]
        return Page(experiments, found.get("next_page_token") or None)

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        self._post(paths.EXPERIMENTS_UPDATE, {"experiment_id": experiment_id, "new_name": new_name})

    def delete_experiment(self, experiment_id: str) -> None:
        self._post(paths.EXPERIMENTS_DELETE, {"experiment_id": experiment_id})

    def restore_experiment(self, experiment_id: str) -> None:
        self._post(paths.EXPERIMENTS_RESTORE, {"experiment_id": experiment_id})

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        body = {"experiment_id": experiment_id, "key": tag.key, "value": tag.value}
        self._post(paths.EXPERIMENTS_SET_TAG, body)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self._post(paths.EXPERIMENTS_DELETE_TAG, {"experiment_id": experiment_id, "key": key})

    # ---------------------------------------------------------------- runs

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run:
        body: Json = {"experiment_id": experiment_id, "user_id": user_id, "start_time": start_time}
        if tags:
            body["tags"] = _pairs(tags)
        if run_name:
            body["run_name"] = run_name
        created = self._post(paths.RUNS_CREATE, body, idempotent=False)
        return run_from_json(created["run"])

    def get_run(self, run_id: str) -> Run:
        return run_from_json(self._get(paths.RUNS_GET, run_id=run_id, run_uuid=run_id)["run"])

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        body: Json = {"run_id": run_id, "run_uuid": run_id}
        if status is not None:
            body["status"] = RunStatus.parse(status).name
        if end_time is not None:
            body["end_time"] = end_time
        if run_name:
            body["run_name"] = run_name
        return run_info_from_json(self._post(paths.RUNS_UPDATE, body)["run_info"])

    def delete_run(self, run_id: str) -> None:
        self._post(paths.RUNS_DELETE, {"run_id": run_id})

    def restore_run(self, run_id: str) -> None:
        self._post(paths.RUNS_RESTORE, {"run_id": run_id})

    def log_metric(self, run_id: str, metric: Metric) -> None:
        body = {
            "run_id": run_id,
            "run_uuid": run_id,
            "key": metric.key,
            "value": double_to_json(metric.value),
            "timestamp": metric.timestamp,
            "step": metric.step,
        }
        self._post(paths.RUNS_LOG_METRIC, body)

    def log_param(self, run_id: str, param: Param) -> None:
        body = {"run_id": run_id, "run_uuid": run_id, "key": param.key, "value": param.value}
        self._post(paths.RUNS_LOG_PARAMETER, body)

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        body = {"run_id": run_id, "run_uuid": run_id, "key": tag.key, "value": tag.value}
        self._post(paths.RUNS_SET_TAG, body)

    def delete_tag(self, run_id: str, key: str) -> None:
        self._post(paths.RUNS_DELETE_TAG, {"run_id": run_id, "key": key})

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        body: Json = {"run_id": run_id}
        if metrics:
            body["metrics"] = metrics_to_json(metrics)
        if params:
            body["params"] = _pairs(params)
        if tags:
            body["tags"] = _pairs(tags)
        self._post(paths.RUNS_LOG_BATCH, body)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        body = {"run_id": run_id, "datasets": [dataset_input_to_json(d) for d in datasets]}
        self._post(paths.RUNS_LOG_INPUTS, body)

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        """One page when ``max_results`` is given; else every point (pages followed)."""
        if max_results is not None or page_token:
            return history_page(self.transport, run_id, metric_key, max_results, page_token)
        return full_history(self.transport, run_id, metric_key, self.history_page_size)

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        body: Json = {
            "experiment_ids": list(experiment_ids),
            "run_view_type": ViewType.parse(run_view_type).name,
        }
        if max_results is not None:
            body["max_results"] = max_results
        if filter_string:
            body["filter"] = filter_string
        if order_by:
            body["order_by"] = list(order_by)
        if page_token:
            body["page_token"] = page_token
        found = self._post(paths.RUNS_SEARCH, body)
        with paused_gc():
            runs = [run_from_json(r) for r in found.get("runs") or ()]
        return Page(runs, found.get("next_page_token") or None)

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: Sequence[str] | None = None,
    ) -> RunTable:
        """Up to ``max_results`` runs as columns, read in pages of the server's maximum."""
        limit = validation.int64(max_results, "max_results")
        if limit < 1:
            raise InvalidArgument(
                f"Invalid value {max_results} for parameter 'max_results': must be positive."
            )
        runs: list[Run] = []
        token: str | None = None
        while True:
            size = min(self.search_page_size, limit - len(runs))
            page = self.search_runs(
                experiment_ids, filter_string, run_view_type, size, order_by, token
            )
            runs.extend(page.items)
            token = page.token
            if token is None or len(runs) >= limit:
                break
        with paused_gc():
            return RunTable.from_runs(runs)
