"""SqlTrackingStore: the TrackingStore on SQLite, PostgreSQL and MySQL/MariaDB."""

from __future__ import annotations

import time
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities import (
    DatasetInput,
    LifecycleStage,
    Metric,
    Page,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTable,
    RunTag,
    ViewType,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store import page_tokens, run_names, search_filter, validation
from runwell.store.gc_pause import paused_gc
from runwell.store.search_scope import experiment_scope
from runwell.store.sql import (
    history_pages,
    history_reads,
    loading,
    metric_writes,
    migrate,
    search,
    writes,
)
from runwell.store.sql.engine import get_engine, transaction
from runwell.store.sql.experiments import SqlExperiments, experiment_pk
from runwell.store.sql.logged_models import SqlLoggedModels
from runwell.store.sql.model_links import with_models
from runwell.store.sql.overview import SqlOverview
from runwell.store.sql.raw import RawConnections
from runwell.store.sql.rows import datasets as dataset_table
from runwell.store.sql.rows import run_input_tags, run_inputs, runs, tags
from runwell.store.sql.run_table import load_run_table
from runwell.store.sql.search_timeout import search_transaction


def _now() -> int:
    return int(time.time() * 1000)


def _cursor(conn: Connection) -> Any:
    """The driver cursor of a SQLAlchemy connection, inside its transaction."""
    return conn.connection.driver_connection.cursor()  # type: ignore[union-attr]


def _pk(experiment_id: str) -> int:
    return int(validation.experiment_id(experiment_id))


class SqlTrackingStore(SqlExperiments, SqlLoggedModels, SqlOverview):
    """Tracking data in a SQL database; artifacts default to ``<artifact_root>/<experiment>``."""

    def __init__(self, db_url: str, default_artifact_root: str) -> None:
        self.db_url = db_url
        self.artifact_root = default_artifact_root.rstrip("/")
        self.engine = get_engine(db_url)
        self.raw = RawConnections(self.engine, metric_writes.SQLITE_POINT_SETUP)
        self._select_run_state = (
            f"SELECT id, lifecycle_stage FROM runs WHERE run_id = {self.raw.mark}"
        )
        # run_id -> surrogate key; both are immutable, so the mapping never goes stale.
        self._run_pks: dict[str, int] = {}
        # (run surrogate key, metric key) -> series id: as immutable, cached once committed.
        self._series: metric_writes.SeriesIds = {}
        self._metric_sql = metric_writes.Statements(self.raw)
        migrate.ensure_schema(self.engine, db_url)
        self._ensure_default_experiment()

    # ---------------------------------------------------------------- runs

    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        tags: Sequence[RunTag] = (),
        run_name: str | None = None,
    ) -> Run:
        pk = experiment_pk(experiment_id)
        checked = validation.run_tags(tags)
        tag_name = next((t.value for t in reversed(checked) if t.key == writes.RUN_NAME_TAG), None)
        if run_name and tag_name is not None and run_name != tag_name:
            raise InvalidArgument(
                f"Both 'run_name' argument and 'mlflow.runName' tag are specified, but with "
                f"different values (run_name='{run_name}', mlflow.runName='{tag_name}')."
            )
        name = run_name or tag_name or run_names.generate()
        if tag_name is None:
            checked.append(RunTag(key=writes.RUN_NAME_TAG, value=name))
        run_id = uuid.uuid4().hex
        with transaction(self.engine, write=True) as conn:
            exp = self._experiment_row(conn, pk, experiment_id)
            if exp.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise InvalidArgument(
                    f"The experiment {experiment_id} must be in the 'active' state. "
                    f"Current state is {exp.lifecycle_stage}."
                )
            result = conn.execute(
                runs.insert().values(
                    run_id=run_id,
                    experiment_id=pk,
                    name=name[:250],
                    user_id=user_id or "",
                    status=RunStatus.RUNNING.name,
                    start_time=validation.int64(start_time or 0, "start_time"),
                    end_time=None,
                    artifact_uri=f"{exp.artifact_location}/{run_id}/artifacts",
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                )
            )
            run_pk = result.inserted_primary_key[0]  # type: ignore[index]
            writes.set_tags(self.raw, _cursor(conn), run_pk, checked)
            return self._load_run(conn, run_id)

    def _run_row(self, conn: Connection, run_id: str) -> Any:
        row = conn.execute(sa.select(*loading.RUN_COLUMNS).where(runs.c.run_id == run_id)).first()
        if row is None:
            raise NotFound(f"Run with id={run_id} not found")
        return row

    def _active_run_pk(self, conn: Connection, run_id: str) -> int:
        row = conn.execute(
            sa.select(runs.c.id, runs.c.lifecycle_stage).where(runs.c.run_id == run_id)
        ).first()
        if row is None:
            raise NotFound(f"Run with id={run_id} not found")
        if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise InvalidArgument(
                f"The run {run_id} must be in the 'active' state. "
                f"Current state is {row.lifecycle_stage}."
            )
        return int(row.id)

    def _load_run(self, conn: Connection, run_id: str) -> Run:
        rows = [self._run_row(conn, run_id)]
        return with_models(conn, rows, loading.load_runs(conn, rows))[0]

    def get_run(self, run_id: str) -> Run:
        validation.run_id(run_id)
        with transaction(self.engine, write=False) as conn:
            return self._load_run(conn, run_id)

    def update_run_info(
        self,
        run_id: str,
        status: RunStatus | None = None,
        end_time: int | None = None,
        run_name: str | None = None,
    ) -> RunInfo:
        values: dict[str, Any] = {}
        if status is not None:
            values["status"] = RunStatus.parse(status).name
        if end_time is not None:
            values["end_time"] = validation.int64(end_time, "end_time")
        if run_name:
            values["name"] = run_name[:250]
        with transaction(self.engine, write=True) as conn:
            run_pk = self._active_run_pk(conn, run_id)
            if values:
                conn.execute(runs.update().where(runs.c.id == run_pk).values(**values))
            if run_name:
                writes.set_tags(
                    self.raw,
                    _cursor(conn),
                    run_pk,
                    [RunTag(key=writes.RUN_NAME_TAG, value=run_name)],
                )
            return loading.run_info(self._run_row(conn, run_id))

    def _set_run_stage(self, run_id: str, stage: LifecycleStage) -> None:
        with transaction(self.engine, write=True) as conn:
            row = self._run_row(conn, run_id)
            if row.lifecycle_stage == stage.value:
                return
            conn.execute(
                runs.update()
                .where(runs.c.id == row.id)
                .values(
                    lifecycle_stage=stage.value,
                    deleted_time=_now() if stage is LifecycleStage.DELETED else None,
                )
            )

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.DELETED)

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, LifecycleStage.ACTIVE)

    def log_metric(self, run_id: str, metric: Metric) -> None:
        """One point, on the shortest path: this is what a training loop calls."""
        validation.metric(metric)
        run_pk = self._run_pks.get(run_id)
        series = None if run_pk is None else self._series.get((run_pk, metric.key))
        if run_pk is None or series is None:
            # The first point of this run or key from this process: it finds or creates both.
            self.log_batch(run_id, metrics=(metric,))
            return
        value, kind = metric_writes.encoded(float(metric.value))
        if self.raw.dialect != "sqlite":
            self.raw.write_retrying(
                lambda cursor: self._write_point(
                    cursor, run_id, run_pk, series, metric, value, kind
                )
            )
            return
        # SQLite: one statement on this thread's reusable cursor (see SQLITE_INSERT_POINT).
        connection, cursor = self.raw.sqlite_cursor()
        try:
            with self.raw.write_lock:
                cursor.execute(
                    metric_writes.SQLITE_INSERT_POINT,
                    (run_pk, metric.key, series, metric.timestamp, metric.step, value, kind),
                )
        except BaseException as exc:
            if connection.in_transaction:
                connection.rollback()
            if metric_writes.RUN_NOT_ACTIVE in str(exc):
                self._run_pks.pop(run_id, None)
                # Raises NotFound or InvalidArgument, unless the run was restored meanwhile.
                self._checked_run_pk(cursor, run_id)
                self.log_metric(run_id, metric)
                return
            error = self.raw.translated(exc)
            if error is exc:
                raise
            raise error from exc

    def _write_point(
        self,
        cursor: Any,
        run_id: str,
        run_pk: int,
        series: int,
        metric: Metric,
        value: float,
        kind: int,
    ) -> None:
        timestamp, step = metric.timestamp, metric.step
        cursor.execute(
            self._metric_sql.insert_checked_point, (series, timestamp, step, value, kind, run_pk)
        )
        if cursor.rowcount == 0:
            # Either an exact duplicate, or the run was deleted meanwhile.
            self._checked_run_pk(cursor, run_id)
        metric_writes.advance_latest(
            self._metric_sql, cursor, run_pk, metric.key, (value, kind, timestamp, step)
        )

    def _checked_run_pk(self, cursor: Any, run_id: str) -> int:
        cursor.execute(self._select_run_state, (run_id,))
        row = cursor.fetchone()
        if row is None:
            raise NotFound(f"Run with id={run_id} not found")
        run_pk, stage = row
        if stage != LifecycleStage.ACTIVE.value:
            raise InvalidArgument(
                f"The run {run_id} must be in the 'active' state. Current state is {stage}."
            )
        if len(self._run_pks) > 10_000:
            self._run_pks.clear()
        self._run_pks[run_id] = run_pk
        return int(run_pk)

    def log_param(self, run_id: str, param: Param) -> None:
        self.log_batch(run_id, params=(param,))

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        self.log_batch(run_id, tags=(tag,))

    def delete_tag(self, run_id: str, key: str) -> None:
        with transaction(self.engine, write=True) as conn:
            run_pk = self._active_run_pk(conn, run_id)
            result = conn.execute(tags.delete().where(tags.c.run == run_pk, tags.c.key == key))
            if result.rowcount == 0:
                raise NotFound(f"No tag with name: {key} in run with id {run_id}")

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        validation.run_id(run_id)
        validation.batch_sizes(metrics, params, tags)
        checked_params = [
            Param(key=validation.key(p.key, "key"), value=validation.param_value(p.value, p.key))
            for p in params
        ]
        validation.unique_param_keys(checked_params)
        checked_tags = validation.run_tags(tags)

        def write(cursor: Any) -> metric_writes.SeriesIds:
            run_pk = self._checked_run_pk(cursor, run_id)
            writes.log_params(self.raw, cursor, run_pk, run_id, checked_params)
            created = metric_writes.log_metrics(
                self._metric_sql, cursor, run_pk, metrics, self._series
            )
            writes.set_tags(self.raw, cursor, run_pk, checked_tags)
            return created

        created = self.raw.write_retrying(write)
        if created:
            if len(self._series) > 100_000:
                self._series.clear()
            self._series.update(created)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        for use in datasets:
            validation.dataset(use.dataset)
            for t in use.tags:
                validation.input_tag(t)
        if len(datasets) > validation.MAX_DATASETS_PER_BATCH:
            raise InvalidArgument(
                f"A request can contain at most {validation.MAX_DATASETS_PER_BATCH} datasets."
            )
        with transaction(self.engine, write=True) as conn:
            run_pk = self._active_run_pk(conn, run_id)
            exp_pk = conn.execute(
                sa.select(runs.c.experiment_id).where(runs.c.id == run_pk)
            ).scalar_one()
            for item in datasets:
                d = item.dataset
                found = conn.execute(
                    sa.select(dataset_table.c.id).where(
                        dataset_table.c.experiment_id == exp_pk,
                        dataset_table.c.name == d.name,
                        dataset_table.c.digest == d.digest,
                    )
                ).scalar()
                if found is None:
                    found = conn.execute(
                        dataset_table.insert().values(
                            experiment_id=exp_pk,
                            name=d.name,
                            digest=d.digest,
                            source_type=d.source_type,
                            source=d.source,
                            schema=d.schema,
                            profile=d.profile,
                        )
                    ).inserted_primary_key[0]  # type: ignore[index]
                linked = conn.execute(
                    sa.select(run_inputs.c.run).where(
                        run_inputs.c.run == run_pk, run_inputs.c.dataset == found
                    )
                ).first()
                if linked is None:
                    conn.execute(run_inputs.insert().values(run=run_pk, dataset=found))
                for t in {t.key: t for t in item.tags}.values():
                    conn.execute(
                        run_input_tags.delete().where(
                            run_input_tags.c.run == run_pk,
                            run_input_tags.c.dataset == found,
                            run_input_tags.c.key == t.key,
                        )
                    )
                    conn.execute(
                        run_input_tags.insert().values(
                            run=run_pk, dataset=found, key=t.key, value=t.value
                        )
                    )

    def get_metric_history(
        self,
        run_id: str,
        metric_key: str,
        max_results: int | None = None,
        page_token: str | None = None,
    ) -> Page[Metric]:
        after = history_pages.decode_token(page_token)
        if max_results is not None:
            max_results = _positive_max_results(max_results)
        key_column = "`key`" if self.raw.dialect == "mysql" else "key"
        with paused_gc(), self.raw.read() as cursor:
            cursor.execute(self._select_run_state, (run_id,))
            row = cursor.fetchone()
            if row is None:
                raise NotFound(f"Run with id={run_id} not found")
            mark = self.raw.mark
            cursor.execute(
                f"SELECT id FROM latest_metrics WHERE run = {mark} AND {key_column} = {mark}",
                (row[0], metric_key),
            )
            series = cursor.fetchone()
            if series is None:
                return Page([], None)
            page = history_reads.read_page(self.raw, cursor, series[0], after, max_results)
            if page.rows is not None:
                points = loading.metric_points(metric_key, page.rows)
            else:
                assert page.block is not None
                block = page.block
                points = loading.metric_columns(
                    metric_key, block.values, block.timestamps, block.steps
                )
            token = None if page.next_after is None else history_pages.encode_token(page.next_after)
            return Page(points, token)

    def _runs_query(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        run_view_type: ViewType,
        order_by: Sequence[str] | None,
    ) -> sa.Select[Any] | None:
        """The checked search as a query (no limit); None when no experiment is given."""
        exp_pks = [experiment_pk(e) for e in experiment_scope(experiment_ids)]
        comparisons = search_filter.parse_run_filter(filter_string)
        order = search_filter.parse_run_order_by(order_by)
        if not exp_pks:
            return None
        view = ViewType.parse(run_view_type)
        return search.runs_query(self.engine.dialect.name, exp_pks, view, comparisons, order)

    def search_run_table(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int = 100_000,
        order_by: Sequence[str] | None = None,
    ) -> RunTable:
        """Up to ``max_results`` matching runs as columns, in search order (no paging)."""
        limit = _positive_max_results(max_results)
        query = self._runs_query(experiment_ids, filter_string, run_view_type, order_by)
        with paused_gc(), search_transaction(self.engine, "runs") as conn:
            rows = [] if query is None else conn.execute(query.limit(limit)).all()
            return load_run_table(conn, rows)

    def count_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
    ) -> int:
        """How many runs ``search_runs`` would find over all its pages."""
        query = self._runs_query(experiment_ids, filter_string, run_view_type, None)
        if query is None:
            return 0
        counted = sa.select(sa.func.count()).select_from(query.order_by(None).subquery())
        with search_transaction(self.engine, "runs") as conn:
            return int(conn.execute(counted).scalar_one())

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        run_view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Run]:
        limit = validation.max_results(
            max_results, validation.MAX_RUNS_SEARCH_RESULTS, default=1000
        )
        query = self._runs_query(experiment_ids, filter_string, run_view_type, order_by)
        offset = page_tokens.decode_page_token(page_token)
        if query is None:
            return Page([], None)
        with paused_gc(), search_transaction(self.engine, "runs") as conn:
            rows = conn.execute(query.limit(limit + 1).offset(offset)).all()
            found = with_models(conn, rows[:limit], loading.load_runs(conn, rows[:limit]))
        token = page_tokens.encode_page_token(offset + limit) if len(rows) > limit else None
        return Page(found, token)


def _positive_max_results(value: int) -> int:
    number = validation.int64(value, "max_results")
    if number < 1:
        raise InvalidArgument(
            f"Invalid value {value} for parameter 'max_results': must be positive."
        )
    return number
