"""The tables of the SQL stores (SQLAlchemy Core), kept equal to the migrations by a test.

Design for speed: runs have an integer surrogate key that every child table references.
``latest_metrics`` has one row per (run, metric key) with an integer series id and the key's
latest value, written in the same transaction as the history. The history (the biggest table
by far) stores only numbers, clustered on ``(series, timestamp, step, value, kind)``: that key
serves history reads in order and makes an exact duplicate point an ignored insert, and an
all-integer key makes bulk inserts a quarter faster than one led by ``(run, key)``. Batches
store each key's points as one packed ``metric_blocks`` row instead (metric_blocks.py).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# MySQL compares strings case-insensitively by default; the binary collation makes names,
# keys and filters behave as on SQLite and PostgreSQL.
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

# MySQL indexes cap key bytes; 250 utf8mb4 characters fit every composite key below.
KEY = sa.String(250)
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOUBLE = sa.Float(precision=53).with_variant(mysql.DOUBLE(), "mysql", "mariadb")
# A block of 1,000 points is 24 KB, past MySQL's 64 KB BLOB only for batches beyond the limits.
BLOB = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("experiment_id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("artifact_location", sa.String(2048), nullable=False),
    sa.Column("lifecycle_stage", sa.String(16), nullable=False),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
    sa.Column("last_update_time", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("name"),
    **MYSQL_TABLE,
)

experiment_tags = sa.Table(
    "experiment_tags",
    metadata,
    sa.Column(
        "experiment_id",
        BIG_ID,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    **MYSQL_TABLE,
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("run_id", sa.String(64), nullable=False),
    sa.Column(
        "experiment_id",
        BIG_ID,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(250), nullable=False),
    sa.Column("user_id", sa.String(256), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("start_time", sa.BigInteger, nullable=False),
    sa.Column("end_time", sa.BigInteger, nullable=True),
    sa.Column("artifact_uri", sa.String(2048), nullable=False),
    sa.Column("lifecycle_stage", sa.String(16), nullable=False),
    sa.Column("deleted_time", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("run_id"),
    sa.Index(None, "experiment_id", "lifecycle_stage", "start_time"),
    **MYSQL_TABLE,
)


def _run_fk() -> sa.ForeignKey:
    return sa.ForeignKey("runs.id", ondelete="CASCADE")


params = sa.Table(
    "params",
    metadata,
    sa.Column("run", BIG_ID, _run_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

tags = sa.Table(
    "tags",
    metadata,
    sa.Column("run", BIG_ID, _run_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

# One row per (run, key), clustered on it for searches: the latest point (the max of step,
# timestamp, value, as MLflow's SQL store has it) and the series id that history rows store.
latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    sa.Column("run", BIG_ID, _run_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("id", BIG_ID, nullable=False),
    sa.Column("value", DOUBLE, nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("id"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

# kind: 0 finite, 1 NaN (value 0), 2 infinite (value ±max double keeps the sign and the order).
metrics = sa.Table(
    "metrics",
    metadata,
    sa.Column(
        "series",
        BIG_ID,
        sa.ForeignKey("latest_metrics.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("timestamp", sa.BigInteger, primary_key=True),
    sa.Column("step", sa.BigInteger, primary_key=True),
    sa.Column("value", DOUBLE, primary_key=True),
    sa.Column("kind", sa.SmallInteger, primary_key=True),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

# Many points of one series in one row (metric_blocks.py): the points blob holds int64
# timestamps, int64 steps and float64 values, little-endian, in history order.
metric_blocks = sa.Table(
    "metric_blocks",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column(
        "series",
        BIG_ID,
        sa.ForeignKey("latest_metrics.id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("first_timestamp", sa.BigInteger, nullable=False),
    sa.Column("first_step", sa.BigInteger, nullable=False),
    sa.Column("last_timestamp", sa.BigInteger, nullable=False),
    sa.Column("last_step", sa.BigInteger, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("points", BLOB, nullable=False),
    sa.Index(None, "series", "first_timestamp", "first_step"),
    **MYSQL_TABLE,
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column(
        "experiment_id",
        BIG_ID,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("digest", sa.String(36), nullable=False),
    sa.Column("source_type", sa.String(36), nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("schema", LONG_TEXT, nullable=True),
    sa.Column("profile", LONG_TEXT, nullable=True),
    sa.UniqueConstraint("experiment_id", "name", "digest"),
    **MYSQL_TABLE,
)

run_inputs = sa.Table(
    "run_inputs",
    metadata,
    sa.Column("run", BIG_ID, _run_fk(), primary_key=True),
    sa.Column(
        "dataset", BIG_ID, sa.ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Index(None, "dataset"),
    **MYSQL_TABLE,
)

run_input_tags = sa.Table(
    "run_input_tags",
    metadata,
    sa.Column("run", BIG_ID, _run_fk(), primary_key=True),
    sa.Column("dataset", BIG_ID, primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("value", sa.String(500), nullable=False),
    **MYSQL_TABLE,
)

# Logged models (MLflow 3): an integer surrogate key for the child tables, the public
# ``m-<hex>`` id unique. Searches go by experiment, then name (``runs:/<run>/<name>``
# resolution) or creation time (the default order).
logged_models = sa.Table(
    "logged_models",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("model_id", sa.String(64), nullable=False),
    sa.Column(
        "experiment_id",
        BIG_ID,
        sa.ForeignKey("experiments.experiment_id", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", sa.String(500), nullable=False),
    sa.Column("artifact_location", sa.String(2048), nullable=False),
    sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("status_message", sa.Text, nullable=True),
    sa.Column("model_type", sa.String(500), nullable=True),
    sa.Column("source_run_id", sa.String(64), nullable=True),
    sa.Column("lifecycle_stage", sa.String(16), nullable=False),
    sa.UniqueConstraint("model_id"),
    sa.Index(None, "experiment_id", "name"),
    sa.Index(None, "experiment_id", "creation_timestamp_ms"),
    sa.Index(None, "source_run_id"),
    **MYSQL_TABLE,
)


def _model_fk() -> sa.ForeignKey:
    return sa.ForeignKey("logged_models.id", ondelete="CASCADE")


logged_model_tags = sa.Table(
    "logged_model_tags",
    metadata,
    sa.Column("model", BIG_ID, _model_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

logged_model_params = sa.Table(
    "logged_model_params",
    metadata,
    sa.Column("model", BIG_ID, _model_fk(), primary_key=True),
    sa.Column("key", KEY, primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

# Models a run consumed (direction 0) or produced (direction 1, at a step). Clustered by run
# for loading runs; the model index serves the cascade and "which runs used this model".
MODEL_INPUT = 0
MODEL_OUTPUT = 1
run_models = sa.Table(
    "run_models",
    metadata,
    sa.Column("run", BIG_ID, _run_fk(), primary_key=True),
    sa.Column("direction", sa.SmallInteger, primary_key=True),
    sa.Column("model", BIG_ID, _model_fk(), primary_key=True),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Index(None, "model"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)

# The registry's (and --auth's, and the webhooks') tables join this metadata when their modules
# load; importing them here makes every user of ``metadata`` (Alembic's env.py, the schema test)
# see them. Last on purpose: registry_rows, auth_rows and webhook_rows import the names defined
# above.
from runwell.store.sql import auth_rows as auth_rows  # noqa: E402
from runwell.store.sql import registry_rows as registry_rows  # noqa: E402
from runwell.store.sql import webhook_rows as webhook_rows  # noqa: E402
