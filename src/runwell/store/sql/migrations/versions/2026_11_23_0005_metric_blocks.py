"""Metric blocks: the points of one key in one batch stored as one packed row.

Bulk logging inserted one clustered-index row per point, and that insert was over half of a
``log_batch`` call; a block costs one row per key per batch (see metric_blocks.py). Existing
history rows stay in ``metrics``; reads merge both.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BLOB = sa.LargeBinary().with_variant(mysql.MEDIUMBLOB(), "mysql", "mariadb")
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def upgrade() -> None:
    op.create_table(
        "metric_blocks",
        sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
        sa.Column("series", BIG_ID, nullable=False),
        sa.Column("first_timestamp", sa.BigInteger, nullable=False),
        sa.Column("first_step", sa.BigInteger, nullable=False),
        sa.Column("last_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_step", sa.BigInteger, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("points", BLOB, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_metric_blocks"),
        sa.ForeignKeyConstraint(
            ["series"],
            ["latest_metrics.id"],
            ondelete="CASCADE",
            name="fk_metric_blocks_series_latest_metrics",
        ),
        **MYSQL_TABLE,
    )
    op.create_index(
        "ix_metric_blocks_series_first_timestamp_first_step",
        "metric_blocks",
        ["series", "first_timestamp", "first_step"],
    )


def downgrade() -> None:
    # Blocks become history rows again before the table goes, so no point is lost.
    bind = op.get_bind()
    metrics = sa.table(
        "metrics", *(sa.column(c) for c in ("series", "timestamp", "step", "value", "kind"))
    )
    for series, data in bind.exec_driver_sql("SELECT series, points FROM metric_blocks"):
        stored = {
            tuple(r)[1:] for r in bind.execute(sa.select(metrics).where(metrics.c.series == series))
        }
        new = [p for p in _points(bytes(data)) if p not in stored]
        stored.update(new)
        if new:
            op.bulk_insert(
                metrics,
                [
                    dict(zip(("timestamp", "step", "value", "kind"), p, strict=True), series=series)
                    for p in new
                ],
            )
    op.drop_table("metric_blocks")  # its index goes with it


def _points(data: bytes) -> list[tuple[int, int, float, int]]:
    """A block's points as history rows (timestamp, step, stored value, kind)."""
    # The packed form is read by the module that writes it; a later change to that form
    # comes with its own migration, which runs before this downgrade.
    from runwell.store.sql import codec
    from runwell.store.sql.metric_blocks import Block

    block = Block.unpack(data)
    return [
        (t, s, *codec.encode(v))
        for t, s, v in zip(block.timestamps, block.steps, block.values, strict=True)
    ]
