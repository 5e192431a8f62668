"""What ``runwell server --auth`` holds: the auth store, who-is-calling, and the checks.

``AuthService.open(db_url, ...)`` opens the store on the tracking database and makes sure
an admin exists: the first start of an empty user table creates one from
RUNWELL_AUTH_ADMIN_USERNAME / RUNWELL_AUTH_ADMIN_PASSWORD; without them (and without an
admin made by ``runwell auth create-admin``) the server refuses to start. There are no
default credentials.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from runwell import env
from runwell.entities.auth import Permission, User
from runwell.errors import AlreadyExists, InvalidState
from runwell.server.auth import passwords
from runwell.server.auth.access import Authorizer
from runwell.server.auth.identity import Authenticator
from runwell.store.sql.auth import SqlAuthStore

logger = logging.getLogger("runwell.server.auth")
SESSION_TTL_MS = 12 * 3600 * 1000


@dataclass
class AuthService:
    store: SqlAuthStore
    authenticator: Authenticator
    authorizer: Authorizer
    session_ttl_ms: int = SESSION_TTL_MS

    @classmethod
    def open(cls, db_url: str, default_permission: Permission = Permission.READ) -> AuthService:
        store = SqlAuthStore(db_url)
        ensure_admin(store)
        return cls(
            store=store,
            authenticator=Authenticator(store),
            authorizer=Authorizer(store, default_permission),
        )


def create_user(
    store: SqlAuthStore, username: str, password: str, *, is_admin: bool = False
) -> User:
    """Check the name (stored in its canonical form) and password, hash the password, store
    the user."""
    name = passwords.check_username(username)
    return store.create_user(name, passwords.hash_password(password), is_admin=is_admin)


def ensure_admin(store: SqlAuthStore) -> None:
    """An admin exists, or is created now from the environment; otherwise refuse to start."""
    if store.count_admins() > 0:
        return
    username = env.get(env.AUTH_ADMIN_USERNAME)
    password = env.get(env.AUTH_ADMIN_PASSWORD)
    if not username or not password:
        raise InvalidState(
            "Authentication is on but there is no admin user: create one with "
            "`runwell auth create-admin --backend-store-uri <URI>`, or set "
            f"{env.AUTH_ADMIN_USERNAME} and {env.AUTH_ADMIN_PASSWORD} for the first start."
        )
    try:
        create_user(store, username, password, is_admin=True)
    except AlreadyExists:
        # Another worker made it first, or the name is a non-admin user: promote only if
        # the password matches, so the variables cannot take over someone's account.
        username = passwords.canonical_username(username)
        found = store.password_hash(username)
        if found is None or not passwords.verify_password(found[1], password):
            raise InvalidState(
                f"{env.AUTH_ADMIN_USERNAME} names an existing user whose password is not "
                f"{env.AUTH_ADMIN_PASSWORD}; choose another name."
            ) from None
        if not found[0].is_admin:
            store.set_admin(username, True)
    logger.warning("Created the first admin user %r from the environment.", username)
