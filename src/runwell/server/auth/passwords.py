"""Passwords, access tokens and session ids: how they are made, checked and stored.

- Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106's low-memory profile:
  3 passes over 64 MiB). Hashing is slow on purpose, so at most ``_VERIFY_SLOTS`` checks run
  at once in a process: a flood of wrong passwords costs bounded CPU and memory.
- Access tokens are ``rwt_`` + 43 URL-safe characters (256 random bits) and session ids the
  same without the prefix. Only their SHA-256 is stored; with that much entropy a slow hash
  adds nothing, and the fast one lets a request find its token by indexed equality.
- Usernames are 1 to 256 printable characters without ``:`` (HTTP Basic splits on it) and
  without leading or trailing whitespace, kept in Unicode NFC: a name is brought to NFC when
  it is created and when someone signs in with it, then compared exactly (case included;
  store/sql/auth.py compares in Python, so MySQL's PAD SPACE collations cannot make
  ``"bob "`` match ``bob``). A name that differs from an existing one only by case is refused
  at creation, so ``Admin`` cannot pass for ``admin``. Passwords are
  ``MIN_PASSWORD_LENGTH`` to 1024 characters.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import unicodedata

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


def canonical_username(username: str) -> str:
    """The one form a username is stored and compared in (Unicode NFC)."""
    return unicodedata.normalize("NFC", username)


def username_problem(username: object) -> str | None:
    """Why ``username`` (already in NFC) cannot be a username; None when it can."""
    if not isinstance(username, str) or not username:
        return "Missing value for required parameter 'username'."
    if len(username) > MAX_USERNAME_LENGTH:
        return f"Invalid value for 'username': longer than {MAX_USERNAME_LENGTH} characters."
    if username != username.strip():
        return "Invalid value for 'username': it may not start or end with whitespace."
    if ":" in username or not username.isprintable():
        return (
            "Invalid value for 'username': use printable characters without ':' (no control "
            "or invisible characters)."
        )
    return None


def check_username(username: object) -> str:
    """The canonical form of a new username; InvalidArgument (400) naming the field."""
    name = canonical_username(username) if isinstance(username, str) else username
    problem = username_problem(name)
    if problem is not None:
        raise InvalidArgument(problem)
    assert isinstance(name, str)
    return name


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
