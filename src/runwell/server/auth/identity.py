"""Who is calling: HTTP Basic, a bearer access token, or the browser's session cookie.

An ``Authorization`` header wins over the cookie, and a bad one is a 401 (no fall-back).
Checking a password costs an argon2 hash, so a verified credential is remembered for
``CACHE_TTL_S`` under a salted digest of the header (the cache never holds a secret): the
MLflow client sends Basic credentials on every request. Changes made through this process
(a new password, a revoked token, a sign-out) clear the cache at once; other worker
processes notice within the TTL.

Every password check goes through the sign-in throttle (throttle.py: back-off per client
address and per account and address, counted in the database). The username is brought to
its canonical form first; a name that could not exist (surrounding whitespace, ``:``,
control characters) never reaches the database and counts as a failure of the address.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass

from runwell.entities.auth import User
from runwell.errors import ErrorCode, RunwellError
from runwell.server.auth import passwords
from runwell.server.auth.throttle import SignInThrottle
from runwell.store.sql.auth import SqlAuthStore, now_ms

CACHE_TTL_S = 10.0
SESSION_COOKIE = "runwell_session"
_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class Identity:
    """A signed-in caller and how they proved it (``basic``, ``token`` or ``session``)."""

    user: User
    via: str
    session_id: str | None = None


def unauthenticated(message: str) -> RunwellError:
    return RunwellError(message, ErrorCode.UNAUTHENTICATED)


def cookie_value(cookie_header: str | None, name: str) -> str | None:
    """One cookie's value from a Cookie header (no decoding: our values are URL-safe)."""
    if not cookie_header:
        return None
    for part in cookie_header.split(";"):
        key, sep, value = part.strip().partition("=")
        if sep and key == name:
            return value
    return None


class Authenticator:
    """Turns request headers into an Identity, with the cache and throttle above."""

    def __init__(self, store: SqlAuthStore) -> None:
        self.store = store
        self._salt = secrets.token_bytes(16)
        self._cache: dict[str, tuple[float, Identity]] = {}
        self._lock = threading.Lock()
        self.throttle = SignInThrottle(store.throttle)

    def _key(self, credential: str) -> str:
        return hashlib.sha256(
            self._salt + credential.encode("utf-8", "surrogateescape")
        ).hexdigest()

    def cached(self, authorization: str | None, cookie: str | None) -> Identity | None:
        """A remembered identity for these headers, without touching the database."""
        credential = authorization or cookie_value(cookie, SESSION_COOKIE)
        if not credential:
            return None
        key = self._key(credential)
        with self._lock:
            hit = self._cache.get(key)
        if hit is None or hit[0] < time.monotonic():
            return None
        return hit[1]

    def identify(
        self, authorization: str | None, cookie: str | None, address: str | None = None
    ) -> Identity | None:
        """The caller (from client ``address``), None when no credential was sent; a bad one
        raises 401, a throttled sign-in 429."""
        if authorization:
            identity = self._from_header(authorization, address)
            credential = authorization
        else:
            session = cookie_value(cookie, SESSION_COOKIE)
            if not session:
                return None
            identity = self._from_session(session)
            credential = session
        self._remember(credential, identity)
        return identity

    def _remember(self, credential: str, identity: Identity) -> None:
        with self._lock:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            self._cache[self._key(credential)] = (time.monotonic() + CACHE_TTL_S, identity)

    def forget(self, user_id: int | None = None) -> None:
        """Drop remembered identities (all, or one user's) after a change to credentials."""
        with self._lock:
            if user_id is None:
                self._cache.clear()
            else:
                for key in [k for k, (_, i) in self._cache.items() if i.user.id == user_id]:
                    del self._cache[key]

    def _from_header(self, authorization: str, address: str | None) -> Identity:
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        value = value.strip()
        if scheme == "basic":
            username, password = _basic(value)
            return Identity(user=self.check_password(username, password, address), via="basic")
        if scheme == "bearer" and value:
            user = self.store.user_for_token(passwords.digest(value), now_ms())
            if user is None:
                raise unauthenticated("Invalid or expired access token.")
            return Identity(user=user, via="token")
        raise unauthenticated("Unsupported Authorization header: use Basic or Bearer.")

    def _from_session(self, session: str) -> Identity:
        user = self.store.session_user(passwords.digest(session), now_ms())
        if user is None:
            raise unauthenticated("Your session has ended; sign in again.")
        return Identity(user=user, via="session", session_id=session)

    def check_password(self, username: str, password: str, address: str | None = None) -> User:
        """The user whose password this is, signing in from client ``address``; 401
        otherwise, 429 (``throttle.Throttled``) while the throttle holds the attempt back."""
        name = passwords.canonical_username(username)
        valid = passwords.username_problem(name) is None
        attempt = self.throttle.check(name if valid else None, address)
        found = self.store.password_hash(name) if valid else None
        if not passwords.verify_password(found[1] if found else None, password) or not found:
            self.throttle.failed(attempt)
            raise unauthenticated("Invalid username or password.")
        self.throttle.succeeded(attempt)
        return found[0]


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthenticated("Malformed Basic credentials.") from None
    username, sep, password = decoded.partition(":")
    if not sep:
        raise unauthenticated("Malformed Basic credentials.")
    return username, password
