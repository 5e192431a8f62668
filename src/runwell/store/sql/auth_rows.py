"""The tables of ``runwell server --auth``, on the same ``metadata`` as rows.py (one migration
history, one schema-equality test), in the tracking database.

Secrets are never stored: passwords as argon2 hashes, access tokens and session ids as the
SHA-256 of a random secret (a fast hash is right for 256-bit random strings; it lets a request
find its token by an indexed equality). ``auth_permissions`` holds explicit grants;
``auth_resource_defaults`` the permission everyone else has on one resource, fixed when the
resource was created. Resource ids are experiment ids in canonical decimal form and
registered-model names fully URL-decoded (the registry's uniqueness key).
"""

from __future__ import annotations

import sqlalchemy as sa

from runwell.store.sql.rows import BIG_ID, MYSQL_TABLE, metadata

USERNAME = sa.String(256)
HASH = sa.String(64)
RESOURCE_TYPE = sa.String(32)
RESOURCE_ID = sa.String(256)
PERMISSION = sa.String(16)


def _user_fk() -> sa.ForeignKey:
    return sa.ForeignKey("auth_users.id", ondelete="CASCADE")


auth_users = sa.Table(
    "auth_users",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("username", USERNAME, nullable=False),
    sa.Column("password_hash", sa.String(512), nullable=False),
    sa.Column("is_admin", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("username"),
    **MYSQL_TABLE,
)

auth_tokens = sa.Table(
    "auth_tokens",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("user_id", BIG_ID, _user_fk(), nullable=False),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("token_hash", HASH, nullable=False),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=True),
    sa.UniqueConstraint("token_hash"),
    sa.Index(None, "user_id"),
    **MYSQL_TABLE,
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("id", BIG_ID, primary_key=True, autoincrement=True),
    sa.Column("user_id", BIG_ID, _user_fk(), nullable=False),
    sa.Column("session_hash", HASH, nullable=False),
    sa.Column("created_at", sa.BigInteger, nullable=False),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("session_hash"),
    sa.Index(None, "user_id"),
    **MYSQL_TABLE,
)

auth_permissions = sa.Table(
    "auth_permissions",
    metadata,
    sa.Column("user_id", BIG_ID, _user_fk(), primary_key=True),
    sa.Column("resource_type", RESOURCE_TYPE, primary_key=True),
    sa.Column("resource_id", RESOURCE_ID, primary_key=True),
    sa.Column("permission", PERMISSION, nullable=False),
    sa.Index(None, "resource_type", "resource_id"),
    **MYSQL_TABLE,
)

auth_resource_defaults = sa.Table(
    "auth_resource_defaults",
    metadata,
    sa.Column("resource_type", RESOURCE_TYPE, primary_key=True),
    sa.Column("resource_id", RESOURCE_ID, primary_key=True),
    sa.Column("permission", PERMISSION, nullable=False),
    **MYSQL_TABLE,
)

# The sign-in throttle (server/auth/throttle.py): one row per client address, account or
# (account, address) pair; ``subject`` is the SHA-256 of the address/name, so rows have one
# fixed-length binary-safe key whatever the name holds. ``expires_at`` is when the row says
# nothing any more (its failures forgotten, a pair's sign-in too old to count).
auth_throttle = sa.Table(
    "auth_throttle",
    metadata,
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("subject", HASH, primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last_failure", sa.BigInteger, nullable=False),
    sa.Column("last_success", sa.BigInteger, nullable=True),
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Index(None, "expires_at"),
    **MYSQL_TABLE,
)
