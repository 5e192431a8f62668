"""Run the MLflow-style scripts in tests/compat/scripts/ both ways, and read back what they left.

Each script is run twice: by the real mlflow (``.venv-mlflow/bin/python script.py``) and by
runwell (this interpreter with ``RUNWELL_MLFLOW_ALIAS=1``, so ``import mlflow`` is runwell).
One reader, :func:`snapshot`, then reads either side's store over REST and normalises away what
must differ between two runs of one script (ids, times, generated run names, artifact URIs,
environment tags), so that :func:`differences` can compare the two snapshots key by key.

A script owns the experiments and registered models whose names start with its file stem
written with hyphens (``tracking_basic.py`` owns ``tracking-basic*``).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import yaml

from tests.mlflow_server import mlflow_server as stock_mlflow_server

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = Path(__file__).resolve().parent / "scripts"
MLFLOW_BIN = ROOT / ".venv-mlflow" / "bin"
RUNWELL_PYTHON = Path(sys.executable)

Side = Literal["mlflow", "runwell"]
SIDES: tuple[Side, Side] = ("mlflow", "runwell")

# ``adjective-animal-NNN``, what both libraries name a run that was given no name.
_GENERATED_NAME = re.compile(r"^[a-z]+-[a-z]+-\d{1,4}$")
# System tags worth comparing; every other ``mlflow.*`` tag depends on the machine or the clock.
_SYSTEM_TAGS_KEPT = frozenset({"mlflow.autologging", "mlflow.note.content"})
_METRIC_REL_TOL = 1e-4


@dataclass(frozen=True)
class Accepted:
    """A known, acceptable difference: what it matches (``kind`` + regex) and why it is fine.

    ``tag``: a tag key left out of both snapshots; ``artifact``: an artifact path left out of
    both; ``difference``: a line of :func:`differences` that does not fail the comparison;
    ``environment``: a ``NAME=value`` the runwell side's scripts run with.
    """

    kind: Literal["tag", "artifact", "difference", "environment"]
    pattern: str
    reason: str


# The one table of accepted differences between mlflow and runwell. Keep every entry justified;
# a real gap belongs in the test module's xfail table instead, naming what runwell lacks.
ACCEPTED: tuple[Accepted, ...] = (
    Accepted(
        "tag",
        r"^runwell\.",
        "runwell's own run-context tags (runwell.host, runwell.python.version, "
        "runwell.source.command) depend on the machine, like mlflow.source.* and mlflow.user",
    ),
    Accepted(
        "artifact",
        r"^runwell-context/",
        "runwell saves a run's context (git diff, requirements) as artifacts; mlflow does not, "
        "and the files hold machine state",
    ),
    Accepted(
        "difference",
        r'/observed/top: .*\["runwell-context", true\]\]$',
        "the same runwell-context/ folder, as the script's own list_artifacts() sees it",
    ),
    Accepted(
        "difference",
        r'/versions/\d+/model: mlflow=null runwell="model:',
        "local backend: MLflow's own SQL schema (3.17) has no model_versions.model_id, so "
        "mlflow server reports no model link; the server backend compares the link",
    ),
    Accepted(
        "environment",
        "RUNWELL_ALLOW_PICKLE=1",
        "runwell refuses by design to unpickle a model read from a tracking store (a "
        "cloudpickle PythonModel, an estimator skops can't hold) unless allowed; mlflow "
        "unpickles silently. Without it models_pyfunc_custom fails on runwell with PickleRefused",
    ),
)


def _accepted(kind: str, text: str) -> bool:
    return any(a.kind == kind and re.search(a.pattern, text) for a in ACCEPTED)


def unexplained(lines: list[str]) -> list[str]:
    """The difference lines that no ``difference`` entry of :data:`ACCEPTED` explains."""
    return [line for line in lines if not _accepted("difference", line)]


def script_names() -> list[str]:
    return sorted(path.stem for path in SCRIPTS.glob("*.py"))


def owner(script: str) -> str:
    """The name prefix of what ``script`` creates."""
    return script.replace("_", "-")


@dataclass(frozen=True)
class Outcome:
    returncode: int
    output: str
    seconds: float

    def describe(self) -> str:
        return f"exit {self.returncode} after {self.seconds:.1f}s:\n{self.output[-3000:]}"


def run_script(
    side: Side, script: str, tracking_uri: str, cwd: Path, timeout: float = 240
) -> Outcome:
    """Run ``script`` with ``side``'s library against ``tracking_uri``, in ``cwd``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "RUNWELL_"))}
    env.update(
        MLFLOW_TRACKING_URI=tracking_uri,
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
        GIT_PYTHON_REFRESH="quiet",
        MPLBACKEND="Agg",
        OMP_NUM_THREADS="1",
        PYTHONHASHSEED="0",
        # mlflow infers a model's requirements in a child interpreter (seconds per log_model);
        # on timeout it falls back to the flavor's defaults. requirements.txt is not compared.
        MLFLOW_REQUIREMENTS_INFERENCE_TIMEOUT="1",
    )
    if side == "runwell":
        env["RUNWELL_MLFLOW_ALIAS"] = "1"
        for entry in ACCEPTED:
            if entry.kind == "environment":
                name, _, value = entry.pattern.partition("=")
                env[name] = value
        python = RUNWELL_PYTHON
    else:
        python = MLFLOW_BIN / "python"
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [str(python), str(SCRIPTS / f"{script}.py")],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as error:
        return Outcome(-1, f"timed out: {error}", time.perf_counter() - started)
    return Outcome(done.returncode, done.stdout + done.stderr, time.perf_counter() - started)


def mlflow_has(module: str) -> bool:
    """Whether ``module`` can be imported next to the real mlflow."""
    code = f"import importlib.util, sys; sys.exit(importlib.util.find_spec({module!r}) is None)"
    return subprocess.run([str(MLFLOW_BIN / "python"), "-c", code], check=False).returncode == 0


@contextmanager
def mlflow_server(home: Path, db_path: Path) -> Iterator[str]:
    """A stock ``mlflow server`` over an existing SQLite store (runwell can't open its schema)."""
    with stock_mlflow_server(home, f"sqlite:///{db_path}") as url:
        yield url


class _Reader:
    """The REST calls the snapshot needs; every answer must be a 200."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def get(self, route: str, **params: Any) -> Any:
        response = self.http.get(route, params=params)
        assert response.status_code == 200, (route, params, response.text[:500])
        return response.json()

    def post(self, path: str, body: dict[str, Any]) -> Any:
        response = self.http.post(path, json=body)
        assert response.status_code == 200, (path, body, response.text[:500])
        return response.json()

    def raw(self, route: str, **params: Any) -> bytes:
        response = self.http.get(route, params=params)
        assert response.status_code == 200, (route, params, response.text[:500])
        return response.content


def _tags(items: list[dict[str, str]] | None) -> dict[str, str]:
    return {
        t["key"]: t.get("value", "")
        for t in items or []
        if (not t["key"].startswith("mlflow.") or t["key"] in _SYSTEM_TAGS_KEPT)
        and not _accepted("tag", t["key"])
    }


def _flavors(text: bytes) -> list[str]:
    document = yaml.safe_load(text)
    return sorted(document.get("flavors") or {})


def _run_artifacts(reader: _Reader, run_id: str, path: str = "") -> Iterator[str]:
    params = {"run_id": run_id, **({"path": path} if path else {})}
    files = reader.get("/api/2.0/mlflow/artifacts/list", **params).get("files", [])
    names = {f["path"].rsplit("/", 1)[-1] for f in files}
    if "MLmodel" in names:
        mlmodel = reader.raw("/get-artifact", run_uuid=run_id, path=f"{path}/MLmodel")
        yield f"{path}/ [model: {', '.join(_flavors(mlmodel))}]"
        return
    for item in files:
        if _accepted("artifact", item["path"]):
            continue
        if item.get("is_dir"):
            yield from _run_artifacts(reader, run_id, item["path"])
        else:
            yield item["path"]


def _observed(reader: _Reader, run_id: str) -> Any:
    return json.loads(reader.raw("/get-artifact", run_uuid=run_id, path="observed.json"))


def _model_flavors(reader: _Reader, model_id: str) -> list[str]:
    base = f"/api/2.0/mlflow/logged-models/{model_id}/artifacts"
    files = reader.get(base + "/directories").get("files", [])
    if not any(f["path"] == "MLmodel" for f in files):
        return ["<no MLmodel>"]
    mlmodel = reader.raw(
        f"/ajax-api/2.0/mlflow/logged-models/{model_id}/artifacts/files",
        artifact_file_path="MLmodel",
    )
    return _flavors(mlmodel)


def _search_all(reader: _Reader, path: str, body: dict[str, Any], key: str) -> list[Any]:
    items: list[Any] = []
    token = None
    while True:
        page = reader.post(path, {**body, **({"page_token": token} if token else {})})
        items.extend(page.get(key, []))
        token = page.get("next_page_token")
        if not token:
            return items


def _runs(reader: _Reader, experiment_id: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    raw = _search_all(
        reader,
        "/api/2.0/mlflow/runs/search",
        {"experiment_ids": [experiment_id], "max_results": 1000},
        "runs",
    )
    raw.sort(key=lambda r: (int(r["info"]["start_time"]), r["info"].get("run_name", "")))
    runs: list[dict[str, Any]] = []
    for index, run in enumerate(raw):
        info, data = run["info"], run.get("data", {})
        name = info.get("run_name", "")
        labels[info["run_id"]] = f"{index}:{'<generated>' if _GENERATED_NAME.match(name) else name}"
    for run in raw:
        info, data = run["info"], run.get("data", {})
        run_id = info["run_id"]
        all_tags = {t["key"]: t.get("value", "") for t in data.get("tags", [])}
        metrics = {}
        for metric in data.get("metrics", []):
            history = reader.get(
                "/api/2.0/mlflow/metrics/get-history", run_id=run_id, metric_key=metric["key"]
            ).get("metrics", [])
            metrics[metric["key"]] = [metric.get("value"), len(history)]
        artifacts = sorted(_run_artifacts(reader, run_id))
        datasets = sorted(
            [
                d["dataset"]["name"],
                d["dataset"].get("source_type", ""),
                sorted(_tags(d.get("tags")).items()),
            ]
            for d in run.get("inputs", {}).get("dataset_inputs", [])
        )
        parent = all_tags.get("mlflow.parentRunId")
        runs.append(
            {
                "run": labels[run_id],
                "status": info["status"],
                "parent": labels.get(parent, parent) if parent else None,
                "params": {p["key"]: p.get("value", "") for p in data.get("params", [])},
                "metrics": metrics,
                "tags": _tags(data.get("tags")),
                "artifacts": artifacts,
                "datasets": datasets,
                "observed": _observed(reader, run_id) if "observed.json" in artifacts else None,
            }
        )
    return runs


def _logged_models(
    reader: _Reader, experiment_id: str, labels: dict[str, str]
) -> list[dict[str, Any]]:
    found = _search_all(
        reader,
        "/api/2.0/mlflow/logged-models/search",
        {"experiment_ids": [experiment_id], "max_results": 100},
        "models",
    )
    models = []
    for model in found:
        info, data = model["info"], model.get("data", {})
        labels[info["model_id"]] = f"model:{info.get('name', '')}"
        models.append(
            {
                "name": info.get("name", ""),
                "status": info.get("status"),
                "source_run": labels.get(info.get("source_run_id", ""), None),
                "params": {p["key"]: p.get("value", "") for p in data.get("params", [])},
                "metrics": sorted({m["key"] for m in data.get("metrics", [])}),
                "tags": _tags(info.get("tags")),
                "flavors": _model_flavors(reader, info["model_id"]),
            }
        )
    return sorted(models, key=lambda m: (m["name"], str(m["source_run"])))


def _registry(reader: _Reader, prefix: str, labels: dict[str, str]) -> dict[str, Any]:
    found = reader.get("/api/2.0/mlflow/registered-models/search", max_results=1000)
    registry: dict[str, Any] = {}
    for model in found.get("registered_models", []):
        name = model["name"]
        if not name.startswith(prefix):
            continue
        versions = reader.get(
            "/api/2.0/mlflow/model-versions/search", filter=f"name = '{name}'", max_results=1000
        ).get("model_versions", [])
        registry[name] = {
            "description": model.get("description", ""),
            "tags": _tags(model.get("tags")),
            "aliases": {a["alias"]: a["version"] for a in model.get("aliases", [])},
            "versions": sorted(
                (
                    {
                        "version": v["version"],
                        "stage": v.get("current_stage", "None"),
                        "status": v.get("status"),
                        "description": v.get("description", ""),
                        "tags": _tags(v.get("tags")),
                        "run": labels.get(v.get("run_id", ""), v.get("run_id")),
                        "model": labels.get(v.get("model_id", ""), v.get("model_id")),
                    }
                    for v in versions
                ),
                key=lambda v: int(v["version"]),
            ),
        }
    return registry


ASPECTS = ("runs", "logged_models", "registry")


def snapshot(url: str, script: str) -> dict[str, Any]:
    """Everything ``script`` left on the tracking server at ``url``, normalised, by aspect.

    ``runs``: experiments with their tags and runs; ``logged_models``: the MLflow 3 models per
    experiment; ``registry``: registered models and their versions.
    """
    with httpx.Client(base_url=url, timeout=30) as http:
        return _snapshot(_Reader(http), owner(script))


def _snapshot(reader: _Reader, prefix: str) -> dict[str, Any]:
    experiments = _search_all(
        reader,
        "/api/2.0/mlflow/experiments/search",
        {"max_results": 1000, "view_type": "ALL"},
        "experiments",
    )
    labels: dict[str, str] = {}
    runs: dict[str, Any] = {}
    logged_models: dict[str, Any] = {}
    for experiment in sorted(experiments, key=lambda e: e["name"]):
        if not experiment["name"].startswith(prefix):
            continue
        experiment_id = experiment["experiment_id"]
        runs[experiment["name"]] = {
            "lifecycle_stage": experiment.get("lifecycle_stage"),
            "tags": _tags(experiment.get("tags")),
            "runs": _runs(reader, experiment_id, labels),
        }
        logged_models[experiment["name"]] = _logged_models(reader, experiment_id, labels)
    return {
        "runs": runs,
        "logged_models": logged_models,
        "registry": _registry(reader, prefix, labels),
    }


def _same_number(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return bool(left == right)
    if isinstance(left, int | float) and isinstance(right, int | float):
        return bool(math.isclose(left, right, rel_tol=_METRIC_REL_TOL, abs_tol=1e-9))
    return False


def differences(mlflow_side: Any, runwell_side: Any, path: str = "") -> Iterator[str]:
    """Every ``path: mlflow=… runwell=…`` where the two snapshots disagree."""
    if isinstance(mlflow_side, dict) and isinstance(runwell_side, dict):
        for key in sorted(set(mlflow_side) | set(runwell_side), key=str):
            where = f"{path}/{key}"
            if key not in runwell_side:
                yield f"{where}: only in mlflow = {json.dumps(mlflow_side[key])[:300]}"
            elif key not in mlflow_side:
                yield f"{where}: only in runwell = {json.dumps(runwell_side[key])[:300]}"
            else:
                yield from differences(mlflow_side[key], runwell_side[key], where)
    elif (
        isinstance(mlflow_side, list)
        and isinstance(runwell_side, list)
        and len(mlflow_side) == len(runwell_side)
    ):
        for index, (left, right) in enumerate(zip(mlflow_side, runwell_side, strict=True)):
            yield from differences(left, right, f"{path}/{index}")
    elif mlflow_side != runwell_side and not _same_number(mlflow_side, runwell_side):
        left, right = json.dumps(mlflow_side)[:400], json.dumps(runwell_side)[:400]
        yield f"{path}: mlflow={left} runwell={right}"
