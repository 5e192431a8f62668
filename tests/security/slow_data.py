"""Data and statements that make every search slow, on each SQL backend.

Used by the tests of the search timeout and of searches stopped when their client leaves.
"""

from __future__ import annotations

import sqlalchemy as sa

from runwell.store.sql.engine import get_engine

# A statement that runs for seconds on each backend (SQLite counts to 10^8).
SLOW_SQL = {
    "postgresql": "SELECT pg_sleep(5)",
    "mysql": "SELECT SLEEP(5)",
    "sqlite": (
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100000000) "
        "SELECT count(*) FROM n"
    ),
}

# LIKE costs a database about (value length x pattern length): one '%' before a long literal
# that never matches makes each compared value cost milliseconds to a second.
RUN_VALUE, RUN_PATTERN = "a" * 8_000, "%" + "a" * 4_000 + "b"
LONG_VALUE, LONG_PATTERN = "a" * 20_000, "%" + "a" * 9_000 + "b"
SLOW_FILTERS = {
    "runs": f"tags.t LIKE '{RUN_PATTERN}'",
    "experiments": f"tags.k LIKE '{LONG_PATTERN}'",
    "registered-models": f"tags.k LIKE '{LONG_PATTERN}'",
    "model-versions": f"tags.k LIKE '{LONG_PATTERN}'",
    "logged-models": f"tags.t LIKE '{RUN_PATTERN}'",
}
QUICK_FILTERS = {
    "runs": "tags.t = 'x'",
    "experiments": "name = 'x'",
    "registered-models": "name = 'x'",
    "model-versions": "name = 'x'",
    "logged-models": "name = 'x'",
}


def dialect_of(engine: sa.Engine) -> str:
    """ "mysql" for MariaDB and MySQL, else SQLAlchemy's name of the backend."""
    return "mysql" if engine.dialect.name in ("mysql", "mariadb") else engine.dialect.name


def running(url: str) -> int:
    """Statements running now in the database of ``url`` (other than the one asking)."""
    engine = get_engine(url)
    database = engine.url.database
    with engine.connect() as conn:
        if dialect_of(engine) == "postgresql":
            query = (
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s AND state = 'active' "
                "AND pid <> pg_backend_pid()"
            )
        else:
            query = (
                "SELECT count(*) FROM information_schema.processlist WHERE db = %s "
                "AND command = 'Query' AND id <> connection_id()"
            )
        return int(conn.exec_driver_sql(query, (database,)).scalar_one())
