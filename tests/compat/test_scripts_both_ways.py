"""The MLflow-style script corpus, run by the real mlflow and by runwell, must leave one state.

Every script in tests/compat/scripts/ runs four times: with each library (``.venv-mlflow``'s
mlflow; runwell through ``RUNWELL_MLFLOW_ALIAS=1``) against each backend:

- ``server``: a ``runwell server``. Each side gets a fresh server of its own, so the scripts keep
  the literal experiment and model names MLflow's documentation would use, and a side's
  ``search_experiments``/``search_logged_models`` sees only what that side wrote.
- ``local``: a fresh ``sqlite:///`` file per side (artifacts under the side's working folder),
  written by the side's own library. The scripts of one side run one after another there, as
  two processes writing one SQLite file can lock it. One reader reads both: runwell cannot open
  MLflow's SQLite schema (it refuses revisions it does not know), so MLflow's local store is
  served by ``mlflow server`` and runwell's by ``runwell server``, and both are read over REST.

:func:`tests.compat.script_runner.snapshot` reads and normalises a side's state; each
(backend, script, aspect) is one test, so that a gap fails only where it lies. Known gaps are
the strict xfails of ``GAPS``; acceptable differences are ``script_runner.ACCEPTED``.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from tests.compat import script_runner
from tests.compat.script_runner import ASPECTS, SIDES, Outcome, Side
from tests.server.cli_process import run_server

pytestmark = pytest.mark.slow

BACKENDS = ("server", "local")
SCRIPTS = script_runner.script_names()

_EVAL_SETS = (
    "{flavor} autolog records only the training dataset as a run input; mlflow also records "
    "each evaluation set ({sets})"
)
_MODEL_METRICS = (
    "metrics are not linked to the logged model (runwell's metrics carry no model_id yet)"
)
_RUNS_AND_MODELS = ("runs", "logged_models", "registry")

# (script, aspects) -> what runwell lacks. Strict: fixing the gap turns these into failures.
GAPS: dict[str, tuple[tuple[str, ...], str]] = {
    "autolog_sklearn_fit": (
        ("runs", "logged_models"),
        "sklearn autolog logs no estimator.html or training_confusion_matrix.png; the logged "
        "model carries neither the estimator's params nor the training metrics",
    ),
    "autolog_sklearn_gridsearch": (
        ("runs", "logged_models"),
        "GridSearchCV autolog: runwell logs cv_results.csv and the best_* params and training "
        "metrics on the parent where mlflow logs them elsewhere (to review with the checker's "
        "run order); the logged model carries no params or metrics",
    ),
    "autolog_xgboost": (("runs",), _EVAL_SETS.format(flavor="xgboost", sets="train, valid")),
    "autolog_lightgbm": (("runs",), _EVAL_SETS.format(flavor="lightgbm", sets="valid")),
    "autolog_lightning": (
        ("runs",),
        "pytorch autolog records the training dataset (mlflow records none), logs optimizer "
        "params that are None as '' (mlflow: 'None') and sets no 'Mode' tag",
    ),
    "autolog_statsmodels": (
        _RUNS_AND_MODELS,
        "mlflow.statsmodels.autolog is missing: runwell.statsmodels has no autolog",
    ),
    "artifacts_table": (
        ("runs",),
        "log_table to an existing artifact file replaces it; mlflow appends the new rows "
        "(load_table sees 1 row, mlflow 3)",
    ),
    "logged_models_metrics": (
        _RUNS_AND_MODELS,
        "log_metric(..., model_id=, dataset=) is not supported: TypeError unexpected keyword "
        "argument 'model_id'",
    ),
    "registry_register": (
        ("runs", "logged_models"),
        "ModelVersion.status is the int enum 3, mlflow's is the string 'READY'; and log_model "
        "does not copy the active run's params onto the logged model (mlflow does)",
    ),
    "logged_models_search": (
        ("runs",),
        "LoggedModel.status is an int enum (str() gives '2'); mlflow's str() gives 'READY'",
    ),
    "autolog_generic": (
        ("runs",),
        "sklearn autologging does not log the estimator.html artifact (mlflow does)",
    ),
    "models_sklearn_signature": (
        ("logged_models",),
        "log_model does not copy the active run's params onto the logged model (mlflow does)",
    ),
}

# Gaps seen on one backend only: (backend, script) -> (aspects, reason).
BACKEND_GAPS: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {
    ("local", "autolog_xgboost"): (
        ("runs", "logged_models"),
        _EVAL_SETS.format(flavor="xgboost", sets="train, valid") + "; " + _MODEL_METRICS,
    ),
    ("local", "autolog_lightgbm"): (
        ("runs", "logged_models"),
        _EVAL_SETS.format(flavor="lightgbm", sets="valid") + "; " + _MODEL_METRICS,
    ),
    ("local", "registry_stages"): (
        ("runs",),
        "ModelVersion.version from a local store: mlflow's SQL store gives an int, runwell a str",
    ),
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Corpus:
    """Where each (backend, side) store can be read, and how each script ran there."""

    urls: dict[tuple[str, Side], str] = field(default_factory=dict)
    outcomes: dict[tuple[str, Side, str], Outcome] = field(default_factory=dict)
    _snapshots: dict[tuple[str, Side, str], dict[str, Any]] = field(default_factory=dict)

    def snapshot(self, backend: str, side: Side, script: str) -> dict[str, Any]:
        key = (backend, side, script)
        if key not in self._snapshots:
            self._snapshots[key] = script_runner.snapshot(self.urls[backend, side], script)
        return self._snapshots[key]


def _runwell_server(stack: ExitStack, home: Path, db: Path, artifacts: Path) -> str:
    server = stack.enter_context(
        run_server(
            home,
            "--backend-store-uri",
            f"sqlite:///{db}",
            "--artifacts-destination",
            str(artifacts),
            timeout_s=90,
        )
    )
    return server.url


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Corpus]:
    """Run every script four times (two at a time), then serve the four stores for reading."""
    if not (script_runner.MLFLOW_BIN / "python").exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs .venv-mlflow (make mlflow-env) for the corpus")
        pytest.skip("needs .venv-mlflow (make mlflow-env)")
    # make mlflow-env installs lightning beside mlflow; an older .venv-mlflow may lack it.
    scripts = [
        s
        for s in SCRIPTS
        if s != "autolog_lightning" or os.environ.get("CI") or script_runner.mlflow_has("lightning")
    ]
    result = Corpus()
    homes = {
        (backend, side): tmp_path_factory.mktemp(f"{backend}-{side}")
        for backend in BACKENDS
        for side in SIDES
    }
    with ExitStack() as stack:
        for side in SIDES:
            home = homes["server", side]
            result.urls["server", side] = _runwell_server(
                stack, home, home / "server.db", home / "served-artifacts"
            )

        def run_one(backend: str, side: Side, script: str, uri: str) -> None:
            outcome = script_runner.run_script(side, script, uri, homes[backend, side])
            result.outcomes[backend, side, script] = outcome

        def local_chain(side: Side) -> None:
            uri = f"sqlite:///{homes['local', side]}/local.db"
            for script in scripts:
                run_one("local", side, script, uri)

        # The two local chains go first: each is a long serial job, the rest fill around them.
        jobs: list[Callable[[], None]] = [partial(local_chain, side) for side in SIDES]
        jobs += [
            partial(run_one, "server", side, script, result.urls["server", side])
            for script in scripts
            for side in SIDES
        ]
        with ThreadPoolExecutor(2) as pool:
            for done in [pool.submit(job) for job in jobs]:
                done.result()

        mlflow_home = homes["local", "mlflow"]
        result.urls["local", "mlflow"] = stack.enter_context(
            script_runner.mlflow_server(mlflow_home, mlflow_home / "local.db")
        )
        # runwell serves only artifacts under its roots (mlflow serves any local path): the
        # local store's default root, ./runwell-artifacts, is made the served one.
        runwell_home = homes["local", "runwell"]
        result.urls["local", "runwell"] = _runwell_server(
            stack, runwell_home, runwell_home / "local.db", runwell_home / "runwell-artifacts"
        )
        yield result


def _cases() -> Iterator[Any]:
    for backend in BACKENDS:
        for script in SCRIPTS:
            for aspect in ASPECTS:
                aspects, reason = BACKEND_GAPS.get((backend, script), GAPS.get(script, ((), "")))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if aspect in aspects else []
                yield pytest.param(
                    backend, script, aspect, marks=marks, id=f"{backend}-{script}-{aspect}"
                )


@pytest.mark.parametrize(("backend", "script", "aspect"), list(_cases()))
def test_script_leaves_the_same_state_both_ways(
    corpus: Corpus, backend: str, script: str, aspect: str
) -> None:
    if (backend, "mlflow", script) not in corpus.outcomes:
        pytest.skip(f"{script} needs a module .venv-mlflow lacks")
    mlflow_ran = corpus.outcomes[backend, "mlflow", script]
    assert mlflow_ran.returncode == 0, "the script is broken on mlflow: " + mlflow_ran.describe()
    runwell_ran = corpus.outcomes[backend, "runwell", script]
    assert runwell_ran.returncode == 0, "fails on runwell: " + runwell_ran.describe()
    expected = corpus.snapshot(backend, "mlflow", script)[aspect]
    actual = corpus.snapshot(backend, "runwell", script)[aspect]
    lines = script_runner.unexplained(list(script_runner.differences(expected, actual)))
    assert not lines, "\n".join(lines)


def test_corpus_is_mlflow_code_that_owns_distinct_names() -> None:
    assert len(SCRIPTS) >= 25
    for script in SCRIPTS:
        text = (script_runner.SCRIPTS / f"{script}.py").read_text()
        assert re.search(r"^(import mlflow|from mlflow)", text, re.M), script
        assert "runwell" not in text, script
        others = [o for o in SCRIPTS if o != script]
        assert not [
            o for o in others if script_runner.owner(o).startswith(script_runner.owner(script))
        ]
