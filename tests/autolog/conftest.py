"""Autolog tests: real scikit-learn models on small generated data, into the test's SQLite store.

Every test ends with autolog off (every patch undone), its background work flushed, the
supported ranges as declared and autolog's once-only warnings forgotten.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

import runwell
import runwell.sklearn
from runwell.autologging import patching, versions
from runwell.entities import Run


@pytest.fixture(autouse=True)
def _autolog_off() -> Iterator[None]:
    declared = versions.supported_range("sklearn")
    patching.reset_warnings()
    yield
    runwell.autologging.flush()
    runwell.autolog(disable=True)
    versions.set_supported_range("sklearn", declared.minimum, declared.maximum)


@pytest.fixture
def classification() -> tuple[Any, Any, Any, Any]:
    """A binary problem: X_train, X_test, y_train, y_test."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_features=6, n_informative=4, random_state=0)
    return X[:200], X[200:], y[:200], y[200:]


def all_runs() -> list[Run]:
    """Every run of the default experiment, oldest first, once autolog's background work
    (training metrics, models, datasets) is stored."""
    runwell.autologging.flush()
    client = runwell.RunwellClient()
    runs = client.search_runs(["0"], max_results=1000).items
    return sorted(runs, key=lambda r: r.info.start_time)


def only_run() -> Run:
    runs = all_runs()
    assert len(runs) == 1, [r.data.tag_dict.get("estimator_name") for r in runs]
    return runs[0]


def rng() -> np.random.Generator:
    return np.random.default_rng(0)
