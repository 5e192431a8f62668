"""The model registry's tables, on the same ``metadata`` as rows.py (so one migration history
and one schema-equality test cover both).

Registered models and versions have integer surrogate keys that the child tables reference, so
a rename touches one row. ``name_key`` is the name fully URL-decoded and carries the uniqueness:
``a b`` and ``a%20b`` cannot both exist (one would shadow the other in a ``models:/`` URI).
``last_version`` is the per-model counter that numbers versions: incrementing it in the
version's transaction locks the model row, so concurrent registrations get distinct,
consecutive numbers, and deleted numbers are never handed out again.
"""

from __future__ import annotations

import sqlalchemy as sa

from runwell.store.sql.rows import BIG_ID, KEY, LONG_TEXT, MYSQL_TABLE, metadata

NAME = sa.String(256)
URI = sa.String(2048)

registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("name", NAME, nullable=False),
    sa.Column("name_key", NAME, nullable=False),
    sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
    sa.Column("description", sa.String(5000), nullable=True),
    sa.Column("user_id", NAME, nullable=True),
    sa.Column("last_version", sa.Integer, nullable=False),
    sa.UniqueConstraint("name"),
    sa.UniqueConstraint("name_key"),
    sa.Index(None, "last_updated_timestamp"),
    **MYSQL_TABLE,
)


def _model_fk() -> sa.ForeignKey:
    return sa.ForeignKey("registered_models.id", ondelete="CASCADE")


# Tag values hold up to 100,000 characters, past MySQL's TEXT: hence LONG_TEXT.
registered_model_tags = sa.Table(
    "registered_model_tags",
    metadata,
    sa.Column("model", BIG_ID, _model_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", LONG_TEXT, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("model", BIG_ID, _model_fk(), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
    sa.Column("user_id", NAME, nullable=True),
    sa.Column("current_stage", sa.String(20), nullable=False),
    sa.Column("description", sa.String(5000), nullable=True),
    sa.Column("source", URI, nullable=False),
    sa.Column("run_id", sa.String(64), nullable=True),
    sa.Column("run_link", URI, nullable=True),
    sa.Column("model_id", sa.String(64), nullable=True),
    sa.Column("status", sa.String(24), nullable=False),
    sa.Column("status_message", sa.String(500), nullable=True),
    sa.UniqueConstraint("model", "version"),
    sa.Index(None, "model", "current_stage"),
    sa.Index(None, "run_id"),
    sa.Index(None, "last_updated_timestamp"),
    **MYSQL_TABLE,
)


def _version_fk() -> sa.ForeignKey:
    return sa.ForeignKey("model_versions.id", ondelete="CASCADE")


model_version_tags = sa.Table(
    "model_version_tags",
    metadata,
    sa.Column("version", BIG_ID, _version_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", LONG_TEXT, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

# An alias row references its version's row: deleting the version takes its aliases along, and
# an alias can never point at a version that does not exist.
registered_model_aliases = sa.Table(
    "registered_model_aliases",
    metadata,
    sa.Column("model", BIG_ID, _model_fk(), primary_key=True),
    sa.Column("alias", sa.String(255), primary_key=True),
    sa.Column("version", BIG_ID, _version_fk(), nullable=False),
    sa.Index(None, "version"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)
