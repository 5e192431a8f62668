"""SqlRegistryStore: the model registry in the tracking database (SQLite, PostgreSQL, MySQL).

Every write is one transaction: a failed check leaves nothing behind. Writes that depend on a
model's current state (a new version number, moving an alias, archiving the versions of a stage)
first lock the model's row (``SELECT ... FOR UPDATE``; SQLite's write transactions are already
exclusive), so concurrent callers queue instead of racing. Version sources are checked by
``runwell.store.registry_sources`` against the runs and logged models of the same database.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities import LifecycleStage, Page
from runwell.entities.registry import (
    ARCHIVING_STAGES,
    STAGE_ARCHIVED,
    STAGE_NONE,
    STAGES,
    ModelVersion,
    ModelVersionStatus,
    ModelVersionTag,
    RegisteredModel,
    RegisteredModelTag,
    canonical_stage,
)
from runwell.errors import AlreadyExists, InvalidArgument, NotFound
from runwell.store import page_tokens, validation
from runwell.store import registry_rules as rules
from runwell.store.registry_rules import require_registrable
from runwell.store.registry_sources import Lineage, validate_source
from runwell.store.sql import migrate
from runwell.store.sql import registry_search as search
from runwell.store.sql.engine import get_engine, transaction
from runwell.store.sql.raw import RawConnections
from runwell.store.sql.registry_loading import (
    latest_version_rows,
    load_models,
    load_versions,
    versions_select,
)
from runwell.store.sql.registry_rows import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)
from runwell.store.sql.registry_statements import VersionSearches
from runwell.store.sql.rows import logged_models, runs
from runwell.store.sql.search_timeout import search_transaction

_MAX_SOURCE_HOPS = 10


def _now() -> int:
    return int(time.time() * 1000)


def _model_missing(name: str) -> NotFound:
    return NotFound(f"Registered Model with name={name} not found")


def _version_missing(name: str, version: object) -> NotFound:
    return NotFound(f"Model Version (name={name}, version={version}) not found")


class _Lookup:
    """registry_sources.SourceLookup over one open connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def run_artifact_uri(self, run_id: str) -> str:
        uri = self.conn.execute(
            sa.select(runs.c.artifact_uri).where(runs.c.run_id == run_id)
        ).scalar()
        if uri is None:
            raise NotFound(f"Run with id={run_id} not found")
        return str(uri)

    def logged_model_artifact_uri(self, model_id: str) -> str:
        row = self.conn.execute(
            sa.select(
                logged_models.c.artifact_location,
                logged_models.c.lifecycle_stage,
                logged_models.c.status,
            ).where(logged_models.c.model_id == model_id)
        ).first()
        if row is None or row.lifecycle_stage != LifecycleStage.ACTIVE.value:
            raise NotFound(f"Logged model with ID '{model_id}' not found.")
        require_registrable(model_id, row.status)
        return str(row.artifact_location)

    def source_run_id(self, model_id: str) -> str | None:
        """The run that produced a logged model (None when it names none)."""
        found = self.conn.execute(
            sa.select(logged_models.c.source_run_id).where(logged_models.c.model_id == model_id)
        ).scalar()
        return str(found) if found else None

    def require_model_version(self, name: str, version: int) -> None:
        _version_row(self.conn, name, version)


def _model_row(conn: Connection, name: str, *, lock: bool = False) -> Any:
    query = sa.select(registered_models).where(registered_models.c.name == name)
    row = conn.execute(query.with_for_update() if lock else query).first()
    if row is None:
        raise _model_missing(name)
    return row


def _version_row(conn: Connection, name: str, version: int) -> Any:
    row = conn.execute(
        versions_select().where(
            registered_models.c.name == name, model_versions.c.version == version
        )
    ).first()
    if row is None:
        raise _version_missing(name, version)
    return row


class SqlRegistryStore:
    """The RegistryStore on the tracking database at ``db_url`` (created or checked on open)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.engine = get_engine(db_url)
        migrate.ensure_schema(self.engine, db_url)
        self.raw = RawConnections(self.engine)
        self._version_searches = VersionSearches(self.engine)

    # ---------------------------------------------------------------- registered models

    def create_registered_model(
        self,
        name: str,
        tags: Sequence[RegisteredModelTag] = (),
        description: str | None = None,
    ) -> RegisteredModel:
        rules.model_name(name)
        checked = dict(rules.tag(t.key, t.value) for t in tags)
        rules.description(description)
        now = _now()
        with transaction(self.engine, write=True) as conn:
            self._refuse_taken(conn, name)
            pk = conn.execute(
                registered_models.insert().values(
                    name=name,
                    name_key=rules.name_key(name),
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                    description=description,
                    last_version=0,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            if checked:
                conn.execute(
                    registered_model_tags.insert(),
                    [{"model": pk, "key": k, "value": v} for k, v in checked.items()],
                )
            return load_models(conn, [_model_row(conn, name)])[0]

    @staticmethod
    def _refuse_taken(conn: Connection, name: str, *, except_pk: int | None = None) -> None:
        taken = conn.execute(
            sa.select(registered_models.c.id, registered_models.c.name).where(
                registered_models.c.name_key == rules.name_key(name)
            )
        ).first()
        if taken is not None and taken.id != except_pk:
            same = "" if taken.name == name else f" (as {taken.name!r}, the same name decoded)"
            raise AlreadyExists(f"Registered Model (name={name}) already exists{same}.")

    def get_registered_model(self, name: str) -> RegisteredModel:
        rules.model_name(name)
        with transaction(self.engine, write=False) as conn:
            return load_models(conn, [_model_row(conn, name)])[0]

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        rules.model_name(name)
        rules.model_name(new_name, "new_name")
        with transaction(self.engine, write=True) as conn:
            row = _model_row(conn, name, lock=True)
            self._refuse_taken(conn, new_name, except_pk=row.id)
            conn.execute(
                registered_models.update()
                .where(registered_models.c.id == row.id)
                .values(
                    name=new_name,
                    name_key=rules.name_key(new_name),
                    last_updated_timestamp=max(_now(), row.last_updated_timestamp),
                )
            )
            return load_models(conn, [_model_row(conn, new_name)])[0]

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        rules.model_name(name)
        rules.description(description)
        with transaction(self.engine, write=True) as conn:
            row = _model_row(conn, name, lock=True)
            conn.execute(
                registered_models.update()
                .where(registered_models.c.id == row.id)
                .values(
                    description=description,
                    last_updated_timestamp=max(_now(), row.last_updated_timestamp),
                )
            )
            return load_models(conn, [_model_row(conn, name)])[0]

    def delete_registered_model(self, name: str) -> None:
        """Delete the model with its versions, tags and aliases (the files stay)."""
        rules.model_name(name)
        with transaction(self.engine, write=True) as conn:
            row = _model_row(conn, name, lock=True)
            # Children explicitly: the cascade alone would depend on SQLite's foreign_keys pragma.
            version_ids = sa.select(model_versions.c.id).where(model_versions.c.model == row.id)
            conn.execute(
                registered_model_aliases.delete().where(registered_model_aliases.c.model == row.id)
            )
            conn.execute(
                model_version_tags.delete().where(model_version_tags.c.version.in_(version_ids))
            )
            conn.execute(model_versions.delete().where(model_versions.c.model == row.id))
            conn.execute(
                registered_model_tags.delete().where(registered_model_tags.c.model == row.id)
            )
            conn.execute(registered_models.delete().where(registered_models.c.id == row.id))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[RegisteredModel]:
        """Models matching the filter, by ``name ASC`` unless ordered otherwise."""
        limit = validation.max_results(
            max_results or None, search.MAX_MODELS_RESULTS, default=search.DEFAULT_MODELS_RESULTS
        )
        comparisons = search.parse_model_filter(filter_string)
        order = search.parse_model_order_by(order_by)
        offset = page_tokens.decode_page_token(page_token)
        with search_transaction(self.engine, "registered models") as conn:
            query = (
                sa.select(registered_models)
                .where(*search.model_filter_clauses(comparisons, conn.dialect.name))
                .order_by(*search.model_order(order))
                .limit(limit + 1)
                .offset(offset)
            )
            rows = conn.execute(query).all()
            found = load_models(conn, rows[:limit])
        token = page_tokens.encode_page_token(offset + limit) if len(rows) > limit else None
        return Page(found, token)

    def get_latest_versions(
        self, name: str, stages: Sequence[str] | None = None
    ) -> list[ModelVersion]:
        """The highest version in each stage asked for (all four when none are)."""
        rules.model_name(name)
        wanted = tuple(dict.fromkeys(canonical_stage(s) for s in stages)) if stages else STAGES
        with transaction(self.engine, write=False) as conn:
            row = _model_row(conn, name)
            return load_versions(conn, latest_version_rows(conn, [row.id], wanted))

    def set_registered_model_tag(self, name: str, tag: RegisteredModelTag) -> None:
        rules.model_name(name)
        key, value = rules.tag(tag.key, tag.value)
        with transaction(self.engine, write=True) as conn:
            row = _model_row(conn, name, lock=True)
            conn.execute(
                registered_model_tags.delete().where(
                    registered_model_tags.c.model == row.id, registered_model_tags.c.key == key
                )
            )
            conn.execute(registered_model_tags.insert().values(model=row.id, key=key, value=value))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        rules.model_name(name)
        validation.key(key, "key")
        with transaction(self.engine, write=True) as conn:
            row = _model_row(conn, name)
            conn.execute(
                registered_model_tags.delete().where(
                    registered_model_tags.c.model == row.id, registered_model_tags.c.key == key
                )
            )

    # ---------------------------------------------------------------- aliases

    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version``, moving it if it points elsewhere (atomically)."""
        rules.model_name(name)
        rules.alias(alias)
        number = rules.version_number(version)
        with transaction(self.engine, write=True) as conn:
            model = _model_row(conn, name, lock=True)
            target = _version_row(conn, name, number)
            conn.execute(
                registered_model_aliases.delete().where(
                    registered_model_aliases.c.model == model.id,
                    registered_model_aliases.c.alias == alias,
                )
            )
            conn.execute(
                registered_model_aliases.insert().values(
                    model=model.id, alias=alias, version=target.id
                )
            )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        rules.model_name(name)
        rules.alias(alias)
        with transaction(self.engine, write=True) as conn:
            model = _model_row(conn, name, lock=True)
            conn.execute(
                registered_model_aliases.delete().where(
                    registered_model_aliases.c.model == model.id,
                    registered_model_aliases.c.alias == alias,
                )
            )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        rules.model_name(name)
        with transaction(self.engine, write=False) as conn:
            model = _model_row(conn, name)
            row = conn.execute(
                versions_select()
                .join(
                    registered_model_aliases,
                    registered_model_aliases.c.version == model_versions.c.id,
                )
                .where(
                    registered_model_aliases.c.model == model.id,
                    registered_model_aliases.c.alias == alias,
                )
            ).first()
            if row is None:
                # MLflow answers 400 here, not 404; its client only checks that it failed.
                raise InvalidArgument(f"Registered model alias {alias} not found.")
            return load_versions(conn, [row])[0]

    # ---------------------------------------------------------------- versions

    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Sequence[ModelVersionTag] = (),
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
    ) -> ModelVersion:
        """A new version numbered one past the model's last (READY at once)."""
        rules.model_name(name)
        with transaction(self.engine, write=True) as conn:
            return self._create_version(
                conn, name, source, run_id, tags, run_link, description, model_id
            )

    def _create_version(
        self,
        conn: Connection,
        name: str,
        source: str,
        run_id: str | None,
        tags: Sequence[ModelVersionTag],
        run_link: str | None,
        description: str | None,
        model_id: str | None,
    ) -> ModelVersion:
        checked = dict(rules.tag(t.key, t.value) for t in tags)
        rules.description(description)
        if run_link is not None and len(run_link) > 2048:
            raise InvalidArgument("'run_link' exceeds the maximum length of 2048 characters.")
        lookup = _Lookup(conn)
        model = _model_row(conn, name, lock=True)
        # An unknown run_id is not itself an error (MLflow records it as given); the source
        # check below refuses it where the source would have to lie in that run's artifacts.
        if model_id:
            lookup.logged_model_artifact_uri(model_id)
        lineage = validate_source(
            source, run_id=run_id or None, model_id=model_id or None, lookup=lookup
        )
        if lineage.model_id and not lineage.run_id:
            # As MLflow does: a version of a logged model belongs to the run that made it.
            lineage = Lineage(lookup.source_run_id(lineage.model_id), lineage.model_id)
        number = model.last_version + 1
        now = _now()
        conn.execute(
            registered_models.update()
            .where(registered_models.c.id == model.id)
            .values(
                last_version=number, last_updated_timestamp=max(now, model.last_updated_timestamp)
            )
        )
        version_pk = conn.execute(
            model_versions.insert().values(
                model=model.id,
                version=number,
                creation_timestamp=now,
                last_updated_timestamp=now,
                current_stage=STAGE_NONE,
                description=description,
                source=source,
                run_id=lineage.run_id,
                run_link=run_link or None,
                model_id=lineage.model_id,
                status=ModelVersionStatus.READY.name,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        if checked:
            conn.execute(
                model_version_tags.insert(),
                [{"version": version_pk, "key": k, "value": v} for k, v in checked.items()],
            )
        return load_versions(conn, [_version_row(conn, name, number)])[0]

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        rules.model_name(name)
        number = rules.version_number(version)
        with transaction(self.engine, write=False) as conn:
            return load_versions(conn, [_version_row(conn, name, number)])[0]

    def _touch_version(self, conn: Connection, name: str, number: int, **values: Any) -> Any:
        row = _version_row(conn, name, number)
        conn.execute(
            model_versions.update()
            .where(model_versions.c.id == row.id)
            .values(last_updated_timestamp=max(_now(), row.last_updated_timestamp), **values)
        )
        return row

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        rules.model_name(name)
        number = rules.version_number(version)
        rules.description(description)
        with transaction(self.engine, write=True) as conn:
            self._touch_version(conn, name, number, description=description)
            return load_versions(conn, [_version_row(conn, name, number)])[0]

    def transition_model_version_stage(
        self,
        name: str,
        version: str | int,
        stage: str,
        archive_existing_versions: bool = False,
    ) -> ModelVersion:
        """Move a version to ``stage``; optionally archive the others in that stage."""
        rules.model_name(name)
        number = rules.version_number(version)
        target = canonical_stage(stage)
        if archive_existing_versions and target not in ARCHIVING_STAGES:
            raise InvalidArgument(
                f"Model version transition cannot archive existing model versions because "
                f"'{target}' is not an Active stage. Valid stages are "
                f"{', '.join(ARCHIVING_STAGES)}."
            )
        with transaction(self.engine, write=True) as conn:
            model = _model_row(conn, name, lock=True)
            row = self._touch_version(conn, name, number, current_stage=target)
            if archive_existing_versions:
                conn.execute(
                    model_versions.update()
                    .where(
                        model_versions.c.model == model.id,
                        model_versions.c.current_stage == target,
                        model_versions.c.id != row.id,
                    )
                    .values(current_stage=STAGE_ARCHIVED, last_updated_timestamp=_now())
                )
            return load_versions(conn, [_version_row(conn, name, number)])[0]

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete a version and its aliases; its number is not given out again."""
        rules.model_name(name)
        number = rules.version_number(version)
        with transaction(self.engine, write=True) as conn:
            _model_row(conn, name, lock=True)
            row = _version_row(conn, name, number)
            conn.execute(
                registered_model_aliases.delete().where(
                    registered_model_aliases.c.version == row.id
                )
            )
            conn.execute(model_version_tags.delete().where(model_version_tags.c.version == row.id))
            conn.execute(model_versions.delete().where(model_versions.c.id == row.id))

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """Where the version's files are: a logged model's artifact location for
        ``models:/m-...``, the referenced version's for ``models:/name/N``, the run's artifact
        location (plus the path) for ``runs:/<run_id>/<path>``, else the source itself. Clients
        download from what this returns, as MLflow's download-uri endpoint answers."""
        rules.model_name(name)
        number = rules.version_number(version)
        with transaction(self.engine, write=False) as conn:
            source = str(_version_row(conn, name, number).source)
            for _ in range(_MAX_SOURCE_HOPS):
                if source.startswith("runs:/"):
                    run_id, _, path = source[len("runs:/") :].lstrip("/").partition("/")
                    root = _Lookup(conn).run_artifact_uri(run_id).rstrip("/")
                    return f"{root}/{path.strip('/')}" if path.strip("/") else root
                if not source.startswith("models:/"):
                    return source
                parts = source[len("models:/") :].split("/")
                if len(parts) == 1:
                    return _Lookup(conn).logged_model_artifact_uri(parts[0])
                source = str(_version_row(conn, parts[0], int(parts[1])).source)
        raise InvalidArgument(
            f"Model version {name}/{version} refers to other versions more than "
            f"{_MAX_SOURCE_HOPS} times."
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> Page[ModelVersion]:
        """Versions matching the filter, newest update first unless ordered otherwise."""
        limit = validation.max_results(
            max_results or None,
            search.MAX_VERSIONS_RESULTS,
            default=search.DEFAULT_VERSIONS_RESULTS,
        )
        comparisons = search.parse_version_filter(filter_string)
        order = search.parse_version_order_by(order_by)
        offset = page_tokens.decode_page_token(page_token)
        found = self._version_searches.run(self.raw, comparisons, order, limit + 1, offset)
        token = page_tokens.encode_page_token(offset + limit) if len(found) > limit else None
        return Page(found[:limit], token)

    def set_model_version_tag(self, name: str, version: str | int, tag: ModelVersionTag) -> None:
        rules.model_name(name)
        number = rules.version_number(version)
        key, value = rules.tag(tag.key, tag.value)
        with transaction(self.engine, write=True) as conn:
            row = _version_row(conn, name, number)
            conn.execute(
                model_version_tags.delete().where(
                    model_version_tags.c.version == row.id, model_version_tags.c.key == key
                )
            )
            conn.execute(model_version_tags.insert().values(version=row.id, key=key, value=value))

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        rules.model_name(name)
        number = rules.version_number(version)
        validation.key(key, "key")
        with transaction(self.engine, write=True) as conn:
            row = _version_row(conn, name, number)
            conn.execute(
                model_version_tags.delete().where(
                    model_version_tags.c.version == row.id, model_version_tags.c.key == key
                )
            )

    def copy_model_version(
        self, src_name: str, src_version: str | int, dst_name: str
    ) -> ModelVersion:
        """A new version of ``dst_name`` (created if missing) whose source is
        ``models:/<src_name>/<src_version>``, with the source version's lineage and tags."""
        rules.model_name(src_name, "src_name")
        rules.model_name(dst_name, "dst_name")
        number = rules.version_number(src_version, "src_version")
        with transaction(self.engine, write=True) as conn:
            src = load_versions(conn, [_version_row(conn, src_name, number)])[0]
            exists = conn.execute(
                sa.select(registered_models.c.id).where(registered_models.c.name == dst_name)
            ).first()
            if exists is None:
                self._refuse_taken(conn, dst_name)
                now = _now()
                conn.execute(
                    registered_models.insert().values(
                        name=dst_name,
                        name_key=rules.name_key(dst_name),
                        creation_timestamp=now,
                        last_updated_timestamp=now,
                        last_version=0,
                    )
                )
            return self._create_version(
                conn,
                dst_name,
                f"models:/{src_name}/{number}",
                src.run_id or None,
                src.tag_list,
                src.run_link or None,
                src.description or None,
                src.model_id or None,
            )
