"""Metric history keyed by an integer series id instead of (run, key).

``latest_metrics`` (still clustered on run and key) gains a unique integer ``id`` and the
history table references it: an all-integer clustered key makes bulk inserts about a quarter
faster and the rows smaller. Existing points and latest values are carried over unchanged.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

KEY = sa.String(250)
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DOUBLE = sa.Float(precision=53).with_variant(mysql.DOUBLE(), "mysql", "mariadb")
MYSQL_TABLE: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

_POINT = ("timestamp", "step", "value", "kind")
_LATEST = ("value", "kind", "timestamp", "step")


def _columns(*names: str) -> list[sa.Column[Any]]:
    types: dict[str, Any] = {
        "id": BIG_ID,
        "run": BIG_ID,
        "series": BIG_ID,
        "key": KEY,
        "timestamp": sa.BigInteger,
        "step": sa.BigInteger,
        "value": DOUBLE,
        "kind": sa.SmallInteger,
    }
    return [sa.Column(name, types[name], nullable=False) for name in names]


def _table(name: str, *columns: str) -> sa.TableClause:
    return sa.table(name, *(sa.column(c) for c in columns))


def _fill(target: str, source: str, names: tuple[str, ...]) -> None:
    """Insert ``source``'s ``names`` columns into ``target``'s."""
    dst = _table(target, *names)
    op.execute(sa.insert(dst).from_select(list(names), sa.select(*_table(source, *names).c)))


def _copy(source: str, target: str, names: tuple[str, ...]) -> None:
    """Create ``target`` without constraints and fill it with ``source``'s columns."""
    op.create_table(target, *_columns(*names), **MYSQL_TABLE)
    _fill(target, source, names)


def upgrade() -> None:
    _copy("metrics", "metrics_copy", ("run", "key", *_POINT))
    _copy("latest_metrics", "latest_copy", ("run", "key", *_LATEST))
    op.drop_table("metrics")
    op.drop_table("latest_metrics")
    op.create_table(
        "latest_metrics",
        *_columns("run", "key", "id", *_LATEST),
        sa.PrimaryKeyConstraint("run", "key", name="pk_latest_metrics"),
        sa.UniqueConstraint("id", name="uq_latest_metrics_id"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_latest_metrics_run_runs"
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_table(
        "metrics",
        *_columns("series", *_POINT),
        sa.PrimaryKeyConstraint("series", *_POINT, name="pk_metrics"),
        sa.ForeignKeyConstraint(
            ["series"],
            ["latest_metrics.id"],
            ondelete="CASCADE",
            name="fk_metrics_series_latest_metrics",
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    latest = _table("latest_metrics", "id", "run", "key", *_LATEST)
    latest_copy = _table("latest_copy", "run", "key", *_LATEST)
    series_id = sa.func.row_number().over(order_by=(latest_copy.c.run, latest_copy.c.key))
    op.execute(
        sa.insert(latest).from_select(
            ["run", "key", "id", *_LATEST],
            sa.select(
                latest_copy.c.run,
                latest_copy.c.key,
                series_id,
                *(latest_copy.c[n] for n in _LATEST),
            ),
        )
    )
    points = _table("metrics", "series", *_POINT)
    copy = _table("metrics_copy", "run", "key", *_POINT)
    op.execute(
        sa.insert(points).from_select(
            ["series", *_POINT],
            sa.select(latest.c.id, *(copy.c[n] for n in _POINT)).select_from(
                copy.join(latest, sa.and_(latest.c.run == copy.c.run, latest.c.key == copy.c.key))
            ),
        )
    )
    op.drop_table("metrics_copy")
    op.drop_table("latest_copy")


def downgrade() -> None:
    latest = _table("latest_metrics", "id", "run", "key", *_LATEST)
    points = _table("metrics", "series", *_POINT)
    op.create_table("metrics_copy", *_columns("run", "key", *_POINT), **MYSQL_TABLE)
    copy = _table("metrics_copy", "run", "key", *_POINT)
    op.execute(
        sa.insert(copy).from_select(
            ["run", "key", *_POINT],
            sa.select(latest.c.run, latest.c.key, *(points.c[n] for n in _POINT)).select_from(
                points.join(latest, latest.c.id == points.c.series)
            ),
        )
    )
    _copy("latest_metrics", "latest_copy", ("run", "key", *_LATEST))
    op.drop_table("metrics")
    op.drop_table("latest_metrics")
    op.create_table(
        "metrics",
        *_columns("run", "key", *_POINT),
        sa.PrimaryKeyConstraint("run", "key", *_POINT, name="pk_metrics"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_metrics_run_runs"
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    op.create_table(
        "latest_metrics",
        *_columns("run", "key", *_LATEST),
        sa.PrimaryKeyConstraint("run", "key", name="pk_latest_metrics"),
        sa.ForeignKeyConstraint(
            ["run"], ["runs.id"], ondelete="CASCADE", name="fk_latest_metrics_run_runs"
        ),
        sqlite_with_rowid=False,
        **MYSQL_TABLE,
    )
    _fill("metrics", "metrics_copy", ("run", "key", *_POINT))
    _fill("latest_metrics", "latest_copy", ("run", "key", *_LATEST))
    op.drop_table("metrics_copy")
    op.drop_table("latest_copy")
