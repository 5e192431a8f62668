"""TrackingStore contract, run search: MLflow's filter grammar, ordering and paging."""

from __future__ import annotations

import math

import pytest

from runwell.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from runwell.errors import InvalidArgument
from runwell.store.sql.tracking import SqlTrackingStore


@pytest.fixture
def populated(store: SqlTrackingStore) -> tuple[SqlTrackingStore, dict[str, str]]:
    """Four runs r1..r4 in experiment 1 with varied data; returns names -> run ids."""
    exp = store.create_experiment("search").experiment_id
    spec = {
        "r1": (1.0, "0.1", "x", 100),
        "r2": (2.0, "0.2", "y", 200),
        "r3": (math.nan, "0.3", None, 300),
        "r4": (None, "0.4", "X", 400),
    }
    ids = {}
    for name, (loss, alpha, team, start) in spec.items():
        run = store.create_run(exp, "bob" if name != "r2" else "carol", start, run_name=name)
        metrics = [] if loss is None else [Metric(key="loss", value=loss, timestamp=1)]
        tags = [] if team is None else [RunTag(key="team", value=team)]
        store.log_batch(
            run.info.run_id, metrics=metrics, params=[Param(key="alpha", value=alpha)], tags=tags
        )
        ids[name] = run.info.run_id
    store.update_run_info(ids["r2"], RunStatus.FINISHED, 250)
    dataset = Dataset(name="ds1", digest="d1", source_type="local", source="{}")
    store.log_inputs(
        ids["r1"],
        [
            DatasetInput(
                dataset=dataset, tags=(InputTag(key="mlflow.data.context", value="training"),)
            )
        ],
    )
    return store, ids


def _names(
    store: SqlTrackingStore, filter_string: str = "", order_by: list[str] | None = None
) -> list[str]:
    exp = store.find_experiment_by_name("search")
    assert exp is not None
    page = store.search_runs([exp.experiment_id], filter_string, order_by=order_by)
    return [r.info.run_name for r in page]


@pytest.mark.parametrize(
    ("filter_string", "expected"),
    [
        ("", ["r4", "r3", "r2", "r1"]),
        ("metrics.loss <= 1.5", ["r1"]),
        ("metrics.`loss` != 1.0", ["r3", "r2"]),
        ("metrics.loss = 0", []),
        ("metrics.loss > -1e3", ["r2", "r1"]),
        ("params.alpha LIKE '0.%'", ["r4", "r3", "r2", "r1"]),
        ("params.alpha = '0.2'", ["r2"]),
        ("params.alpha != '0.2'", ["r4", "r3", "r1"]),
        ("tags.team = 'x'", ["r1"]),
        ("tags.team LIKE 'x'", ["r1"]),
        ("tags.team ILIKE 'x'", ["r4", "r1"]),
        ("tags.team IS NULL", ["r3"]),
        ("tags.team IS NOT NULL", ["r4", "r2", "r1"]),
        ("tags.\"mlflow.runName\" = 'r2'", ["r2"]),
        ("tags.mlflow.runName = 'r2'", ["r2"]),
        ("`Run name` = 'r3'", ["r3"]),
        ("attributes.run_name ILIKE 'R%'", ["r4", "r3", "r2", "r1"]),
        ("attribute.status != 'RUNNING'", ["r2"]),
        ("run.user_id = 'carol'", ["r2"]),
        ("start_time >= 200 and created < 400", ["r3", "r2"]),
        ("end_time > 0", ["r2"]),
        ("datasets.name = 'ds1'", ["r1"]),
        ("dataset.context = 'training'", ["r1"]),
        ("datasets.digest IN ('d1', 'zz')", ["r1"]),
        ("metrics.loss < 2 AND params.alpha = '0.1' AND tags.team = 'x'", ["r1"]),
        ("params.alpha = '0.1' and ", ["r1"]),
    ],
)
def test_search_runs_filters(
    populated: tuple[SqlTrackingStore, dict[str, str]], filter_string: str, expected: list[str]
) -> None:
    store, _ids = populated
    assert _names(store, filter_string) == expected


def test_search_runs_by_run_id_list(populated: tuple[SqlTrackingStore, dict[str, str]]) -> None:
    store, ids = populated
    assert _names(store, f"attributes.run_id IN ('{ids['r1']}', '{ids['r3']}')") == ["r3", "r1"]
    assert _names(store, f"run_id NOT IN ('{ids['r1']}')") == ["r4", "r3", "r2"]


@pytest.mark.parametrize(
    ("order_by", "expected"),
    [
        (["metrics.loss ASC"], ["r1", "r2", "r3", "r4"]),
        (["metrics.loss DESC"], ["r2", "r1", "r3", "r4"]),
        (["params.alpha DESC"], ["r4", "r3", "r2", "r1"]),
        (["tags.team ASC"], ["r4", "r1", "r2", "r3"]),
        (["tags.team DESC"], ["r2", "r1", "r4", "r3"]),
        (["start_time ASC"], ["r1", "r2", "r3", "r4"]),
        (["attributes.run_name DESC"], ["r4", "r3", "r2", "r1"]),
        (["end_time DESC"], ["r2", "r4", "r3", "r1"]),
    ],
)
def test_search_runs_order_by(
    populated: tuple[SqlTrackingStore, dict[str, str]], order_by: list[str], expected: list[str]
) -> None:
    store, _ids = populated
    assert _names(store, order_by=order_by) == expected


@pytest.mark.parametrize(
    ("filter_string", "message"),
    [
        ("metrics.loss < 2 OR params.a = '1'", "OR"),
        ("metrics.a < 2 and (params.p = '1')", "Invalid clause"),
        ("params.p = 1", "quoted string"),
        ("metrics.loss = '1.2'", "numeric"),
        ("params.my-param = 'x'", ""),
        ("run_uuid = 'x'", "Invalid attribute key"),
        ("status IN ('RUNNING')", "run_id"),
        ("metrics.a < 1; metrics.b > 2", ""),
    ],
)
def test_search_runs_rejects_bad_filters(
    populated: tuple[SqlTrackingStore, dict[str, str]], filter_string: str, message: str
) -> None:
    store, _ids = populated
    with pytest.raises(InvalidArgument, match=message or "."):
        _names(store, filter_string)


def test_search_runs_view_types_paging_and_experiments(
    populated: tuple[SqlTrackingStore, dict[str, str]],
) -> None:
    store, ids = populated
    exp = store.find_experiment_by_name("search")
    assert exp is not None
    store.delete_run(ids["r4"])
    active = store.search_runs([exp.experiment_id])
    deleted = store.search_runs([exp.experiment_id], run_view_type=ViewType.DELETED_ONLY)
    everything = store.search_runs([exp.experiment_id], run_view_type=ViewType.ALL)
    assert len(active) == 3 and [r.info.run_name for r in deleted] == ["r4"]
    assert len(everything) == 4
    first = store.search_runs([exp.experiment_id], max_results=2, order_by=["start_time ASC"])
    assert [r.info.run_name for r in first] == ["r1", "r2"] and first.token
    second = store.search_runs(
        [exp.experiment_id], max_results=2, order_by=["start_time ASC"], page_token=first.token
    )
    assert [r.info.run_name for r in second] == ["r3"] and second.token is None
    assert store.search_runs([]).items == []
    assert store.search_runs(["999"]).items == []
    with pytest.raises(InvalidArgument, match="valid integer"):
        store.search_runs(["abc"])
    with pytest.raises(InvalidArgument, match="max_results"):
        store.search_runs([exp.experiment_id], max_results=50001)
    with pytest.raises(InvalidArgument, match="duplicate"):
        store.search_runs([exp.experiment_id], order_by=["start_time", "created DESC"])


def test_search_runs_returns_full_runs(populated: tuple[SqlTrackingStore, dict[str, str]]) -> None:
    store, ids = populated
    exp = store.find_experiment_by_name("search")
    assert exp is not None
    run = store.search_runs([exp.experiment_id], f"run_id = '{ids['r1']}'").items[0]
    assert run.data.metric_dict == {"loss": 1.0}
    assert run.data.param_dict == {"alpha": "0.1"}
    assert run.data.tag_dict["team"] == "x"
    assert run.inputs.dataset_inputs[0].dataset.name == "ds1"


def _same(a: object, b: object) -> bool:
    """Equality that counts NaN equal to NaN, through lists and dicts."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@pytest.mark.parametrize(
    ("filter_string", "order_by", "view"),
    [
        ("", None, ViewType.ACTIVE_ONLY),
        ("params.alpha != '0.2'", ["metrics.loss DESC"], ViewType.ACTIVE_ONLY),
        ("", ["tags.team ASC", "attributes.run_name"], ViewType.ALL),
        ("metrics.loss > 100", None, ViewType.ACTIVE_ONLY),
    ],
)
def test_run_table_holds_what_the_entities_hold(
    populated: tuple[SqlTrackingStore, dict[str, str]],
    filter_string: str,
    order_by: list[str] | None,
    view: ViewType,
) -> None:
    from runwell.entities import RunTable

    store, ids = populated
    store.delete_run(ids["r3"])
    exp = store.find_experiment_by_name("search")
    assert exp is not None
    runs = store.search_runs([exp.experiment_id], filter_string, view, order_by=order_by).items
    table = store.search_run_table([exp.experiment_id], filter_string, view, order_by=order_by)
    expected = RunTable.from_runs(runs)
    for field in ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"):
        assert getattr(table, field) == getattr(expected, field), field
    assert _same(table.metrics, expected.metrics)
    assert table.params == expected.params
    assert table.tags == expected.tags


def test_run_table_limits_and_rejects_bad_sizes(
    populated: tuple[SqlTrackingStore, dict[str, str]],
) -> None:
    store, _ids = populated
    exp = store.find_experiment_by_name("search")
    assert exp is not None
    assert len(store.search_run_table([exp.experiment_id], max_results=3)) == 3
    assert len(store.search_run_table([])) == 0
    with pytest.raises(InvalidArgument, match="max_results"):
        store.search_run_table([exp.experiment_id], max_results=0)
    with pytest.raises(InvalidArgument, match="numeric value"):
        store.search_run_table([exp.experiment_id], "metrics.loss >>> 1")
