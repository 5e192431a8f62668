"""Differential test: every request of the corpus gets the same HTTP status and ``error_code``
from ``runwell server`` as from MLflow's own server, except the deliberate differences the
corpus lists (each asserted both ways)."""

from __future__ import annotations

import httpx
import pytest

from tests.compat.corpus import CORPUS, Answer, Case, run_corpus

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def answers(mlflow_url: str, runwell_url: str) -> tuple[dict[str, Answer], dict[str, Answer]]:
    """The whole corpus, in order, against each server once."""
    with httpx.Client(timeout=30) as client:
        return run_corpus(client, mlflow_url), run_corpus(client, runwell_url)


def test_corpus_is_large_and_named_uniquely() -> None:
    names = [case.name for case in CORPUS]
    assert len(names) >= 60
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CORPUS, ids=lambda case: case.name)
def test_same_status_and_error_code(
    case: Case, answers: tuple[dict[str, Answer], dict[str, Answer]]
) -> None:
    stock, ours = answers[0][case.name], answers[1][case.name]
    if case.deliberate is None:
        assert (ours.status, ours.error_code) == (stock.status, stock.error_code), (
            f"mlflow: {stock.message!r}; runwell: {ours.message!r}"
        )
    else:
        expected = (case.deliberate.status, case.deliberate.error_code)
        assert (ours.status, ours.error_code) == expected, ours.message
        assert (stock.status, stock.error_code) != expected, (
            f"MLflow now answers like runwell ({stock.message!r}): {case.deliberate.reason}"
        )


def test_type_errors_use_mlflows_wording(
    answers: tuple[dict[str, Answer], dict[str, Answer]],
) -> None:
    for name in (
        "metric-log-int-run",
        "tag-set-int-value",
        "exp-create-int-name",
        "exp-create-float-location",
        "batch-metric-no-time",
        "bulk-interval-101-runs",
    ):
        stock, ours = answers[0][name], answers[1][name]
        assert ours.message == stock.message, name


def test_version_reads_as_mlflows(answers: tuple[dict[str, Answer], dict[str, Answer]]) -> None:
    assert answers[1]["version"].body == answers[0]["version"].body
