"""Alembic environment: always run on the connection the caller hands over (see migrate.py)."""

from __future__ import annotations

from alembic import context

from runwell.store.sql.rows import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table (alembic batch docs).
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
