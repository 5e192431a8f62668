"""Rows of the registry tables -> entities, a page of models or versions at a time.

Each loader reads the children (tags, aliases, latest versions) of all the rows it was given
in one query per table, so a page of 1,000 models costs a handful of queries, not thousands.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities.registry import (
    STAGES,
    ModelVersion,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelAlias,
    RegisteredModelTag,
)
from runwell.store.sql.registry_rows import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

# Columns of a version row, with the model's name beside them.
VERSION_COLUMNS = (*model_versions.c, registered_models.c.name.label("model_name"))


def versions_select() -> sa.Select[Any]:
    return sa.select(*VERSION_COLUMNS).join(
        registered_models, registered_models.c.id == model_versions.c.model
    )


def load_versions(conn: Connection, rows: Sequence[Any]) -> list[ModelVersion]:
    """Version rows (from ``versions_select``) with their tags and aliases."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    tag_rows = conn.execute(
        sa.select(
            model_version_tags.c.version, model_version_tags.c.key, model_version_tags.c.value
        )
        .where(model_version_tags.c.version.in_(ids))
        .order_by(model_version_tags.c.key)
    )
    alias_rows = conn.execute(
        sa.select(registered_model_aliases.c.version, registered_model_aliases.c.alias)
        .where(registered_model_aliases.c.version.in_(ids))
        .order_by(registered_model_aliases.c.alias)
    )
    return versions_from(rows, tag_rows, alias_rows)


def versions_from(
    rows: Sequence[Any], tag_rows: Iterable[Sequence[Any]], alias_rows: Iterable[Sequence[Any]]
) -> list[ModelVersion]:
    """Entities from version rows, their (version id, key, value) tag rows in key order and
    (version id, alias) rows in alias order."""
    tags: dict[int, list[ModelVersionTag]] = defaultdict(list)
    for vid, key, value in tag_rows:
        tags[vid].append(ModelVersionTag(key=key, value=value))
    aliases: dict[int, list[str]] = defaultdict(list)
    for vid, alias in alias_rows:
        aliases[vid].append(alias)
    return [
        ModelVersion(
            name=row.model_name,
            version=str(row.version),
            creation_timestamp=row.creation_timestamp,
            last_updated_timestamp=row.last_updated_timestamp,
            current_stage=row.current_stage,
            description=row.description or "",
            user_id=row.user_id or "",
            source=row.source,
            run_id=row.run_id or "",
            run_link=row.run_link or "",
            model_id=row.model_id or "",
            status=ModelVersionStatus[row.status],
            status_message=row.status_message or "",
            tag_list=tuple(tags[row.id]),
            aliases=tuple(aliases[row.id]),
        )
        for row in rows
    ]


def latest_version_rows(
    conn: Connection, model_ids: Sequence[int], stages: Sequence[str] = STAGES
) -> list[Any]:
    """The highest version in each of ``stages`` of each model, in stage order."""
    if not model_ids:
        return []
    newest = (
        sa.select(
            model_versions.c.model,
            model_versions.c.current_stage,
            sa.func.max(model_versions.c.version).label("version"),
        )
        .where(
            model_versions.c.model.in_(model_ids),
            model_versions.c.current_stage.in_(list(stages)),
        )
        .group_by(model_versions.c.model, model_versions.c.current_stage)
        .subquery()
    )
    rows = conn.execute(
        versions_select().join(
            newest,
            sa.and_(
                newest.c.model == model_versions.c.model,
                newest.c.version == model_versions.c.version,
            ),
        )
    ).all()
    order = {stage: index for index, stage in enumerate(stages)}
    return sorted(rows, key=lambda r: (r.model, order[r.current_stage]))


def load_models(conn: Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
    """Registered-model rows with tags, aliases and latest version per stage."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    tags: dict[int, list[RegisteredModelTag]] = defaultdict(list)
    for mid, key, value in conn.execute(
        sa.select(
            registered_model_tags.c.model,
            registered_model_tags.c.key,
            registered_model_tags.c.value,
        )
        .where(registered_model_tags.c.model.in_(ids))
        .order_by(registered_model_tags.c.key)
    ):
        tags[mid].append(RegisteredModelTag(key=key, value=value))
    aliases: dict[int, list[RegisteredModelAlias]] = defaultdict(list)
    for mid, alias, version in conn.execute(
        sa.select(
            registered_model_aliases.c.model,
            registered_model_aliases.c.alias,
            model_versions.c.version,
        )
        .join(model_versions, model_versions.c.id == registered_model_aliases.c.version)
        .where(registered_model_aliases.c.model.in_(ids))
        .order_by(registered_model_aliases.c.alias)
    ):
        aliases[mid].append(RegisteredModelAlias(alias=alias, version=str(version)))
    latest: dict[int, list[ModelVersion]] = defaultdict(list)
    latest_rows = latest_version_rows(conn, ids)
    for row, version in zip(latest_rows, load_versions(conn, latest_rows), strict=True):
        latest[row.model].append(version)
    return [
        RegisteredModel(
            name=row.name,
            creation_timestamp=row.creation_timestamp,
            last_updated_timestamp=row.last_updated_timestamp,
            description=row.description or "",
            user_id=row.user_id or "",
            latest_versions=tuple(latest[row.id]),
            tag_list=tuple(tags[row.id]),
            alias_list=tuple(aliases[row.id]),
        )
        for row in rows
    ]
