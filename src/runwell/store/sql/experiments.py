"""The experiment half of SqlTrackingStore: create, find, search, rename, delete, tag."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from runwell.entities import Experiment, ExperimentTag, LifecycleStage, Page, ViewType
from runwell.errors import AlreadyExists, InvalidArgument, NotFound
from runwell.store import page_tokens, search_filter, validation
from runwell.store.sql import loading, search
from runwell.store.sql.engine import transaction
from runwell.store.sql.rows import experiment_tags, experiments, runs
from runwell.store.sql.search_timeout import search_transaction

DEFAULT_EXPERIMENT_ID = "0"
DEFAULT_EXPERIMENT_NAME = "Default"


def _now() -> int:
    return int(time.time() * 1000)


def experiment_pk(experiment_id: str) -> int:
    return int(validation.experiment_id(experiment_id))


class SqlExperiments:
    """Experiments in the tables of rows.py; the store's engine and artifact root are shared."""

    engine: Engine
    artifact_root: str

    def _ensure_default_experiment(self) -> None:
        with transaction(self.engine, write=False) as conn:
            if conn.execute(
                sa.select(experiments.c.experiment_id).where(experiments.c.experiment_id == 0)
            ).first():
                return
        try:
            with transaction(self.engine, write=True) as conn:
                if conn.dialect.name in ("mysql", "mariadb"):
                    # MySQL would treat an explicit 0 as "next auto-increment value".
                    conn.exec_driver_sql(
                        "SET SESSION sql_mode = CONCAT(@@sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"
                    )
                now = _now()
                conn.execute(
                    experiments.insert().values(
                        experiment_id=0,
                        name=DEFAULT_EXPERIMENT_NAME,
                        artifact_location=f"{self.artifact_root}/0",
                        lifecycle_stage=LifecycleStage.ACTIVE.value,
                        creation_time=now,
                        last_update_time=now,
                    )
                )
        except AlreadyExists:
            pass  # another process created it first

    def create_experiment(
        self,
        name: str,
        artifact_location: str | None = None,
        tags: Sequence[ExperimentTag] = (),
    ) -> Experiment:
        validation.experiment_name(name)
        location = validation.artifact_location(artifact_location)
        checked_tags = [validation.experiment_tag(t.key, t.value) for t in tags]
        now = _now()
        with transaction(self.engine, write=True) as conn:
            existing = conn.execute(
                sa.select(experiments.c.experiment_id).where(experiments.c.name == name)
            ).first()
            if existing is not None:
                raise AlreadyExists(f"Experiment(name={name}) already exists.")
            result = conn.execute(
                experiments.insert().values(
                    name=name,
                    artifact_location=location or "",
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                    creation_time=now,
                    last_update_time=now,
                )
            )
            pk = result.inserted_primary_key[0]  # type: ignore[index]
            if location is None:
                conn.execute(
                    experiments.update()
                    .where(experiments.c.experiment_id == pk)
                    .values(artifact_location=f"{self.artifact_root}/{pk}")
                )
            if checked_tags:
                conn.execute(
                    experiment_tags.insert(),
                    [
                        {"experiment_id": pk, "key": k, "value": v}
                        for k, v in dict(checked_tags).items()
                    ],
                )
            created = loading.select_experiment(conn, experiments.c.experiment_id == pk)
        assert created is not None
        return created

    def get_experiment(self, experiment_id: str) -> Experiment:
        pk = experiment_pk(experiment_id)
        with transaction(self.engine, write=False) as conn:
            found = loading.select_experiment(conn, experiments.c.experiment_id == pk)
        if found is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return found

    def find_experiment_by_name(self, name: str) -> Experiment | None:
        with transaction(self.engine, write=False) as conn:
            return loading.select_experiment(conn, experiments.c.name == name)

    def search_experiments(
        self,
        view_type: ViewType = ViewType.ACTIVE_ONLY,
        max_results: int | None = None,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[Experiment]:
        limit = validation.max_results(
            max_results, validation.MAX_EXPERIMENTS_SEARCH_RESULTS, default=1000
        )
        comparisons = search_filter.parse_experiment_filter(filter_string)
        order = search_filter.parse_experiment_order_by(order_by)
        offset = page_tokens.decode_page_token(page_token)
        with search_transaction(self.engine, "experiments") as conn:
            query = search.experiments_query(
                ViewType.parse(view_type), comparisons, order, conn.dialect.name
            )
            rows = conn.execute(query.limit(limit + 1).offset(offset)).all()
            found = loading.load_experiments(conn, rows[:limit])
        token = page_tokens.encode_page_token(offset + limit) if len(rows) > limit else None
        return Page(found, token)

    def _update_experiment(self, experiment_id: str, **values: Any) -> None:
        pk = experiment_pk(experiment_id)
        now = _now()
        with transaction(self.engine, write=True) as conn:
            row = self._experiment_row(conn, pk, experiment_id)
            stage = values.get("lifecycle_stage")
            if stage is not None and row.lifecycle_stage == stage:
                return  # already there: keep the deletion time the runs refer to
            if stage == LifecycleStage.DELETED.value:
                # Strictly after every run deleted one by one, even within the same ms.
                latest = conn.execute(
                    sa.select(sa.func.max(runs.c.deleted_time)).where(runs.c.experiment_id == pk)
                ).scalar()
                now = max(now, (latest or 0) + 1)
            conn.execute(
                experiments.update()
                .where(experiments.c.experiment_id == pk)
                .values(last_update_time=now, **values)
            )
            if stage == LifecycleStage.DELETED.value:
                # The runs deleted with the experiment share its deletion time, so a restore
                # brings back exactly those and not the runs deleted one by one before.
                conn.execute(
                    runs.update()
                    .where(
                        runs.c.experiment_id == pk,
                        runs.c.lifecycle_stage == LifecycleStage.ACTIVE.value,
                    )
                    .values(lifecycle_stage=stage, deleted_time=now)
                )
            elif stage == LifecycleStage.ACTIVE.value:
                conn.execute(
                    runs.update()
                    .where(
                        runs.c.experiment_id == pk,
                        runs.c.lifecycle_stage == LifecycleStage.DELETED.value,
                        runs.c.deleted_time == row.last_update_time,
                    )
                    .values(lifecycle_stage=stage, deleted_time=None)
                )

    @staticmethod
    def _experiment_row(conn: Connection, pk: int, experiment_id: str) -> Any:
        row = conn.execute(sa.select(experiments).where(experiments.c.experiment_id == pk)).first()
        if row is None:
            raise NotFound(f"No Experiment with id={experiment_id} exists")
        return row

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        validation.experiment_name(new_name)
        existing = self.find_experiment_by_name(new_name)
        if existing is not None and existing.experiment_id != str(experiment_pk(experiment_id)):
            raise AlreadyExists(f"Experiment(name={new_name}) already exists.")
        row = self.get_experiment(experiment_id)
        if row.lifecycle_stage != LifecycleStage.ACTIVE:
            raise InvalidArgument("Cannot rename a non-active experiment.")
        self._update_experiment(experiment_id, name=new_name)

    def delete_experiment(self, experiment_id: str) -> None:
        self._update_experiment(experiment_id, lifecycle_stage=LifecycleStage.DELETED.value)

    def restore_experiment(self, experiment_id: str) -> None:
        self._update_experiment(experiment_id, lifecycle_stage=LifecycleStage.ACTIVE.value)

    def set_experiment_tag(self, experiment_id: str, tag: ExperimentTag) -> None:
        key, value = validation.experiment_tag(tag.key, tag.value)
        pk = experiment_pk(experiment_id)
        with transaction(self.engine, write=True) as conn:
            row = self._experiment_row(conn, pk, experiment_id)
            if row.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise InvalidArgument(
                    f"The experiment {experiment_id} must be in the 'active' state. "
                    f"Current state is {row.lifecycle_stage}."
                )
            conn.execute(
                experiment_tags.delete().where(
                    experiment_tags.c.experiment_id == pk, experiment_tags.c.key == key
                )
            )
            conn.execute(experiment_tags.insert().values(experiment_id=pk, key=key, value=value))

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        pk = experiment_pk(experiment_id)
        with transaction(self.engine, write=True) as conn:
            self._experiment_row(conn, pk, experiment_id)
            result = conn.execute(
                experiment_tags.delete().where(
                    experiment_tags.c.experiment_id == pk, experiment_tags.c.key == key
                )
            )
            if result.rowcount == 0:
                raise NotFound(f"No tag with name: {key} in experiment with id {experiment_id}")
