"""The registry webhooks' tables, on the same ``metadata`` as rows.py (one migration history,
one schema-equality test).

``secret`` is kept as given: a delivery signs with it (HMAC), so a hash would not do. It is
never returned by the API; database backups hold it, like the database password they need.
A webhook's events are rows of ``webhook_events``, indexed by event so that firing one looks
up only its subscribers.
"""

from __future__ import annotations

import sqlalchemy as sa

from runwell.store.sql.rows import MYSQL_TABLE, metadata

WEBHOOK_ID = sa.String(36)

webhooks = sa.Table(
    "webhooks",
    metadata,
    sa.Column("webhook_id", WEBHOOK_ID, primary_key=True),
    sa.Column("name", sa.String(64), nullable=False),
    sa.Column("description", sa.String(5000), nullable=True),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("secret", sa.String(1024), nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
    sa.Index(None, "creation_timestamp"),
    **MYSQL_TABLE,
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column(
        "webhook_id",
        WEBHOOK_ID,
        sa.ForeignKey("webhooks.webhook_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("entity", sa.String(32), primary_key=True),
    sa.Column("action", sa.String(16), primary_key=True),
    sa.Index(None, "entity", "action"),
    sqlite_with_rowid=False,
    **MYSQL_TABLE,
)
