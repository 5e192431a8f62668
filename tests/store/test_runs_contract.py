"""TrackingStore contract, runs and logged data: the same behaviour on every SQL backend."""

from __future__ import annotations

import math

import pytest

from runwell.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store.sql.tracking import SqlTrackingStore


def _run_id(store: SqlTrackingStore, experiment_id: str = "0", **kwargs: object) -> str:
    return store.create_run(experiment_id, "alice", 1000, **kwargs).info.run_id  # type: ignore[arg-type]


def test_create_run_sets_info_name_tag_and_artifact_uri(store: SqlTrackingStore) -> None:
    run = store.create_run("0", "alice", 1234, [RunTag(key="t", value="v")], run_name="first")
    info = run.info
    assert len(info.run_id) == 32 and info.run_uuid == info.run_id
    assert (info.experiment_id, info.user_id, info.run_name) == ("0", "alice", "first")
    assert info.status is RunStatus.RUNNING and info.start_time == 1234 and info.end_time is None
    default_location = store.get_experiment("0").artifact_location
    assert info.artifact_uri == f"{default_location}/{info.run_id}/artifacts"
    assert run.data.tag_dict == {"t": "v", "mlflow.runName": "first"}


def test_create_run_generates_a_name_or_takes_the_tag(store: SqlTrackingStore) -> None:
    generated = store.create_run("0", "u", 1)
    assert generated.info.run_name.count("-") == 2
    assert generated.data.tag_dict["mlflow.runName"] == generated.info.run_name
    tagged = store.create_run("0", "u", 1, [RunTag(key="mlflow.runName", value="from-tag")])
    assert tagged.info.run_name == "from-tag"
    with pytest.raises(InvalidArgument, match="different values"):
        store.create_run("0", "u", 1, [RunTag(key="mlflow.runName", value="a")], run_name="b")


def test_create_run_in_unknown_experiment(store: SqlTrackingStore) -> None:
    with pytest.raises(NotFound):
        store.create_run("77", "u", 1)


def test_get_run_unknown_and_malformed(store: SqlTrackingStore) -> None:
    with pytest.raises(NotFound, match="Run with id=0123abc not found"):
        store.get_run("0123abc")
    with pytest.raises(InvalidArgument, match="run"):
        store.get_run("../etc")


def test_update_run_info_status_end_time_and_name(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    info = store.update_run_info(run_id, RunStatus.FINISHED, 5000, "renamed")
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 5000, "renamed")
    assert store.get_run(run_id).data.tag_dict["mlflow.runName"] == "renamed"
    info = store.update_run_info(run_id, status=RunStatus.RUNNING)
    assert info.status is RunStatus.RUNNING and info.end_time == 5000


def test_delete_restore_run_and_writes_to_deleted_runs(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        store.log_metric(run_id, Metric(key="m", value=1.0, timestamp=1))
    store.restore_run(run_id)
    store.log_metric(run_id, Metric(key="m", value=1.0, timestamp=1))
    assert store.get_run(run_id).data.metric_dict == {"m": 1.0}


def test_the_single_point_path_refuses_a_run_deleted_after_its_first_point(
    store: SqlTrackingStore,
) -> None:
    run_id = _run_id(store)
    store.log_metric(run_id, Metric(key="m", value=1.0, timestamp=1, step=0))  # caches the series
    store.delete_run(run_id)
    with pytest.raises(InvalidArgument, match="must be in the 'active' state"):
        store.log_metric(run_id, Metric(key="m", value=2.0, timestamp=2, step=1))
    store.restore_run(run_id)
    store.log_metric(run_id, Metric(key="m", value=float("nan"), timestamp=3, step=2))
    history = store.get_metric_history(run_id, "m").items
    assert [m.step for m in history] == [0, 2] and math.isnan(history[-1].value)
    assert math.isnan(store.get_run(run_id).data.metric_dict["m"])


def test_params_are_immutable_but_idempotent(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_param(run_id, Param(key="alpha", value="0.5"))
    store.log_param(run_id, Param(key="alpha", value="0.5"))
    with pytest.raises(InvalidArgument, match="Changing param values is not allowed"):
        store.log_param(run_id, Param(key="alpha", value="0.7"))
    assert store.get_run(run_id).data.param_dict == {"alpha": "0.5"}


def test_long_param_and_tag_values_are_truncated(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_param(run_id, Param(key="p", value="x" * 6001))
    store.set_tag(run_id, RunTag(key="t", value="y" * 8001))
    data = store.get_run(run_id).data
    assert len(data.param_dict["p"]) == 6000 and len(data.tag_dict["t"]) == 8000


def test_metrics_keep_nan_and_infinities_and_pick_latest(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="loss", value=3.0, timestamp=10, step=0),
            Metric(key="loss", value=1.0, timestamp=5, step=2),
            Metric(key="loss", value=2.0, timestamp=20, step=1),
            Metric(key="nan", value=math.nan, timestamp=1),
            Metric(key="pinf", value=math.inf, timestamp=1),
            Metric(key="ninf", value=-math.inf, timestamp=1),
            Metric(key="neg_step", value=7.0, timestamp=1, step=-3),
        ],
    )
    metrics = store.get_run(run_id).data.metric_dict
    assert metrics["loss"] == 1.0  # max by (step, timestamp, value)
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf and metrics["ninf"] == -math.inf
    history = store.get_metric_history(run_id, "loss").items
    assert [(m.timestamp, m.step, m.value) for m in history] == [
        (5, 2, 1.0),
        (10, 0, 3.0),
        (20, 1, 2.0),
    ]
    assert math.isnan(store.get_metric_history(run_id, "nan").items[0].value)


def test_latest_breaks_step_ties_by_timestamp_then_value(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_batch(
        run_id,
        metrics=[
            Metric(key="t", value=5.0, timestamp=20, step=4),
            Metric(key="t", value=9.0, timestamp=10, step=4),  # same step, earlier
            Metric(key="v", value=1.0, timestamp=10, step=4),
            Metric(key="v", value=math.inf, timestamp=10, step=4),  # same step and time, larger
            Metric(key="v", value=2.0, timestamp=10, step=4),
            Metric(key="n", value=math.nan, timestamp=10, step=1),
            Metric(key="n", value=-1.0, timestamp=10, step=1),  # NaN is stored as 0: -1 is older
        ],
    )
    latest = store.get_run(run_id).data.metric_dict
    assert latest["t"] == 5.0
    assert latest["v"] == math.inf
    assert math.isnan(latest["n"])
    # Across batches and through the single-point path, the same order holds.
    store.log_metric(run_id, Metric(key="t", value=0.0, timestamp=15, step=4))
    store.log_metric(run_id, Metric(key="v", value=3.0, timestamp=11, step=4))
    store.log_batch(run_id, metrics=[Metric(key="n", value=0.5, timestamp=9, step=1)])
    latest = store.get_run(run_id).data.metric_dict
    assert (latest["t"], latest["v"]) == (5.0, 3.0)
    assert math.isnan(latest["n"])  # the new point is older
    store.log_batch(run_id, metrics=[Metric(key="n", value=0.5, timestamp=11, step=1)])
    assert store.get_run(run_id).data.metric_dict["n"] == 0.5


def test_exact_duplicate_points_are_stored_once(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    point = Metric(key="m", value=0.5, timestamp=7, step=1)
    store.log_batch(run_id, metrics=[point, point])
    store.log_metric(run_id, point)
    store.log_metric(run_id, Metric(key="m", value=0.6, timestamp=7, step=1))
    assert len(store.get_metric_history(run_id, "m").items) == 2


def test_metric_history_pages(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_batch(
        run_id, metrics=[Metric(key="m", value=float(i), timestamp=i, step=i) for i in range(25)]
    )
    seen: list[float] = []
    token = None
    while True:
        page = store.get_metric_history(run_id, "m", max_results=10, page_token=token)
        seen.extend(m.value for m in page)
        token = page.token
        if token is None:
            break
    assert seen == [float(i) for i in range(25)]
    assert store.get_metric_history(run_id, "absent").items == []
    with pytest.raises(InvalidArgument, match="max_results"):
        store.get_metric_history(run_id, "m", max_results=0)
    with pytest.raises(NotFound):
        store.get_metric_history("f" * 32, "m")


@pytest.mark.parametrize("size", [1, 3, 1000])
def test_metric_history_pages_resume_after_ties_and_special_values(
    store: SqlTrackingStore, size: int
) -> None:
    run_id = _run_id(store)
    points = [
        Metric(key="m", value=v, timestamp=t, step=s)
        for t, s, v in [
            (5, 0, 2.0),
            (5, 0, 1.0),
            (5, 0, math.nan),
            (5, 0, -math.inf),
            (5, 1, math.inf),
            (1, 9, 0.5),
            (9, 0, -1.0),
        ]
    ]
    store.log_batch(run_id, metrics=points)
    everything = store.get_metric_history(run_id, "m").items
    paged: list[Metric] = []
    token = None
    while True:
        page = store.get_metric_history(run_id, "m", max_results=size, page_token=token)
        assert len(page.items) <= size
        paged.extend(page.items)
        token = page.token
        if token is None:
            break
    assert [(m.timestamp, m.step, repr(m.value)) for m in paged] == [
        (m.timestamp, m.step, repr(m.value)) for m in everything
    ]
    assert len(paged) == len(points)
    with pytest.raises(InvalidArgument, match="page token"):
        store.get_metric_history(run_id, "m", max_results=2, page_token="not-a-token")


@pytest.mark.parametrize(
    ("metric", "message"),
    [
        (Metric(key="", value=1.0, timestamp=1), "Missing value for required parameter 'key'"),
        (Metric(key="a$b", value=1.0, timestamp=1), "names may only contain"),
        (Metric(key="../x", value=1.0, timestamp=1), "would resolve"),
        (Metric(key="a//b", value=1.0, timestamp=1), "would resolve"),
        (Metric(key="k" * 251, value=1.0, timestamp=1), "maximum length of 250"),
        (Metric(key="m", value=1.0, timestamp=-1), "Timestamp must be a nonnegative"),
    ],
)
def test_invalid_metric_rejects_whole_batch(
    store: SqlTrackingStore, metric: Metric, message: str
) -> None:
    run_id = _run_id(store)
    good = Metric(key="good", value=1.0, timestamp=1)
    with pytest.raises(InvalidArgument, match=message):
        store.log_batch(run_id, metrics=[good, metric], params=[Param(key="p", value="1")])
    data = store.get_run(run_id).data
    assert data.metrics == {} and data.params == {}


def test_param_conflict_rejects_whole_batch(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_param(run_id, Param(key="p", value="1"))
    with pytest.raises(InvalidArgument, match="Changing param values"):
        store.log_batch(
            run_id,
            metrics=[Metric(key="m", value=1.0, timestamp=1)],
            params=[Param(key="q", value="2"), Param(key="p", value="9")],
            tags=[RunTag(key="t", value="x")],
        )
    data = store.get_run(run_id).data
    assert data.metrics == {} and data.param_dict == {"p": "1"} and "t" not in data.tag_dict


def test_batch_limits_and_duplicate_param_keys(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    with pytest.raises(InvalidArgument, match=r"at most 100 params\. Got 101"):
        store.log_batch(run_id, params=[Param(key=f"p{i}", value="v") for i in range(101)])
    with pytest.raises(InvalidArgument, match="at most 1000 metrics"):
        store.log_batch(
            run_id, metrics=[Metric(key="m", value=1.0, timestamp=i) for i in range(1001)]
        )
    with pytest.raises(InvalidArgument, match="at most 100 tags"):
        store.log_batch(run_id, tags=[RunTag(key=f"t{i}", value="v") for i in range(101)])
    with pytest.raises(InvalidArgument, match="in total"):
        store.log_batch(
            run_id,
            metrics=[Metric(key="m", value=1.0, timestamp=i) for i in range(950)],
            params=[Param(key=f"p{i}", value="v") for i in range(51)],
        )
    with pytest.raises(InvalidArgument, match="Duplicate parameter keys"):
        store.log_batch(run_id, params=[Param(key="d", value="1"), Param(key="d", value="1")])
    store.log_batch(run_id)  # an empty batch is fine


def test_tags_last_wins_run_name_and_delete(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    store.log_batch(run_id, tags=[RunTag(key="t", value="1"), RunTag(key="t", value="2")])
    store.set_tag(run_id, RunTag(key="mlflow.runName", value="via-tag"))
    run = store.get_run(run_id)
    assert run.data.tag_dict["t"] == "2" and run.info.run_name == "via-tag"
    store.delete_tag(run_id, "t")
    assert "t" not in store.get_run(run_id).data.tag_dict
    with pytest.raises(NotFound):
        store.delete_tag(run_id, "t")


def test_log_inputs_dedupes_datasets_and_keeps_tags(store: SqlTrackingStore) -> None:
    run_id = _run_id(store)
    dataset = Dataset(name="wine", digest="abc123", source_type="local", source='{"uri": "x"}')
    use = DatasetInput(dataset=dataset, tags=(InputTag(key="mlflow.data.context", value="train"),))
    store.log_inputs(run_id, [use])
    store.log_inputs(run_id, [use])
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset == dataset
    assert inputs[0].tags == (InputTag(key="mlflow.data.context", value="train"),)
    bad = Dataset(name="wine", digest="d" * 37, source_type="local", source="{}")
    with pytest.raises(InvalidArgument, match="digest"):
        store.log_inputs(run_id, [DatasetInput(dataset=bad)])
