"""Routes MLflow serves only under ``/ajax-api/2.0`` for its web UI (reference/mlflow-rest-api.md
§4.4): a metric's full history for many runs, the datasets of experiments, small uploads.

- ``GET metrics/get-history-bulk?run_id=a&run_id=b&metric_key=k[&max_results=n]``: at most 100
  runs; ``{"metrics": [{key, value, timestamp, step, run_id}...]}`` by run id, then timestamp,
  step and value, at most ``max_results`` (25,000 by default and at most) points in all.
- ``POST experiments/search-datasets {"experiment_ids": [...]}``: at most 20 experiments; the
  distinct (experiment_id, name, digest, context) of the datasets their runs used, at most 1,000.
- ``POST upload-artifact?run_uuid=<id>&path=<p>`` with the file as the raw body (at most
  10 MB): stored as ``p`` under the run's artifact root.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runwell.entities import Metric, ViewType
from runwell.errors import InvalidArgument
from runwell.server.artifact_paths import safe_file_path
from runwell.server.context import ServerContext, context_of
from runwell.server.request import read_body
from runwell.server.responses import EMPTY, json_response
from runwell.server.routing import Json, rpc
from runwell.server.ui import queries
from runwell.store import validation
from runwell.wire.codec import metrics_to_json
from runwell.wire.fields import Fields

# Mounted under /ajax-api/2.0 only, as MLflow's server mounts these.
router = APIRouter(tags=["web UI"])

METRICS_GET_HISTORY_BULK = "/mlflow/metrics/get-history-bulk"
EXPERIMENTS_SEARCH_DATASETS = "/mlflow/experiments/search-datasets"
UPLOAD_ARTIFACT = "/mlflow/upload-artifact"

MAX_HISTORY_RESULTS = 25000
MAX_RUN_IDS = 100
MAX_EXPERIMENT_IDS = 20
MAX_DATASET_SUMMARIES = 1000
MAX_UPLOAD_BYTES = 10 * 1024 * 1024
DATASET_CONTEXT_TAG = "mlflow.data.context"


def _history(context: ServerContext, run_id: str, key: str, limit: int) -> list[Metric]:
    store = context.tracking()
    points: list[Metric] = []
    token: str | None = None
    while len(points) < limit:
        page = store.get_metric_history(run_id, key, max_results=limit, page_token=token)
        points.extend(page.items)
        token = page.token
        if not token:
            break
    return sorted(points, key=lambda m: (m.timestamp, m.step, m.value))


@rpc(router, METRICS_GET_HISTORY_BULK, ("GET",), bulk=True)
def get_metric_history_bulk(context: ServerContext, fields: Fields) -> Json:
    """Every point of one metric for up to 100 runs, by run id (the UI's chart query)."""
    run_ids = fields.strings("run_id")
    if not run_ids:
        raise InvalidArgument("GetMetricHistoryBulk request must specify at least one run_id.")
    if len(run_ids) > MAX_RUN_IDS:
        raise InvalidArgument(
            f"GetMetricHistoryBulk request cannot specify more than {MAX_RUN_IDS} run_ids. "
            f"Received {len(run_ids)} run_ids."
        )
    key = fields.text("metric_key")
    if key is None:
        raise InvalidArgument("GetMetricHistoryBulk request must specify a metric_key.")
    max_results = fields.int64("max_results")
    limit = MAX_HISTORY_RESULTS if max_results is None else min(max_results, MAX_HISTORY_RESULTS)
    if limit < 1:
        raise InvalidArgument(
            f"Invalid value {max_results} for parameter 'max_results': it must be at least 1."
        )
    out: list[Json] = []
    for run_id in sorted(run_ids):
        if len(out) >= limit:
            break
        for encoded in metrics_to_json(_history(context, run_id, key, limit - len(out))):
            encoded["run_id"] = run_id
            out.append(encoded)
    return {"metrics": out[:limit]}


@rpc(router, EXPERIMENTS_SEARCH_DATASETS)
def search_datasets(context: ServerContext, fields: Fields) -> Json:
    """The datasets the runs of up to 20 experiments used, with the context of each use."""
    experiment_ids = list(dict.fromkeys(fields.strings("experiment_ids")))
    if not experiment_ids:
        raise InvalidArgument("SearchDatasets request must specify at least one experiment_id.")
    if len(experiment_ids) > MAX_EXPERIMENT_IDS:
        raise InvalidArgument(
            f"SearchDatasets request cannot specify more than {MAX_EXPERIMENT_IDS} "
            f"experiment_ids. Received {len(experiment_ids)} experiment_ids."
        )
    store = context.tracking()
    found: dict[tuple[str, str, str, str], None] = {}
    token: str | None = None
    while len(found) < MAX_DATASET_SUMMARIES:
        page = store.search_runs(experiment_ids, run_view_type=ViewType.ALL, page_token=token)
        for run in page.items:
            for used in run.inputs.dataset_inputs:
                tags = {t.key: t.value for t in used.tags}
                key = (
                    run.info.experiment_id,
                    used.dataset.name,
                    used.dataset.digest,
                    tags.get(DATASET_CONTEXT_TAG, ""),
                )
                found[key] = None
        token = page.token
        if not token:
            break
    summaries = []
    for experiment_id, name, digest, used_as in sorted(found)[:MAX_DATASET_SUMMARIES]:
        summary: Json = {"experiment_id": experiment_id, "name": name, "digest": digest}
        if used_as:
            summary["context"] = used_as
        summaries.append(summary)
    return {"dataset_summaries": summaries} if summaries else {}


def _store_upload(context: ServerContext, run_uuid: str, path: str, data: bytes) -> None:
    run = context.tracking().get_run(run_uuid)
    context.artifacts.for_uri(run.info.artifact_uri).write_bytes(path, data)


@router.post(UPLOAD_ARTIFACT, response_class=Response, summary="Upload a small run artifact")
async def upload_artifact(request: Request) -> Response:
    """Store the raw body (at most 10 MB) as ``path`` under run ``run_uuid``'s artifacts."""
    context = context_of(request)
    context.tracking()  # 503 in --artifacts-only mode, before reading the body
    # Read as the --auth rule reads them (the UI's query reader), so both see one run.
    run_uuid = queries.text(request, "run_uuid")
    if not run_uuid:
        raise InvalidArgument("Request must specify run_uuid.")
    validation.run_id(run_uuid)
    raw_path = queries.text(request, "path")
    if not raw_path:
        raise InvalidArgument("Request must specify path.")
    path = safe_file_path(raw_path)
    data = await read_body(request, MAX_UPLOAD_BYTES)
    if not data:
        raise InvalidArgument("Request must specify data.")
    await run_in_threadpool(_store_upload, context, run_uuid, path, data)
    return json_response(EMPTY)
