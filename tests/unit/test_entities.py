"""Entities behave as MLflow's do where scripts read them (`import runwell as mlflow`)."""

from __future__ import annotations

import pytest

from runwell.cli._render import to_data
from runwell.entities import Experiment, ExperimentTag, Metric, Param, RunData, RunStatus, RunTag
from runwell.entities.logged_model import LoggedModel, LoggedModelParam, LoggedModelTag
from runwell.entities.registry import (
    ModelVersion,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from runwell.errors import InvalidArgument


def test_run_data_exposes_dicts_of_values_and_keeps_the_entities() -> None:
    data = RunData(
        metrics=[Metric(key="loss", value=0.25, timestamp=5, step=7)],
        params=(Param(key="lr", value="0.1"),),
        tags=iter([RunTag(key="team", value="vision")]),
    )
    assert data.metrics == {"loss": 0.25}
    assert data.params["lr"] == "0.1"
    assert dict(data.tags) == {"team": "vision"}
    assert data.metric_list[0].step == 7 and data.metric_list[0].timestamp == 5
    assert data.param_list == (Param(key="lr", value="0.1"),)
    assert data.metric_dict == data.metrics and data.tag_dict == data.tags
    assert data == RunData(metrics=data.metric_list, params=data.param_list, tags=data.tag_list)
    assert RunData().metrics == {} and RunData().tag_list == ()
    with pytest.raises(AttributeError):
        data.metric_list = ()  # type: ignore[misc]


def test_run_status_compares_equal_to_its_name_and_keeps_mlflows_numbers() -> None:
    assert RunStatus.FINISHED == "FINISHED"
    assert str(RunStatus.FAILED) == "FAILED" and f"{RunStatus.KILLED}" == "KILLED"
    assert [s.number for s in RunStatus] == [1, 2, 3, 4, 5]
    assert RunStatus.parse(4) is RunStatus.FAILED
    assert RunStatus.parse("finished") is RunStatus.FINISHED
    for bad in (0, 6, True, "DONE"):
        with pytest.raises(InvalidArgument, match="expected one of RUNNING"):
            RunStatus.parse(bad)


def test_experiments_models_and_versions_give_tags_aliases_and_params_as_dicts() -> None:
    experiment = Experiment(
        experiment_id="1",
        name="wine",
        artifact_location="file:///a",
        tag_list=(ExperimentTag(key="team", value="vision"),),
    )
    assert experiment.tags == {"team": "vision"} and experiment.tags.get("missing") is None
    version = ModelVersion(
        name="m",
        version="2",
        creation_timestamp=1,
        last_updated_timestamp=1,
        tag_list=(ModelVersionTag(key="ok", value="yes"),),
        aliases=("champion",),
    )
    model = RegisteredModel(
        name="m",
        creation_timestamp=1,
        last_updated_timestamp=1,
        tag_list=(RegisteredModelTag(key="owner", value="ml"),),
        alias_list=(RegisteredModelAlias(alias="champion", version="2"),),
    )
    assert version.tags == {"ok": "yes"} and version.aliases == ("champion",)
    assert model.tags == {"owner": "ml"} and model.aliases == {"champion": "2"}
    logged = LoggedModel(
        model_id="m-1",
        experiment_id="1",
        name="clf",
        artifact_location="file:///m",
        creation_timestamp_ms=1,
        last_updated_timestamp_ms=1,
        tag_list=(LoggedModelTag(key="k", value="v"),),
        param_list=(LoggedModelParam(key="depth", value="4"),),
    )
    assert logged.tags == {"k": "v"} and logged.params == {"depth": "4"}
    # the entities keep their MLflow field names when printed as JSON by the CLI
    assert to_data(model)["tags"] == [{"key": "owner", "value": "ml"}]
    assert to_data(model)["aliases"] == [{"alias": "champion", "version": "2"}]
    assert set(to_data(logged)) >= {"tags", "params"} and "tag_list" not in to_data(experiment)
