"""Model registry: registered models, versions, their tags, and aliases.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

KEY = sa.String(250)
NAME = sa.String(256)
URI = sa.String(2048)
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], ondelete="CASCADE", name=f"fk_{table}_{column}_{target}"
    )


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("name", NAME, nullable=False),
        sa.Column("name_key", NAME, nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("description", sa.String(5000), nullable=True),
        sa.Column("user_id", NAME, nullable=True),
        sa.Column("last_version", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_registered_models"),
        sa.UniqueConstraint("name", name="uq_registered_models_name"),
        sa.UniqueConstraint("name_key", name="uq_registered_models_name_key"),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_registered_models_last_updated_timestamp",
        "registered_models",
        ["last_updated_timestamp"],
    )
    op.create_table(
        "registered_model_tags",
        sa.Column("model", BIG_ID, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("model", "key", name="pk_registered_model_tags"),
        _fk("registered_model_tags", "model", "registered_models"),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_table(
        "model_versions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("model", BIG_ID, nullable=False),
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
        sa.PrimaryKeyConstraint("id", name="pk_model_versions"),
        sa.UniqueConstraint("model", "version", name="uq_model_versions_model_version"),
        _fk("model_versions", "model", "registered_models"),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_model_versions_model_current_stage", "model_versions", ["model", "current_stage"]
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_index(
        "ix_model_versions_last_updated_timestamp", "model_versions", ["last_updated_timestamp"]
    )
    op.create_table(
        "model_version_tags",
        sa.Column("version", BIG_ID, nullable=False),
        sa.Column("key", KEY, nullable=False),
        sa.Column("value", LONG_TEXT, nullable=False),
        sa.PrimaryKeyConstraint("version", "key", name="pk_model_version_tags"),
        _fk("model_version_tags", "version", "model_versions"),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_table(
        "registered_model_aliases",
        sa.Column("model", BIG_ID, nullable=False),
        sa.Column("alias", sa.String(255), nullable=False),
        sa.Column("version", BIG_ID, nullable=False),
        sa.PrimaryKeyConstraint("model", "alias", name="pk_registered_model_aliases"),
        _fk("registered_model_aliases", "model", "registered_models"),
        _fk("registered_model_aliases", "version", "model_versions"),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_index("ix_registered_model_aliases_version", "registered_model_aliases", ["version"])


def downgrade() -> None:
    # MySQL refuses to drop an index a foreign key still needs; the tables take theirs along.
    for table in (
        "registered_model_aliases",
        "model_version_tags",
        "model_versions",
        "registered_model_tags",
        "registered_models",
    ):
        op.drop_table(table)
