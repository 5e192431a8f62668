"""Logged models (MLflow 3): the models, their tags and params, and the runs that used them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KEY = sa.String(250)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _model_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["model"],
        ["logged_models.id"],
        ondelete="CASCADE",
        name=f"fk_{table}_model_logged_models",
    )


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("experiment_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("artifact_location", sa.String(2048), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_message", sa.Text, nullable=True),
        sa.Column("model_type", sa.String(500), nullable=True),
        sa.Column("source_run_id", sa.String(64), nullable=True),
        sa.Column("lifecycle_stage", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_logged_models"),
        sa.UniqueConstraint("model_id", name="uq_logged_models_model_id"),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.experiment_id"],
            ondelete="CASCADE",
            name="fk_logged_models_experiment_id_experiments",
        ),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_logged_models_experiment_id_name", "logged_models", ["experiment_id", "name"]
    )
    op.create_index(
        "ix_logged_models_experiment_id_creation_timestamp_ms",
        "logged_models",
        ["experiment_id", "creation_timestamp_ms"],
    )
    op.create_index("ix_logged_models_source_run_id", "logged_models", ["source_run_id"])
    for table in ("logged_model_tags", "logged_model_params"):
        op.create_table(
            table,
            sa.Column("model", BIG_ID, nullable=False),
            sa.Column("key", KEY, nullable=False),
            sa.Column("value", sa.Text, nullable=False),
            sa.PrimaryKeyConstraint("model", "key", name=f"pk_{table}"),
            _model_fk(table),
            sqlite_with_rowid=False,
            **MYSQL_TABLE,
        )
    op.create_table(
        "run_models",
        sa.Column("run", BIG_ID, nullable=False),
        sa.Column("direction", sa.SmallInteger, nullable=False),
        sa.Column("model", BIG_ID, nullable=False),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run", "direction", "model", name="pk_run_models"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_run_models_run_runs"
        ),
        _model_fk("run_models"),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_index("ix_run_models_model", "run_models", ["model"])


def downgrade() -> None:
    # MySQL refuses to drop an index a foreign key still needs; the tables take theirs along.
    for table in ("run_models", "logged_model_params", "logged_model_tags", "logged_models"):
        op.drop_table(table)
