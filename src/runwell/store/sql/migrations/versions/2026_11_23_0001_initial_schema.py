"""Initial schema: experiments, runs, params, tags, metrics, latest metrics, datasets.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

KEY = sa.String(250)
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOUBLE = sa.Float(precision=53).with_variant(mysql.DOUBLE(), "mysql", "mariadb")


# MySQL compares strings case-insensitively by default; binary collation matches the others.
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.String(2048), nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", name="pk_experiments"),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
        **MYSQL_TABLE,
    )
    op.create_table(
        "experiment_tags",
        sa.Column("experiment_id", BIG_ID, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            ondelete="CASCADE",
            name="fk_experiment_tags_experiment_id_experiments",
        ),
        **MYSQL_TABLE,
    )
    op.create_table(
        "runs",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("experiment_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(250), nullable=False),
        sa.Column("user_id", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("artifact_uri", sa.String(2048), nullable=False),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_runs"),
        sa.UniqueConstraint("run_id", name="uq_runs_run_id"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            ondelete="CASCADE",
            name="fk_runs_experiment_id_experiments",
        ),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_runs_experiment_id_lifecycle_stage_start_time",
        "runs",
        ["experiment_id", "lifecycle_stage", "start_time"],
    )
    for table in ("params", "tags"):
        op.create_table(
            table,
            sa.Column("run", BIG_ID, nullable=False),
            sa.Column("key", KEY, nullable=False),
            sa.Column("value", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("run", "key", name=f"pk_{table}"),
            sa.ForeignKeyConstraint(
                ["run"], ["runs.id"], ondelete="CASCADE", name=f"fk_{table}_run_runs"
            ),
            sqlite_with_rowid=False,
            **MYSQL_TABLE,
        )
    op.create_table(
        "metrics",
        sa.Column("run", BIG_ID, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("value", DOUBLE, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.PrimaryKeyConstraint(
            "run", "key", "timestamp", "step", "value", "kind", name="pk_metrics"
        ),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_metrics_run_runs"
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_table(
        "latest_metrics",
        sa.Column("run", BIG_ID, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", DOUBLE, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run", "key", name="pk_latest_metrics"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_latest_metrics_run_runs"
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "datasets",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("experiment_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("digest", sa.String(36), nullable=False),
        sa.Column("source_type", sa.String(36), nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("schema", LONG_TEXT, nullable=True),
        sa.Column("profile", LONG_TEXT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_datasets"),
        sa.UniqueConstraint(
            "experiment_id", "name", "digest", name="uq_datasets_experiment_id_name_digest"
        ),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            ondelete="CASCADE",
            name="fk_datasets_experiment_id_experiments",
        ),
        **MYSQL_TABLE,
    )
    op.create_table(
        "run_inputs",
        sa.Column("run", BIG_ID, nullable=False),
        sa.Column("dataset", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("run", "dataset", name="pk_run_inputs"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_run_inputs_run_runs"
        ),
        sa.ForeignKeyConstraint(
            ["dataset"], ["datasets.id"], ondelete="CASCADE", name="fk_run_inputs_dataset_datasets"
        ),
        **MYSQL_TABLE,
    )
    op.create_index("ix_run_inputs_dataset", "run_inputs", ["dataset"])
    op.create_table(
        "run_input_tags",
        sa.Column("run", BIG_ID, nullable=False),
        sa.Column("dataset", BIG_ID, nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.PrimaryKeyConstraint("run", "dataset", "key", name="pk_run_input_tags"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_run_input_tags_run_runs"
        ),
        **MYSQL_TABLE,
    )


def downgrade() -> None:
    for table in (
        "run_input_tags",
        "run_inputs",
        "datasets",
        "latest_metrics",
        "metrics",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
