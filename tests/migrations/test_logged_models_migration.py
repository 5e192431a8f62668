"""Revision 0004 (logged models): up and down again with data in the database."""

from __future__ import annotations

import sqlalchemy as sa

from runwell.entities import LoggedModelParam, LoggedModelTag, Metric, ModelOutput, Param
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine
from runwell.store.sql.tracking import SqlTrackingStore

_MODEL_TABLES = {"logged_models", "logged_model_tags", "logged_model_params", "run_models"}


def _tables(db_url: str) -> set[str]:
    with get_engine(db_url).connect() as conn:
        return set(sa.inspect(conn).get_table_names())


def test_downgrade_drops_only_the_model_tables_and_upgrade_brings_them_back(
    db_url: str,
) -> None:
    store = SqlTrackingStore(db_url, "file:///tmp/artifacts")
    exp = store.create_experiment("kept").experiment_id
    run_id = store.create_run(exp, "me", 1).info.run_id
    store.log_batch(
        run_id,
        metrics=[Metric(key="loss", value=0.5, timestamp=1, step=0)],
        params=[Param(key="alpha", value="1")],
    )
    model = store.create_logged_model(
        exp,
        name="model",
        source_run_id=run_id,
        tags=[LoggedModelTag(key="t", value="v")],
        params=[LoggedModelParam(key="alpha", value="1")],
    )
    store.log_outputs(run_id, [ModelOutput(model_id=model.model_id, step=0)])
    assert _MODEL_TABLES <= _tables(db_url)

    engine = get_engine(db_url)
    migrate.downgrade(engine, "0003")
    assert not (_MODEL_TABLES & _tables(db_url))
    with engine.connect() as conn:
        assert migrate.current_revision(conn) == "0003"
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM runs").scalar() == 1
        assert conn.exec_driver_sql("SELECT COUNT(*) FROM metrics").scalar() == 1

    migrate.upgrade(engine)
    reopened = SqlTrackingStore(db_url, "file:///tmp/artifacts")
    run = reopened.get_run(run_id)
    assert run.data.metric_dict == {"loss": 0.5} and run.data.param_dict == {"alpha": "1"}
    assert run.outputs.model_outputs == ()
    again = reopened.create_logged_model(exp, name="model", source_run_id=run_id)
    reopened.log_outputs(run_id, [ModelOutput(model_id=again.model_id, step=3)])
    assert reopened.get_run(run_id).outputs.model_outputs == (
        ModelOutput(model_id=again.model_id, step=3),
    )


def test_deleting_an_experiment_row_cascades_to_its_models(db_url: str) -> None:
    store = SqlTrackingStore(db_url, "file:///tmp/artifacts")
    exp = store.create_experiment("purged").experiment_id
    run_id = store.create_run(exp, "me", 1).info.run_id
    model = store.create_logged_model(
        exp,
        tags=[LoggedModelTag(key="t", value="v")],
        params=[LoggedModelParam(key="p", value="1")],
    )
    store.log_outputs(run_id, [ModelOutput(model_id=model.model_id, step=0)])
    with get_engine(db_url).begin() as conn:
        conn.exec_driver_sql(f"DELETE FROM experiments WHERE experiment_id = {int(exp)}")
        counts = {
            table: conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar()
            for table in sorted(_MODEL_TABLES)
        }
    assert counts == dict.fromkeys(sorted(_MODEL_TABLES), 0)
