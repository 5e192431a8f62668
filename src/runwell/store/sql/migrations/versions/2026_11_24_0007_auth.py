"""Authentication and permissions (``runwell server --auth``): users, access tokens, browser
sessions, per-resource grants and per-resource default permissions.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
HASH = sa.String(64)
RESOURCE_TYPE = sa.String(32)
RESOURCE_ID = sa.String(256)
PERMISSION = sa.String(16)
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["auth_users.id"], ondelete="CASCADE", name=f"fk_{table}_user_id_auth_users"
    )


def upgrade() -> None:
    op.create_table(
        "auth_users",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(256), nullable=False),
        sa.Column("password_hash", sa.String(512), nullable=False),
        sa.Column("is_admin", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_users"),
        sa.UniqueConstraint("username", name="uq_auth_users_username"),
        **MYSQL_TABLE,
    )
    op.create_table(
        "auth_tokens",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("token_hash", HASH, nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_auth_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_auth_tokens_token_hash"),
        _user_fk("auth_tokens"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_auth_tokens_user_id", "auth_tokens", ["user_id"])
    op.create_table(
        "auth_sessions",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("session_hash", HASH, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_auth_sessions"),
        sa.UniqueConstraint("session_hash", name="uq_auth_sessions_session_hash"),
        _user_fk("auth_sessions"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_auth_sessions_user_id", "auth_sessions", ["user_id"])
    op.create_table(
        "auth_permissions",
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("resource_type", RESOURCE_TYPE, nullable=False),
        sa.Column("resource_id", RESOURCE_ID, nullable=False),
        sa.Column("permission", PERMISSION, nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "resource_type", "resource_id", name="pk_auth_permissions"
        ),
        _user_fk("auth_permissions"),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_auth_permissions_resource_type_resource_id",
        "auth_permissions",
        ["resource_type", "resource_id"],
    )
    op.create_table(
        "auth_resource_defaults",
        sa.Column("resource_type", RESOURCE_TYPE, nullable=False),
        sa.Column("resource_id", RESOURCE_ID, nullable=False),
        sa.Column("permission", PERMISSION, nullable=False),
        sa.PrimaryKeyConstraint("resource_type", "resource_id", name="pk_auth_resource_defaults"),
        **MYSQL_TABLE,
    )


def downgrade() -> None:
    for table in (
        "auth_resource_defaults",
        "auth_permissions",
        "auth_sessions",
        "auth_tokens",
        "auth_users",
    ):
        op.drop_table(table)
