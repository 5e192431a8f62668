"""Which runs consumed or produced which logged models, and filling that into runs.

``run_models`` holds one row per (run, direction, model): inputs come from ``runs/log-inputs``
``models``, outputs (with a step) from ``runs/outputs``. Loading a page of runs costs one more
query per 900 runs; runs without models are returned as they were loaded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities import LifecycleStage, ModelInput, ModelOutput, Run, RunOutputs
from runwell.errors import InvalidArgument, NotFound
from runwell.store import validation
from runwell.store.sql import logged_model_queries as queries
from runwell.store.sql.loading import chunked
from runwell.store.sql.rows import MODEL_OUTPUT, logged_models, run_models, runs


def run_pk(conn: Connection, run_id: str, *, active: bool) -> int:
    row = conn.execute(
        sa.select(runs.c.id, runs.c.lifecycle_stage).where(runs.c.run_id == run_id)
    ).first()
    if row is None:
        raise NotFound(f"Run with id={run_id} not found")
    if active and row.lifecycle_stage != LifecycleStage.ACTIVE.value:
        raise InvalidArgument(
            f"The run {run_id} must be in the 'active' state. "
            f"Current state is {row.lifecycle_stage}."
        )
    return int(row.id)


def link_models(
    conn: Connection, run_pk: int, links: Sequence[tuple[str, int]], direction: int
) -> None:
    """Record that a run consumed or produced models, given as (model id, step) pairs.

    Linking a model again moves it to the new step; unknown models are NotFound.
    """
    if not links:
        return
    steps = {model_id: validation.int64(step, "step") for model_id, step in links}
    found = dict(
        conn.execute(
            sa.select(logged_models.c.model_id, logged_models.c.id).where(
                logged_models.c.model_id.in_(list(steps))
            )
        ).all()
    )
    for model_id in steps:
        if model_id not in found:
            raise queries.not_found(model_id)
    model_pks = [found[m] for m in steps]
    conn.execute(
        run_models.delete().where(
            run_models.c.run == run_pk,
            run_models.c.direction == direction,
            run_models.c.model.in_(model_pks),
        )
    )
    conn.execute(
        run_models.insert(),
        [
            {"run": run_pk, "direction": direction, "model": found[m], "step": s}
            for m, s in steps.items()
        ],
    )


def with_models(conn: Connection, run_rows: Sequence[Any], found: list[Run]) -> list[Run]:
    """``found`` (loaded from ``run_rows``, same order) with their model inputs and outputs."""
    inputs: dict[int, list[ModelInput]] = defaultdict(list)
    outputs: dict[int, list[ModelOutput]] = defaultdict(list)
    for chunk in chunked([r.id for r in run_rows]):
        query = (
            sa.select(run_models.c.run, run_models.c.direction, run_models.c.step)
            .add_columns(logged_models.c.model_id)
            .join(logged_models, logged_models.c.id == run_models.c.model)
            .where(run_models.c.run.in_(chunk))
            .order_by(run_models.c.run, run_models.c.model)
        )
        for run_pk, direction, step, model_id in conn.execute(query):
            if direction == MODEL_OUTPUT:
                outputs[run_pk].append(ModelOutput(model_id=model_id, step=step))
            else:
                inputs[run_pk].append(ModelInput(model_id=model_id))
    if not inputs and not outputs:
        return found
    return [
        run
        if row.id not in inputs and row.id not in outputs
        else replace(
            run,
            inputs=replace(run.inputs, model_inputs=tuple(inputs.get(row.id, ()))),
            outputs=RunOutputs(model_outputs=tuple(outputs.get(row.id, ()))),
        )
        for row, run in zip(run_rows, found, strict=True)
    ]
