"""Sign-in throttle of ``runwell server --auth``: failure counters per client address, per
account and per (account, address), and the addresses an account signed in from, kept in the
database so that every worker and replica sees the same counts.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "auth_throttle",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure", sa.BigInteger, nullable=False),
        sa.Column("last_success", sa.BigInteger, nullable=True),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("scope", "subject", name="pk_auth_throttle"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_auth_throttle_expires_at", "auth_throttle", ["expires_at"])


def downgrade() -> None:
    op.drop_table("auth_throttle")
