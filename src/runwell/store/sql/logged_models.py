"""The logged-model half of SqlTrackingStore (run links: model_links.py).

MLflow 3's ``log_model`` creates a model (PENDING), links it to the run as an output, uploads
its files under ``<experiment artifact location>/models/<model id>/artifacts`` and finalizes it
(READY). Deletion is soft, like runs': a deleted model keeps its links and can still be read
with ``allow_deleted``. None of this is on a training loop's hot path, so it uses Core
statements in ordinary transactions.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from runwell.entities import (
    LifecycleStage,
    LoggedModel,
    LoggedModelParam,
    LoggedModelStatus,
    LoggedModelTag,
    ModelInput,
    ModelOutput,
    Page,
)
from runwell.errors import InvalidArgument, NotFound
from runwell.store import page_tokens, run_names, search_filter, validation
from runwell.store.search_scope import experiment_scope
from runwell.store.sql import logged_model_queries as queries
from runwell.store.sql import model_links
from runwell.store.sql.engine import transaction
from runwell.store.sql.experiments import experiment_pk
from runwell.store.sql.rows import (
    MODEL_INPUT,
    MODEL_OUTPUT,
    experiments,
    logged_model_params,
    logged_model_tags,
    logged_models,
)
from runwell.store.sql.search_timeout import search_transaction

MAX_SEARCH_RESULTS = 50000
DEFAULT_SEARCH_RESULTS = 100
_NAME_FORBIDDEN = "/:.%\"'"
_MAX_RUN_ID_LENGTH = 64  # the source_run_id column's width


def _now() -> int:
    return int(time.time() * 1000)


def _model_name(name: str | None) -> str:
    """A generated name when none is given; else MLflow's rule: no ``/ : . % " '``."""
    if name is None or name == "":
        return run_names.generate()
    bad = sorted({c for c in name if c in _NAME_FORBIDDEN})
    if bad or not name.strip():
        raise InvalidArgument(
            f"Invalid logged model name {name!r}: it must be non-empty and must not contain "
            f"any of {' '.join(_NAME_FORBIDDEN)} (found {' '.join(bad) or 'only blanks'})."
        )
    if len(name) > 500:
        raise InvalidArgument("Logged model 'name' exceeds the maximum length of 500 characters.")
    return name


def _checked_tags(tags: Sequence[LoggedModelTag]) -> dict[str, str]:
    """Tags by key after MLflow's tag rules; the last of duplicate keys wins."""
    return {validation.key(t.key, "tags.key"): validation.tag_value(t.value, t.key) for t in tags}


def _checked_params(params: Sequence[LoggedModelParam]) -> dict[str, str]:
    if len(params) > validation.MAX_PARAMS_PER_BATCH:
        raise InvalidArgument(
            f"A request can contain at most {validation.MAX_PARAMS_PER_BATCH} logged model "
            f"params. Got {len(params)}; please split them across several requests."
        )
    checked = [
        LoggedModelParam(
            key=validation.key(p.key, "params.key"), value=validation.param_value(p.value, p.key)
        )
        for p in params
    ]
    keys = [p.key for p in checked]
    duplicates = sorted({k for k in keys if keys.count(k) > 1})
    if duplicates:
        raise InvalidArgument(
            f"Duplicate parameter keys have been submitted: {duplicates}. Please ensure the "
            "request contains only one param value per param key."
        )
    return {p.key: p.value for p in checked}


class SqlLoggedModels:
    """Logged models in the tables of rows.py; the store's engine is shared."""

    engine: Engine

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: Sequence[LoggedModelTag] = (),
        params: Sequence[LoggedModelParam] = (),
        model_type: str | None = None,
    ) -> LoggedModel:
        pk = experiment_pk(experiment_id)
        checked_name = _model_name(name)
        checked_tags = _checked_tags(tags)
        checked_params = _checked_params(params)
        # The source run is not looked up: MLflow records any id given (a model logged from
        # another workspace or an external process names a run this server never saw).
        if source_run_id is not None and len(source_run_id) > _MAX_RUN_ID_LENGTH:
            raise InvalidArgument(
                f"'source_run_id' exceeds the maximum length of {_MAX_RUN_ID_LENGTH} characters."
            )
        if model_type is not None and len(model_type) > 500:
            raise InvalidArgument("'model_type' exceeds the maximum length of 500 characters.")
        model_id = f"m-{uuid.uuid4().hex}"
        now = _now()
        with transaction(self.engine, write=True) as conn:
            exp = conn.execute(
                sa.select(experiments.c.artifact_location, experiments.c.lifecycle_stage).where(
                    experiments.c.experiment_id == pk
                )
            ).first()
            if exp is None:
                raise NotFound(f"No Experiment with id={experiment_id} exists")
            if exp.lifecycle_stage != LifecycleStage.ACTIVE.value:
                raise InvalidArgument(
                    f"The experiment {experiment_id} must be in the 'active' state. "
                    f"Current state is {exp.lifecycle_stage}."
                )
            result = conn.execute(
                logged_models.insert().values(
                    model_id=model_id,
                    experiment_id=pk,
                    name=checked_name,
                    artifact_location=f"{exp.artifact_location}/models/{model_id}/artifacts",
                    creation_timestamp_ms=now,
                    last_updated_timestamp_ms=now,
                    status=LoggedModelStatus.PENDING.name,
                    model_type=model_type or None,
                    source_run_id=source_run_id or None,
                    lifecycle_stage=LifecycleStage.ACTIVE.value,
                )
            )
            model_pk = result.inserted_primary_key[0]  # type: ignore[index]
            for table, values in (
                (logged_model_tags, checked_tags),
                (logged_model_params, checked_params),
            ):
                if values:
                    conn.execute(
                        table.insert(),
                        [{"model": model_pk, "key": k, "value": v} for k, v in values.items()],
                    )
            return self._load(conn, model_id, allow_deleted=False)

    @staticmethod
    def _row(conn: Connection, model_id: str, *, allow_deleted: bool) -> Any:
        row = conn.execute(
            sa.select(logged_models).where(logged_models.c.model_id == model_id)
        ).first()
        if row is None or (
            not allow_deleted and row.lifecycle_stage != LifecycleStage.ACTIVE.value
        ):
            raise queries.not_found(model_id)
        return row

    def _load(self, conn: Connection, model_id: str, *, allow_deleted: bool) -> LoggedModel:
        return queries.load_models(conn, [self._row(conn, model_id, allow_deleted=allow_deleted)])[
            0
        ]

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        with transaction(self.engine, write=False) as conn:
            return self._load(conn, model_id, allow_deleted=allow_deleted)

    def _touch(self, conn: Connection, model_id: str, **values: Any) -> int:
        """Update an active model's row (and its last-updated time); returns its key."""
        row = self._row(conn, model_id, allow_deleted=False)
        conn.execute(
            logged_models.update()
            .where(logged_models.c.id == row.id)
            .values(last_updated_timestamp_ms=max(_now(), row.last_updated_timestamp_ms), **values)
        )
        return int(row.id)

    def finalize_logged_model(
        self, model_id: str, status: LoggedModelStatus | str | int
    ) -> LoggedModel:
        final = LoggedModelStatus.parse(status)
        if final is LoggedModelStatus.UNSPECIFIED:
            raise InvalidArgument(
                f"Invalid value {final.proto_name} for parameter 'status': a logged model is "
                "finalized as LOGGED_MODEL_READY or LOGGED_MODEL_UPLOAD_FAILED."
            )
        with transaction(self.engine, write=True) as conn:
            self._touch(conn, model_id, status=final.name)
            return self._load(conn, model_id, allow_deleted=False)

    def delete_logged_model(self, model_id: str) -> None:
        """Soft-delete; deleting a deleted model again changes nothing."""
        with transaction(self.engine, write=True) as conn:
            row = self._row(conn, model_id, allow_deleted=True)
            if row.lifecycle_stage == LifecycleStage.DELETED.value:
                return
            self._touch(conn, model_id, lifecycle_stage=LifecycleStage.DELETED.value)

    def set_logged_model_tags(self, model_id: str, tags: Sequence[LoggedModelTag]) -> None:
        checked = _checked_tags(tags)
        with transaction(self.engine, write=True) as conn:
            model_pk = self._touch(conn, model_id)
            if not checked:
                return
            conn.execute(
                logged_model_tags.delete().where(
                    logged_model_tags.c.model == model_pk,
                    logged_model_tags.c.key.in_(list(checked)),
                )
            )
            conn.execute(
                logged_model_tags.insert(),
                [{"model": model_pk, "key": k, "value": v} for k, v in checked.items()],
            )

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with transaction(self.engine, write=True) as conn:
            model_pk = self._touch(conn, model_id)
            result = conn.execute(
                logged_model_tags.delete().where(
                    logged_model_tags.c.model == model_pk, logged_model_tags.c.key == key
                )
            )
            if result.rowcount == 0:
                raise NotFound(f"No tag with key {key!r} on logged model '{model_id}'.")

    def log_logged_model_params(self, model_id: str, params: Sequence[LoggedModelParam]) -> None:
        """Add params; the same value again is fine, a different one is refused (as for runs)."""
        checked = _checked_params(params)
        with transaction(self.engine, write=True) as conn:
            model_pk = self._touch(conn, model_id)
            if not checked:
                return
            stored = dict(
                conn.execute(
                    sa.select(logged_model_params.c.key, logged_model_params.c.value).where(
                        logged_model_params.c.model == model_pk,
                        logged_model_params.c.key.in_(list(checked)),
                    )
                ).all()
            )
            changed = [
                {"key": k, "old_value": stored[k], "new_value": v}
                for k, v in checked.items()
                if k in stored and stored[k] != v
            ]
            if changed:
                raise InvalidArgument(
                    f"Changing param values is not allowed. Params were already logged="
                    f"'{changed}' for logged model ID='{model_id}'."
                )
            new = [{"model": model_pk, "key": k, "value": v} for k, v in checked.items()]
            new = [row for row in new if row["key"] not in stored]
            if new:
                conn.execute(logged_model_params.insert(), new)

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any]] | None = None,
        page_token: str | None = None,
    ) -> Page[LoggedModel]:
        """Active models of the experiments that match, newest first unless ordered otherwise.

        ``order_by`` holds ``{"field_name": ..., "ascending": True}`` objects. ``datasets``
        only narrows metric comparisons in MLflow; those are refused here (see
        logged_model_queries.py), so it is checked for shape and otherwise has no effect.
        """
        limit = validation.max_results(
            max_results or None, MAX_SEARCH_RESULTS, default=DEFAULT_SEARCH_RESULTS
        )
        exp_pks = [experiment_pk(e) for e in experiment_scope(experiment_ids)]
        for index, item in enumerate(datasets or ()):
            if not item.get("dataset_name"):
                raise InvalidArgument(
                    f"Missing value for required parameter 'datasets[{index}].dataset_name'."
                )
        comparisons = search_filter.parse_logged_model_filter(filter_string)
        order = search_filter.parse_logged_model_order_by(_order_fields(order_by or ()))
        offset = page_tokens.decode_page_token(page_token)
        if not exp_pks:
            return Page([], None)
        with search_transaction(self.engine, "logged models") as conn:
            query = queries.models_query(conn.dialect.name, exp_pks, comparisons, order)
            rows = conn.execute(query.limit(limit + 1).offset(offset)).all()
            found = queries.load_models(conn, rows[:limit])
        token = page_tokens.encode_page_token(offset + limit) if len(rows) > limit else None
        return Page(found, token)

    def log_outputs(self, run_id: str, models: Sequence[ModelOutput]) -> None:
        """Record models an active run produced (``log_model`` sends its model at step 0)."""
        validation.run_id(run_id)
        with transaction(self.engine, write=True) as conn:
            run_pk = model_links.run_pk(conn, run_id, active=True)
            model_links.link_models(
                conn, run_pk, [(m.model_id, m.step) for m in models], MODEL_OUTPUT
            )

    def log_model_inputs(self, run_id: str, models: Sequence[ModelInput]) -> None:
        """Record models an active run consumed (``runs/log-inputs`` ``models``)."""
        validation.run_id(run_id)
        with transaction(self.engine, write=True) as conn:
            run_pk = model_links.run_pk(conn, run_id, active=True)
            model_links.link_models(conn, run_pk, [(m.model_id, 0) for m in models], MODEL_INPUT)


def _order_fields(order_by: Sequence[Mapping[str, Any]]) -> list[tuple[str, bool]]:
    fields = []
    for index, item in enumerate(order_by):
        name = item.get("field_name")
        if not isinstance(name, str) or not name:
            raise InvalidArgument(
                f"Missing value for required parameter 'order_by[{index}].field_name'."
            )
        ascending = item.get("ascending", True)
        if not isinstance(ascending, bool):
            raise InvalidArgument(
                f"Invalid value {ascending!r} for 'order_by[{index}].ascending': "
                "expected true or false."
            )
        fields.append((name, ascending))
    return fields
