"""Registry webhooks: endpoints with their (signing) secret, and the events each subscribes to.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-08
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

WEBHOOK_ID = sa.String(36)
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "webhooks",
        sa.Column("webhook_id", WEBHOOK_ID, nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.String(5000), nullable=True),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("secret", sa.String(1024), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name="pk_webhooks"),
        **MYSQL_TABLE,
    )
    op.create_index("ix_webhooks_creation_timestamp", "webhooks", ["creation_timestamp"])
    op.create_table(
        "webhook_events",
        sa.Column("webhook_id", WEBHOOK_ID, nullable=False),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", "entity", "action", name="pk_webhook_events"),
        sa.ForeignKeyConstraint(
            ["webhook_id"],
            ["webhooks.webhook_id"],
            ondelete="CASCADE",
            name="fk_webhook_events_webhook_id_webhooks",
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_index("ix_webhook_events_entity_action", "webhook_events", ["entity", "action"])


def downgrade() -> None:
    op.drop_table("webhook_events")
    op.drop_table("webhooks")
