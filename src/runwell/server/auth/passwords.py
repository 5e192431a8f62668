"""Passwords, access tokens and session ids: how they are made, checked and stored.

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile:
  3 passes over 64 MiB). Hashing is slow on purpose, so at most ``_VERIFY_SLOTS`` checks run
  at once in a process: a flood of wrong passwords costs bounded CPU and memory.
- Access tokens are ``rwt_`` + 43 URL-safe characters (256 random bits) and session ids the
  same without the prefix. Only their SHA-256 is stored; with that much entropy a slow hash
  adds nothing, and the fast one lets a request find its token by indexed equality.
- Usernames are 1 to 256 printable characters without ``:`` (HTTP Basic splits on it) and
  without surrounding blanks; passwords are ``MIN_PASSWORD_LENGTH`` to 1024 characters.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from runwell.errors import InvalidArgument

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024
MAX_USERNAME_LENGTH = 256
TOKEN_PREFIX = "rwt_"
_VERIFY_SLOTS = threading.BoundedSemaphore(2)
_hasher = PasswordHasher()
# Checked against when the user does not exist, so both cases take the same time (made on
# first use: hashing at import would slow every server start).
_dummy: list[str] = []


def _dummy_hash() -> str:
    if not _dummy:
        _dummy.append(_hasher.hash("runwell-no-such-user-" + secrets.token_hex(8)))
    return _dummy[0]


def check_username(username: object) -> str:
    if not isinstance(username, str) or not username:
        raise InvalidArgument("Missing value for required parameter 'username'.")
    if len(username) > MAX_USERNAME_LENGTH:
        raise InvalidArgument(f"Username is longer than {MAX_USERNAME_LENGTH} characters.")
    if username != username.strip() or ":" in username or not username.isprintable():
        raise InvalidArgument(
            "Invalid username: use printable characters without ':' and without leading or "
            "trailing blanks."
        )
    return username


def check_password(password: object) -> str:
    if not isinstance(password, str) or not password:
        raise InvalidArgument("Missing value for required parameter 'password'.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidArgument(
            f"Password is too short: it needs at least {MIN_PASSWORD_LENGTH} characters."
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidArgument(f"Password is longer than {MAX_PASSWORD_LENGTH} characters.")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash of a password that passed ``check_password``."""
    with _VERIFY_SLOTS:
        return _hasher.hash(check_password(password))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; None (no such user) is checked against a dummy hash."""
    if len(password) > MAX_PASSWORD_LENGTH:
        return False
    checked = password_hash or _dummy_hash()
    with _VERIFY_SLOTS:
        try:
            return _hasher.verify(checked, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False


def new_token() -> str:
    """A new access token (shown to its owner once)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What the database keeps of a token or session id."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two secrets."""
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
