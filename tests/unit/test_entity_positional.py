"""MLflow's entities take positional arguments in MLflow's order; runwell's do too, and
keywords as before (issue 23: ``Metric("loss", 0.5, ts, 0)`` raised TypeError)."""

from __future__ import annotations

from typing import Any

import pytest

import runwell
from runwell.entities import (
    Dataset,
    DatasetInput,
    ExperimentTag,
    InputTag,
    LoggedModelParam,
    LoggedModelTag,
    Metric,
    ModelInput,
    ModelOutput,
    Param,
    RunTag,
)
from runwell.entities.registry import ModelVersionTag, RegisteredModelAlias, RegisteredModelTag

# (class, MLflow's positional arguments, the same as keywords)
CASES: list[tuple[type[Any], tuple[Any, ...], dict[str, Any]]] = [
    (
        Metric,
        ("loss", 0.5, 1700000000000, 3),
        {"key": "loss", "value": 0.5, "timestamp": 1700000000000, "step": 3},
    ),
    (Param, ("alpha", "0.1"), {"key": "alpha", "value": "0.1"}),
    (RunTag, ("k", "v"), {"key": "k", "value": "v"}),
    (ExperimentTag, ("team", "vision"), {"key": "team", "value": "vision"}),
    (
        InputTag,
        ("mlflow.data.context", "training"),
        {"key": "mlflow.data.context", "value": "training"},
    ),
    (
        Dataset,
        ("iris", "abc123", "local", '{"uri": "/d"}', '{"x": 1}', '{"rows": 3}'),
        {
            "name": "iris",
            "digest": "abc123",
            "source_type": "local",
            "source": '{"uri": "/d"}',
            "schema": '{"x": 1}',
            "profile": '{"rows": 3}',
        },
    ),
    (LoggedModelTag, ("k", "v"), {"key": "k", "value": "v"}),
    (LoggedModelParam, ("lr", "0.1"), {"key": "lr", "value": "0.1"}),
    (RegisteredModelTag, ("k", "v"), {"key": "k", "value": "v"}),
    (ModelVersionTag, ("k", "v"), {"key": "k", "value": "v"}),
    (RegisteredModelAlias, ("champion", "3"), {"alias": "champion", "version": "3"}),
    (ModelInput, ("m-123",), {"model_id": "m-123"}),
    (ModelOutput, ("m-123", 4), {"model_id": "m-123", "step": 4}),
]


@pytest.mark.parametrize(
    ("entity", "positional", "keywords"), CASES, ids=lambda c: getattr(c, "__name__", "")
)
def test_positional_in_mlflows_order_equals_keywords(
    entity: type[Any], positional: tuple[Any, ...], keywords: dict[str, Any]
) -> None:
    assert entity(*positional) == entity(**keywords)
    for name, value in keywords.items():
        assert getattr(entity(*positional), name) == value


def test_dataset_input_takes_mlflows_list_of_tags_or_none() -> None:
    dataset = Dataset("iris", "abc", "local", "{}")
    tags = [InputTag("mlflow.data.context", "training")]
    used = DatasetInput(dataset, tags)  # type: ignore[arg-type]
    assert used == DatasetInput(dataset=dataset, tags=tuple(tags))
    assert DatasetInput(dataset, None).tags == ()  # type: ignore[arg-type]
    hash(used)  # still a value: usable in sets and as a key


def test_positional_entities_log_through_the_client() -> None:
    client = runwell.MlflowClient()
    run_id = client.create_run(client.create_experiment("positional")).info.run_id
    client.log_batch(
        run_id,
        metrics=[Metric("loss", 0.5, 1700000000000, 0), Metric("loss", 0.25, 1700000000001, 1)],
        params=[Param("alpha", "0.1")],
        tags=[RunTag("team", "vision")],
    )
    run = client.get_run(run_id)
    assert run.data.metrics == {"loss": 0.25}
    assert run.data.params == {"alpha": "0.1"}
    assert run.data.tags["team"] == "vision"
    assert [m.step for m in client.get_metric_history(run_id, "loss")] == [0, 1]


def test_too_many_or_unknown_arguments_are_still_refused() -> None:
    with pytest.raises(TypeError):
        Param("a", "b", "c")  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        RunTag(key="k", val="v")  # type: ignore[call-arg]
