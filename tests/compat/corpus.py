"""The differential corpus: REST requests sent in order to ``runwell server`` and ``mlflow server``.

Each Case is one request (method, path under ``/api/2.0/mlflow`` unless it starts with ``/api``
or is a root path, JSON body or query items). Ids that differ between servers are captured from
an earlier answer (``capture={"run": "run.info.run_id"}``) and used later as ``${run}`` in a
body, a query value or the path. Both servers get the same sequence, so their state evolves
alike. To cover a new endpoint, add its happy path and its edge cases here.

``deliberate`` marks a known, intended difference: runwell's answer is given there, with the
reason, and the test asserts both that runwell answers so and that MLflow still answers
otherwise (a change on MLflow's side shows up as a failure to look at).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx


@dataclass(frozen=True)
class Deliberate:
    status: int
    error_code: str | None
    reason: str


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    path: str
    body: Any = None
    query: tuple[tuple[str, str], ...] = ()
    capture: dict[str, str] = field(default_factory=dict)
    deliberate: Deliberate | None = None


def post(name: str, path: str, body: Any, **kw: Any) -> Case:
    return Case(name, "POST", path, body, **kw)


def get(name: str, path: str, *query: tuple[str, str], **kw: Any) -> Case:
    return Case(name, "GET", path, None, tuple(query), **kw)


_STRICT_TYPES = Deliberate(
    400,
    "INVALID_PARAMETER_VALUE",
    "runwell refuses every wrongly typed string field; MLflow type-checks only the fields in "
    "each handler's schema and silently drops the others when protobuf parsing fails",
)

_RUN_IDS_101 = tuple(("run_ids", f"r{i:03d}") for i in range(101))

CORPUS: list[Case] = [
    # ---------------------------------------------------------------- server
    get("version", "/version"),
    get("health", "/health"),
    # ---------------------------------------------------------------- experiments
    post(
        "exp-create", "experiments/create", {"name": "compat-exp"}, capture={"exp": "experiment_id"}
    ),
    post("exp-create-duplicate", "experiments/create", {"name": "compat-exp"}),
    post("exp-create-no-name", "experiments/create", {}),
    post("exp-create-empty-name", "experiments/create", {"name": ""}),
    post("exp-create-null-name", "experiments/create", {"name": None}),
    post("exp-create-int-name", "experiments/create", {"name": 123}),
    post("exp-create-bool-name", "experiments/create", {"name": True}),
    post("exp-create-list-name", "experiments/create", {"name": ["a"]}),
    post("exp-create-object-name", "experiments/create", {"name": {"a": 1}}),
    post(
        "exp-create-float-location",
        "experiments/create",
        {"name": "compat-float", "artifact_location": 9.0},
    ),
    post(
        "exp-create-relative-location",
        "experiments/create",
        {"name": "compat-relative", "artifact_location": "my_location"},
        capture={"exp_rel": "experiment_id"},
    ),
    get("exp-get-relative", "experiments/get", ("experiment_id", "${exp_rel}")),
    post(
        "exp-create-runs-location",
        "experiments/create",
        {"name": "compat-runs-uri", "artifact_location": "runs:/abc/x"},
    ),
    post(
        "exp-create-tags",
        "experiments/create",
        {"name": "compat-tagged", "tags": [{"key": "a", "value": "b"}]},
    ),
    get("exp-get", "experiments/get", ("experiment_id", "${exp}")),
    get("exp-get-unknown", "experiments/get", ("experiment_id", "987654")),
    get("exp-get-no-id", "experiments/get"),
    get("exp-get-by-name", "experiments/get-by-name", ("experiment_name", "compat-exp")),
    get("exp-get-by-name-unknown", "experiments/get-by-name", ("experiment_name", "nope")),
    post("exp-search", "experiments/search", {"max_results": 10}),
    post("exp-search-no-max", "experiments/search", {}),
    post("exp-search-max-text", "experiments/search", {"max_results": "ten"}),
    post("exp-search-bad-filter", "experiments/search", {"max_results": 5, "filter": "name ~ 'x'"}),
    post(
        "exp-search-deleted", "experiments/search", {"max_results": 5, "view_type": "DELETED_ONLY"}
    ),
    get("exp-search-get", "experiments/search", ("max_results", "5")),
    post(
        "exp-update", "experiments/update", {"experiment_id": "${exp}", "new_name": "compat-exp2"}
    ),
    post("exp-update-no-name", "experiments/update", {"experiment_id": "${exp}"}),
    post(
        "exp-set-tag",
        "experiments/set-experiment-tag",
        {"experiment_id": "${exp}", "key": "k", "value": "v"},
    ),
    post(
        "exp-set-tag-int-value",
        "experiments/set-experiment-tag",
        {"experiment_id": "${exp}", "key": "k", "value": 5},
    ),
    post(
        "exp-delete-tag",
        "experiments/delete-experiment-tag",
        {"experiment_id": "${exp}", "key": "k"},
    ),
    post(
        "exp-create-doomed",
        "experiments/create",
        {"name": "compat-del"},
        capture={"exp_del": "experiment_id"},
    ),
    post("exp-delete", "experiments/delete", {"experiment_id": "${exp_del}"}),
    post("exp-delete-unknown", "experiments/delete", {"experiment_id": "987654"}),
    post("exp-delete-int-id", "experiments/delete", {"experiment_id": 5}),
    post("exp-restore", "experiments/restore", {"experiment_id": "${exp_del}"}),
    # ---------------------------------------------------------------- runs
    post(
        "run-create",
        "runs/create",
        {"experiment_id": "${exp}", "start_time": 1000, "run_name": "r1"},
        capture={"run": "run.info.run_id", "art": "run.info.artifact_uri"},
    ),
    post(
        "run-create-second",
        "runs/create",
        {"experiment_id": "${exp}"},
        capture={"run2": "run.info.run_id"},
    ),
    post("run-create-int-experiment", "runs/create", {"experiment_id": 0}),
    post("run-create-int-name", "runs/create", {"experiment_id": "${exp}", "run_name": 7}),
    post(
        "run-create-int-user",
        "runs/create",
        {"experiment_id": "${exp}", "user_id": 7},
        deliberate=_STRICT_TYPES,
    ),
    post("run-create-bad-start", "runs/create", {"experiment_id": "${exp}", "start_time": "soon"}),
    get("run-get", "runs/get", ("run_id", "${run}")),
    get("run-get-unknown", "runs/get", ("run_id", "0123456789abcdef0123456789abcdef")),
    get("run-get-no-id", "runs/get"),
    post(
        "run-update", "runs/update", {"run_id": "${run2}", "status": "FINISHED", "end_time": 5000}
    ),
    post("run-update-bogus-status", "runs/update", {"run_id": "${run2}", "status": "BOGUS"}),
    post(
        "metric-log",
        "runs/log-metric",
        {"run_id": "${run}", "key": "m", "value": 1.5, "timestamp": 1, "step": 0},
    ),
    post(
        "metric-log-step",
        "runs/log-metric",
        {"run_id": "${run}", "key": "m", "value": 2, "timestamp": 2, "step": 1},
    ),
    post(
        "metric-log-int-run",
        "runs/log-metric",
        {"run_id": 31, "key": "m", "value": 1, "timestamp": 1},
    ),
    post(
        "metric-log-text-value",
        "runs/log-metric",
        {"run_id": "${run}", "key": "m", "value": "abc", "timestamp": 1},
    ),
    post(
        "metric-log-nan",
        "runs/log-metric",
        {"run_id": "${run}", "key": "n", "value": "NaN", "timestamp": 1},
    ),
    post(
        "metric-log-text-time",
        "runs/log-metric",
        {"run_id": "${run}", "key": "m", "value": 1, "timestamp": "x"},
    ),
    post("metric-log-no-time", "runs/log-metric", {"run_id": "${run}", "key": "m", "value": 1}),
    post("metric-log-no-key", "runs/log-metric", {"run_id": "${run}", "value": 1, "timestamp": 1}),
    post(
        "metric-log-int-key",
        "runs/log-metric",
        {"run_id": "${run}", "key": 3, "value": 1, "timestamp": 1},
    ),
    post(
        "metric-log-unknown-run",
        "runs/log-metric",
        {"run_id": "0123456789abcdef0123456789abcdef", "key": "m", "value": 1, "timestamp": 1},
    ),
    post("metric-log-no-run", "runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}),
    post("param-log", "runs/log-parameter", {"run_id": "${run}", "key": "p", "value": "1"}),
    post("param-log-again", "runs/log-parameter", {"run_id": "${run}", "key": "p", "value": "1"}),
    post("param-log-changed", "runs/log-parameter", {"run_id": "${run}", "key": "p", "value": "2"}),
    post("param-log-int-value", "runs/log-parameter", {"run_id": "${run}", "key": "q", "value": 5}),
    post("tag-set", "runs/set-tag", {"run_id": "${run}", "key": "t", "value": "v"}),
    post("tag-set-int-value", "runs/set-tag", {"run_id": "${run}", "key": "t", "value": 41}),
    post("tag-set-int-key", "runs/set-tag", {"run_id": "${run}", "key": 5, "value": "x"}),
    post("tag-set-no-key", "runs/set-tag", {"run_id": "${run}", "value": "x"}),
    post("tag-delete", "runs/delete-tag", {"run_id": "${run}", "key": "t"}),
    post("tag-delete-unknown", "runs/delete-tag", {"run_id": "${run}", "key": "never-set"}),
    post(
        "batch-log",
        "runs/log-batch",
        {
            "run_id": "${run}",
            "metrics": [{"key": "b", "value": 1, "timestamp": 3, "step": 0}],
            "params": [{"key": "bp", "value": "x"}],
            "tags": [{"key": "bt", "value": "y"}],
        },
    ),
    post("batch-empty", "runs/log-batch", {"run_id": "${run}"}),
    post(
        "batch-metric-no-time",
        "runs/log-batch",
        {"run_id": "${run}", "metrics": [{"key": "m", "value": 1}]},
    ),
    post(
        "batch-metric-no-value",
        "runs/log-batch",
        {"run_id": "${run}", "metrics": [{"key": "m", "timestamp": 1}]},
    ),
    post(
        "batch-metric-no-key",
        "runs/log-batch",
        {"run_id": "${run}", "metrics": [{"value": 1, "timestamp": 1}]},
    ),
    post("batch-param-no-key", "runs/log-batch", {"run_id": "${run}", "params": [{"value": "1"}]}),
    post("batch-tag-no-key", "runs/log-batch", {"run_id": "${run}", "tags": [{"value": "1"}]}),
    post("batch-metrics-object", "runs/log-batch", {"run_id": "${run}", "metrics": {}}),
    post(
        "batch-duplicate-params",
        "runs/log-batch",
        {"run_id": "${run}", "params": [{"key": "d", "value": "1"}, {"key": "d", "value": "2"}]},
    ),
    post(
        "batch-too-many-params",
        "runs/log-batch",
        {"run_id": "${run}", "params": [{"key": f"k{i}", "value": "v"} for i in range(101)]},
    ),
    post("batch-int-run", "runs/log-batch", {"run_id": 7}),
    post("run-search", "runs/search", {"experiment_ids": ["${exp}"]}),
    post(
        "run-search-filter",
        "runs/search",
        {"experiment_ids": ["${exp}"], "filter": "metrics.m > 0"},
    ),
    post(
        "run-search-bad-filter",
        "runs/search",
        {"experiment_ids": ["${exp}"], "filter": "metrics.m >>> 0"},
    ),
    post(
        "run-search-too-many", "runs/search", {"experiment_ids": ["${exp}"], "max_results": 50001}
    ),
    post("run-search-no-experiments", "runs/search", {}),
    post(
        "run-search-bogus-view",
        "runs/search",
        {"experiment_ids": ["${exp}"], "run_view_type": "BOGUS"},
    ),
    post("run-search-text-experiments", "runs/search", {"experiment_ids": "${exp}"}),
    post(
        "run-search-int-experiments",
        "runs/search",
        {"experiment_ids": [0]},
        deliberate=_STRICT_TYPES,
    ),
    post("run-search-int-filter", "runs/search", {"experiment_ids": ["${exp}"], "filter": 5}),
    get("history", "metrics/get-history", ("run_id", "${run}"), ("metric_key", "m")),
    get("history-no-key", "metrics/get-history", ("run_id", "${run}")),
    get(
        "history-unknown-run",
        "metrics/get-history",
        ("run_id", "0123456789abcdef0123456789abcdef"),
        ("metric_key", "m"),
        deliberate=Deliberate(
            404,
            "RESOURCE_DOES_NOT_EXIST",
            "runwell's store names an unknown run (as runs/get does); MLflow answers an empty "
            "history. TODO(#23): decide whether to follow MLflow here",
        ),
    ),
    get(
        "bulk-interval",
        "metrics/get-history-bulk-interval",
        ("run_ids", "${run}"),
        ("metric_key", "m"),
    ),
    get("bulk-interval-no-runs", "metrics/get-history-bulk-interval", ("metric_key", "m")),
    get(
        "bulk-interval-101-runs",
        "metrics/get-history-bulk-interval",
        *_RUN_IDS_101,
        ("metric_key", "m"),
    ),
    get(
        "bulk-interval-max-too-big",
        "metrics/get-history-bulk-interval",
        ("run_ids", "${run}"),
        ("metric_key", "m"),
        ("max_results", "2501"),
    ),
    post("run-delete", "runs/delete", {"run_id": "${run2}"}),
    post(
        "metric-log-deleted-run",
        "runs/log-metric",
        {"run_id": "${run2}", "key": "m", "value": 1, "timestamp": 1},
    ),
    post("run-restore", "runs/restore", {"run_id": "${run2}"}),
    post("run-delete-unknown", "runs/delete", {"run_id": "0123456789abcdef0123456789abcdef"}),
    # ---------------------------------------------------------------- registry
    post("model-create", "registered-models/create", {"name": "compat-model"}),
    post("model-create-duplicate", "registered-models/create", {"name": "compat-model"}),
    post("model-create-no-name", "registered-models/create", {}),
    get("model-get", "registered-models/get", ("name", "compat-model")),
    get("model-get-unknown", "registered-models/get", ("name", "nope")),
    get("model-search", "registered-models/search", ("max_results", "10")),
    post(
        "model-set-tag",
        "registered-models/set-tag",
        {"name": "compat-model", "key": "a", "value": "b"},
    ),
    post(
        "version-create",
        "model-versions/create",
        {"name": "compat-model", "source": "${art}/model", "run_id": "${run}"},
    ),
    post(
        "version-create-foreign-source",
        "model-versions/create",
        {"name": "compat-model", "source": "s3://bucket/model", "run_id": "${run}"},
        deliberate=Deliberate(
            400,
            "INVALID_PARAMETER_VALUE",
            "security: runwell accepts a version source only inside the run's (or logged "
            "model's) artifact location unless RUNWELL_ALLOWED_MODEL_SOURCES allows it; MLflow "
            "accepts any remote URI",
        ),
    ),
    post(
        "version-create-local-source",
        "model-versions/create",
        {"name": "compat-model", "source": "/etc/passwd"},
    ),
    post(
        "version-create-unknown-model",
        "model-versions/create",
        {"name": "nope", "source": "s3://b/m"},
    ),
    get("version-get", "model-versions/get", ("name", "compat-model"), ("version", "1")),
    get("version-get-unknown", "model-versions/get", ("name", "compat-model"), ("version", "99")),
    get("version-search", "model-versions/search", ("filter", "name = 'compat-model'")),
    post(
        "alias-set",
        "registered-models/alias",
        {"name": "compat-model", "alias": "champ", "version": "1"},
    ),
    get("alias-get", "registered-models/alias", ("name", "compat-model"), ("alias", "champ")),
    get(
        "alias-get-unknown", "registered-models/alias", ("name", "compat-model"), ("alias", "nope")
    ),
    # ---------------------------------------------------------------- logged models
    post(
        "logged-model-create",
        "logged-models",
        {"experiment_id": "${exp}", "name": "lm"},
        capture={"model": "model.info.model_id"},
    ),
    post("logged-model-create-no-experiment", "logged-models", {"name": "lm"}),
    get("logged-model-get", "logged-models/${model}"),
    get("logged-model-get-unknown", "logged-models/m-0123456789abcdef0123456789abcdef"),
    post("logged-model-search", "logged-models/search", {"experiment_ids": ["${exp}"]}),
    Case(
        "logged-model-set-tags",
        "PATCH",
        "logged-models/${model}/tags",
        {"tags": [{"key": "a", "value": "b"}]},
    ),
]


@dataclass(frozen=True)
class Answer:
    status: int
    error_code: str | None
    message: str | None
    body: Any


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for key, known in names.items():
            value = value.replace("${" + key + "}", known)
        return value
    if isinstance(value, list):
        return [_fill(item, names) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, names) for key, item in value.items()}
    return value


def _url(base: str, path: str) -> str:
    if path.startswith("/"):
        return base + path
    return f"{base}/api/2.0/mlflow/{path}"


def _dig(body: Any, dotted: str) -> str:
    for part in dotted.split("."):
        body = body[part]
    assert isinstance(body, str), (dotted, body)
    return body


def run_corpus(client: httpx.Client, base: str) -> dict[str, Answer]:
    """Every case in order against the server at ``base``; answers by case name."""
    names: dict[str, str] = {}
    answers: dict[str, Answer] = {}
    for case in CORPUS:
        url = _url(base, _fill(case.path, names))
        if case.method == "GET":
            response = client.get(url, params=[(k, _fill(v, names)) for k, v in case.query])
        else:
            response = client.request(case.method, url, json=_fill(case.body, names))
        try:
            body = response.json()
        except ValueError:
            body = response.text
        error = body if isinstance(body, dict) else {}
        answers[case.name] = Answer(
            response.status_code, error.get("error_code"), error.get("message"), body
        )
        if response.status_code == 200:
            for name, dotted in case.capture.items():
                names[name] = _dig(body, dotted)
    return answers
