"""``SqlAuthStore``: users, access tokens, browser sessions and permissions in the tracking
database (tables in auth_rows.py, created by migrations 0007 and 0008).

Usernames are compared exactly, in Python, after the indexed lookup: MySQL and MariaDB
compare ``VARCHAR`` under PAD SPACE (``'bob '`` equals ``'bob'`` even in ``utf8mb4_bin``), so
the database alone would let a padded name stand for an account. A new name that equals an
existing one but for case is refused (``Admin`` beside ``admin``).

The store takes hashes, never secrets: the server hashes passwords (argon2) and tokens
(SHA-256) before they get here, so nothing in this module can leak one. It also answers the
two lookups the permission checks need on every request — which experiment a run or a logged
model belongs to — with one indexed query each.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities.auth import AccessToken, Grant, Permission, ResourceType, User
from runwell.errors import AlreadyExists, NotFound
from runwell.store.sql import migrate
from runwell.store.sql.auth_rows import (
    auth_permissions,
    auth_resource_defaults,
    auth_sessions,
    auth_tokens,
    auth_users,
)
from runwell.store.sql.auth_throttle import SqlThrottleStore
from runwell.store.sql.engine import get_engine, transaction
from runwell.store.sql.rows import logged_models, runs


def now_ms() -> int:
    return int(time.time() * 1000)


def _user(row: Any) -> User:
    return User(
        id=int(row.id),
        username=str(row.username),
        is_admin=bool(row.is_admin),
        created_at=int(row.created_at),
    )


def _token(row: Any) -> AccessToken:
    return AccessToken(
        id=int(row.id),
        user_id=int(row.user_id),
        name=str(row.name),
        prefix=str(row.prefix),
        created_at=int(row.created_at),
        expires_at=None if row.expires_at is None else int(row.expires_at),
    )


class SqlAuthStore:
    """Accounts and grants on the database at ``db_url`` (schema created or checked on open)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.engine = get_engine(db_url)
        migrate.ensure_schema(self.engine, db_url)
        self.throttle = SqlThrottleStore(self.engine)

    # ---------------------------------------------------------------- users

    def create_user(self, username: str, password_hash: str, *, is_admin: bool = False) -> User:
        with transaction(self.engine, write=True) as conn:
            if self._user_row(conn, username) is not None:
                raise AlreadyExists(f"User '{username}' already exists.")
            folded = username.casefold()
            for (other,) in conn.execute(sa.select(auth_users.c.username)):
                if str(other).casefold() == folded:
                    raise AlreadyExists(
                        f"User '{other}' already exists; usernames may not differ only by case."
                    )
            conn.execute(
                auth_users.insert().values(
                    username=username,
                    password_hash=password_hash,
                    is_admin=is_admin,
                    created_at=now_ms(),
                )
            )
            row = self._user_row(conn, username)
            return _user(row)

    @staticmethod
    def _user_row(conn: Connection, username: str) -> Any:
        """The row of exactly this username (see the module docstring on PAD SPACE)."""
        rows = conn.execute(sa.select(auth_users).where(auth_users.c.username == username))
        return next((row for row in rows if row.username == username), None)

    def find_user(self, username: str) -> User | None:
        with transaction(self.engine, write=False) as conn:
            row = self._user_row(conn, username)
        return None if row is None else _user(row)

    def get_user(self, username: str) -> User:
        user = self.find_user(username)
        if user is None:
            raise NotFound(f"User '{username}' does not exist.")
        return user

    def find_user_by_id(self, user_id: int) -> User | None:
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(sa.select(auth_users).where(auth_users.c.id == user_id)).first()
        return None if row is None else _user(row)

    def password_hash(self, username: str) -> tuple[User, str] | None:
        """The user and their password hash, for a login check."""
        with transaction(self.engine, write=False) as conn:
            row = self._user_row(conn, username)
        return None if row is None else (_user(row), str(row.password_hash))

    def list_users(self) -> list[User]:
        with transaction(self.engine, write=False) as conn:
            rows = conn.execute(sa.select(auth_users).order_by(auth_users.c.username)).all()
        return [_user(row) for row in rows]

    def count_admins(self) -> int:
        with transaction(self.engine, write=False) as conn:
            query = sa.select(sa.func.count()).where(auth_users.c.is_admin.is_(True))
            return int(conn.execute(query).scalar_one())

    def count_users(self) -> int:
        with transaction(self.engine, write=False) as conn:
            return int(
                conn.execute(sa.select(sa.func.count()).select_from(auth_users)).scalar_one()
            )

    def _update_user(self, username: str, **values: Any) -> User:
        with transaction(self.engine, write=True) as conn:
            row = self._user_row(conn, username)
            if row is None:
                raise NotFound(f"User '{username}' does not exist.")
            conn.execute(auth_users.update().where(auth_users.c.id == row.id).values(**values))
            return _user(self._user_row(conn, username))

    def set_password_hash(self, username: str, password_hash: str) -> User:
        """Change a password; the user's browser sessions end with it."""
        user = self._update_user(username, password_hash=password_hash)
        with transaction(self.engine, write=True) as conn:
            conn.execute(auth_sessions.delete().where(auth_sessions.c.user_id == user.id))
        return user

    def set_admin(self, username: str, is_admin: bool) -> User:
        return self._update_user(username, is_admin=is_admin)

    def delete_user(self, username: str) -> None:
        """Delete a user with their tokens, sessions and grants (foreign keys cascade; done
        explicitly too, for SQLite connections without foreign-key enforcement)."""
        with transaction(self.engine, write=True) as conn:
            row = self._user_row(conn, username)
            if row is None:
                raise NotFound(f"User '{username}' does not exist.")
            for table in (auth_tokens, auth_sessions, auth_permissions):
                conn.execute(table.delete().where(table.c.user_id == row.id))
            conn.execute(auth_users.delete().where(auth_users.c.id == row.id))

    # ---------------------------------------------------------------- access tokens

    def create_token(
        self, user_id: int, name: str, token_hash: str, prefix: str, expires_at: int | None
    ) -> AccessToken:
        with transaction(self.engine, write=True) as conn:
            conn.execute(
                auth_tokens.insert().values(
                    user_id=user_id,
                    name=name,
                    token_hash=token_hash,
                    prefix=prefix,
                    created_at=now_ms(),
                    expires_at=expires_at,
                )
            )
            row = conn.execute(
                sa.select(auth_tokens).where(auth_tokens.c.token_hash == token_hash)
            ).one()
            return _token(row)

    def user_for_token(self, token_hash: str, at_ms: int) -> User | None:
        """The owner of an unexpired token with this hash."""
        query = (
            sa.select(auth_users, auth_tokens.c.expires_at.label("expires"))
            .join(auth_tokens, auth_tokens.c.user_id == auth_users.c.id)
            .where(auth_tokens.c.token_hash == token_hash)
        )
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(query).first()
        if row is None or (row.expires is not None and row.expires <= at_ms):
            return None
        return _user(row)

    def list_tokens(self, user_id: int) -> list[AccessToken]:
        query = sa.select(auth_tokens).where(auth_tokens.c.user_id == user_id)
        with transaction(self.engine, write=False) as conn:
            rows = conn.execute(query.order_by(auth_tokens.c.id)).all()
        return [_token(row) for row in rows]

    def delete_token(self, user_id: int, token_id: int) -> None:
        with transaction(self.engine, write=True) as conn:
            result = conn.execute(
                auth_tokens.delete().where(
                    auth_tokens.c.id == token_id, auth_tokens.c.user_id == user_id
                )
            )
        if result.rowcount == 0:
            raise NotFound(f"Access token {token_id} does not exist.")

    # ---------------------------------------------------------------- browser sessions

    def create_session(self, user_id: int, session_hash: str, expires_at: int) -> None:
        with transaction(self.engine, write=True) as conn:
            # Expired sessions go whenever a new one starts: the table stays small.
            conn.execute(auth_sessions.delete().where(auth_sessions.c.expires_at <= now_ms()))
            conn.execute(
                auth_sessions.insert().values(
                    user_id=user_id,
                    session_hash=session_hash,
                    created_at=now_ms(),
                    expires_at=expires_at,
                )
            )

    def session_user(self, session_hash: str, at_ms: int) -> User | None:
        """The user of an unexpired session."""
        query = (
            sa.select(auth_users, auth_sessions.c.expires_at.label("expires"))
            .join(auth_sessions, auth_sessions.c.user_id == auth_users.c.id)
            .where(auth_sessions.c.session_hash == session_hash)
        )
        with transaction(self.engine, write=False) as conn:
            row = conn.execute(query).first()
        if row is None or row.expires <= at_ms:
            return None
        return _user(row)

    def delete_session(self, session_hash: str) -> None:
        with transaction(self.engine, write=True) as conn:
            conn.execute(auth_sessions.delete().where(auth_sessions.c.session_hash == session_hash))

    # ---------------------------------------------------------------- permissions

    def permission(
        self, user_id: int, kind: ResourceType, resource_id: str
    ) -> tuple[Permission | None, Permission | None]:
        """(the user's explicit grant, the resource's default), either None when unset."""
        grant = sa.select(auth_permissions.c.permission).where(
            auth_permissions.c.user_id == user_id,
            auth_permissions.c.resource_type == kind.value,
            auth_permissions.c.resource_id == resource_id,
        )
        default = sa.select(auth_resource_defaults.c.permission).where(
            auth_resource_defaults.c.resource_type == kind.value,
            auth_resource_defaults.c.resource_id == resource_id,
        )
        with transaction(self.engine, write=False) as conn:
            explicit = conn.execute(grant).scalar()
            fallback = conn.execute(default).scalar()
        return (
            None if explicit is None else Permission[explicit],
            None if fallback is None else Permission[fallback],
        )

    def permissions(
        self, user_id: int, kind: ResourceType, resource_ids: Sequence[str]
    ) -> dict[str, tuple[Permission | None, Permission | None]]:
        """``permission`` for many resources at once (search results)."""
        ids = list(dict.fromkeys(resource_ids))
        found: dict[str, tuple[Permission | None, Permission | None]] = {
            i: (None, None) for i in ids
        }
        with transaction(self.engine, write=False) as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                for rid, perm in conn.execute(
                    sa.select(auth_permissions.c.resource_id, auth_permissions.c.permission).where(
                        auth_permissions.c.user_id == user_id,
                        auth_permissions.c.resource_type == kind.value,
                        auth_permissions.c.resource_id.in_(chunk),
                    )
                ):
                    found[rid] = (Permission[perm], found[rid][1])
                for rid, perm in conn.execute(
                    sa.select(
                        auth_resource_defaults.c.resource_id, auth_resource_defaults.c.permission
                    ).where(
                        auth_resource_defaults.c.resource_type == kind.value,
                        auth_resource_defaults.c.resource_id.in_(chunk),
                    )
                ):
                    found[rid] = (found[rid][0], Permission[perm])
        return found

    def set_permission(
        self, user_id: int, kind: ResourceType, resource_id: str, permission: Permission
    ) -> None:
        """Create or replace one user's grant."""
        key = (
            auth_permissions.c.user_id == user_id,
            auth_permissions.c.resource_type == kind.value,
            auth_permissions.c.resource_id == resource_id,
        )
        with transaction(self.engine, write=True) as conn:
            updated = conn.execute(
                auth_permissions.update().where(*key).values(permission=permission.name)
            )
            if updated.rowcount == 0:
                conn.execute(
                    auth_permissions.insert().values(
                        user_id=user_id,
                        resource_type=kind.value,
                        resource_id=resource_id,
                        permission=permission.name,
                    )
                )

    def delete_permission(self, user_id: int, kind: ResourceType, resource_id: str) -> None:
        with transaction(self.engine, write=True) as conn:
            result = conn.execute(
                auth_permissions.delete().where(
                    auth_permissions.c.user_id == user_id,
                    auth_permissions.c.resource_type == kind.value,
                    auth_permissions.c.resource_id == resource_id,
                )
            )
        if result.rowcount == 0:
            raise NotFound(f"No permission of that user on {kind.value} '{resource_id}'.")

    def grants(
        self, *, user_id: int | None = None, resource: tuple[ResourceType, str] | None = None
    ) -> list[Grant]:
        """Explicit grants of one user, or on one resource, or all."""
        query = sa.select(auth_permissions, auth_users.c.username).join(
            auth_users, auth_users.c.id == auth_permissions.c.user_id
        )
        if user_id is not None:
            query = query.where(auth_permissions.c.user_id == user_id)
        if resource is not None:
            query = query.where(
                auth_permissions.c.resource_type == resource[0].value,
                auth_permissions.c.resource_id == resource[1],
            )
        query = query.order_by(
            auth_permissions.c.resource_type, auth_permissions.c.resource_id, auth_users.c.username
        )
        with transaction(self.engine, write=False) as conn:
            rows = conn.execute(query).all()
        return [
            Grant(
                user_id=int(row.user_id),
                username=str(row.username),
                resource_type=ResourceType(row.resource_type),
                resource_id=str(row.resource_id),
                permission=Permission[row.permission],
            )
            for row in rows
        ]

    def set_resource_default(
        self, kind: ResourceType, resource_id: str, permission: Permission
    ) -> None:
        key = (
            auth_resource_defaults.c.resource_type == kind.value,
            auth_resource_defaults.c.resource_id == resource_id,
        )
        with transaction(self.engine, write=True) as conn:
            updated = conn.execute(
                auth_resource_defaults.update().where(*key).values(permission=permission.name)
            )
            if updated.rowcount == 0:
                conn.execute(
                    auth_resource_defaults.insert().values(
                        resource_type=kind.value,
                        resource_id=resource_id,
                        permission=permission.name,
                    )
                )

    def grant_creator(
        self, user_id: int, kind: ResourceType, resource_id: str, default: Permission
    ) -> None:
        """A new resource: MANAGE for its creator, ``default`` for everyone else."""
        self.set_permission(user_id, kind, resource_id, Permission.MANAGE)
        self.set_resource_default(kind, resource_id, default)

    def rename_resource(self, kind: ResourceType, old_id: str, new_id: str) -> None:
        """A registered model was renamed: its grants and default follow it."""
        with transaction(self.engine, write=True) as conn:
            for table in (auth_permissions, auth_resource_defaults):
                conn.execute(table.delete().where(*_resource(table, kind, new_id)))
                conn.execute(
                    table.update().where(*_resource(table, kind, old_id)).values(resource_id=new_id)
                )

    def forget_resource(self, kind: ResourceType, resource_id: str) -> None:
        """A resource was deleted for good: a new one with the same name starts afresh."""
        with transaction(self.engine, write=True) as conn:
            for table in (auth_permissions, auth_resource_defaults):
                conn.execute(table.delete().where(*_resource(table, kind, resource_id)))

    # ---------------------------------------------------------------- ownership lookups

    def run_experiments(self, run_ids: Iterable[str]) -> dict[str, str]:
        """run id -> experiment id, for the runs that exist."""
        ids = list(dict.fromkeys(run_ids))
        with transaction(self.engine, write=False) as conn:
            rows = conn.execute(
                sa.select(runs.c.run_id, runs.c.experiment_id).where(runs.c.run_id.in_(ids))
            ).all()
        return {str(r.run_id): str(r.experiment_id) for r in rows}

    def logged_model_experiment(self, model_id: str) -> str | None:
        with transaction(self.engine, write=False) as conn:
            value = conn.execute(
                sa.select(logged_models.c.experiment_id).where(logged_models.c.model_id == model_id)
            ).scalar()
        return None if value is None else str(value)


def _resource(table: sa.Table, kind: ResourceType, resource_id: str) -> tuple[Any, Any]:
    return (table.c.resource_type == kind.value, table.c.resource_id == resource_id)
