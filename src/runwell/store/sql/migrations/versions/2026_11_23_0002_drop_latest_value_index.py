"""Drop the (key, value) index of latest metrics.

Searches reach ``latest_metrics`` through its (run, key) primary key, so the index served no
query, and keeping it current cost a third of every single-point ``log_metric`` commit.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_latest_metrics_key_value", table_name="latest_metrics")


def downgrade() -> None:
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
