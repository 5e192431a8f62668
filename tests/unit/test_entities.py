"""Entities behave as MLflow's do where scripts read them (`import runwell as mlflow`)."""

from __future__ import annotations

import pytest

from runwell.entities import Metric, Param, RunData, RunStatus, RunTag
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
