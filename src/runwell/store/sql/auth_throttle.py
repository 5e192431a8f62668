"""``SqlThrottleStore``: the counters of the sign-in throttle, in the table ``auth_throttle``.

The rules (what is counted, how long a client waits) live in server/auth/throttle.py; this
module only keeps counts, in the database so that every worker process and every replica
sees the same ones. A row is keyed by ``(scope, subject)``: a scope names what is counted
(``address``, ``account``, ``pair``) and the subject is the SHA-256 of the address or name,
so a key never depends on a collation (MySQL's PAD SPACE, case folding).

``reserve`` is a compare-and-set (``UPDATE ... WHERE failures = :seen AND last_failure =
:seen``, or the first row's ``INSERT``): of concurrent requests that read the same row, one
wins and the others read again, so a burst of attempts is counted attempt by attempt whatever
the number of workers. ``release`` undoes one. ``add_failures`` is one ``UPDATE ... SET
failures = failures + n`` (a row quiet for longer than ``forget_after_ms`` starts again from
zero). Two workers inserting the same new key at once: the loser retries as an update.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from runwell.errors import AlreadyExists
from runwell.store.sql.auth_rows import auth_throttle
from runwell.store.sql.engine import transaction

Key = tuple[str, str]  # (scope, subject)
_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class ThrottleRow:
    """One counter: failures since it was last quiet, and the last failure and success."""

    failures: int
    last_failure: int
    last_success: int | None


def _where(key: Key) -> sa.ColumnElement[bool]:
    return sa.and_(auth_throttle.c.scope == key[0], auth_throttle.c.subject == key[1])


def _new_row(
    key: Key, failures: int, last_failure: int, last_success: int | None, expires_at: int
) -> sa.Insert:
    return auth_throttle.insert().values(
        scope=key[0],
        subject=key[1],
        failures=failures,
        last_failure=last_failure,
        last_success=last_success,
        expires_at=expires_at,
    )


def _later(column: sa.Column[int], value: int) -> sa.ColumnElement[int]:
    """The later of a column and a value (portable: SQLite has no GREATEST)."""
    return sa.case((column > value, column), else_=sa.literal(value))


class SqlThrottleStore:
    """Failure counters and known sign-ins on one database (see the module docstring)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def rows(self, keys: Sequence[Key]) -> dict[Key, ThrottleRow]:
        """The rows that exist among ``keys``."""
        if not keys:
            return {}
        query = sa.select(auth_throttle).where(sa.or_(*(_where(k) for k in keys)))
        with transaction(self.engine, write=False) as conn:
            found = conn.execute(query).all()
        return {
            (str(r.scope), str(r.subject)): ThrottleRow(
                failures=int(r.failures),
                last_failure=int(r.last_failure),
                last_success=None if r.last_success is None else int(r.last_success),
            )
            for r in found
        }

    def add_failures(
        self, counts: Sequence[tuple[Key, int]], now_ms: int, forget_after_ms: int
    ) -> dict[Key, int]:
        """Add ``n`` failures to each key (``n`` may be 0: only the time of the last failure
        moves), in one transaction; the failures of each key afterwards."""
        for attempt in range(_ATTEMPTS):
            try:
                with transaction(self.engine, write=True) as conn:
                    return {
                        key: self._add(conn, key, n, now_ms, forget_after_ms) for key, n in counts
                    }
            except AlreadyExists:
                if attempt == _ATTEMPTS - 1:
                    raise
        raise AssertionError("unreachable")

    @staticmethod
    def _add(conn: Connection, key: Key, n: int, now_ms: int, forget_after_ms: int) -> int:
        c = auth_throttle.c
        expires = now_ms + forget_after_ms
        quiet = c.last_failure < now_ms - forget_after_ms
        # Listed in this order on purpose: MySQL evaluates SET assignments left to right, so
        # ``failures`` must read ``last_failure`` before it moves.
        updated = conn.execute(
            auth_throttle.update()
            .where(_where(key))
            .ordered_values(
                (c.failures, sa.case((quiet, sa.literal(n)), else_=c.failures + n)),
                (c.expires_at, _later(c.expires_at, expires)),
                (c.last_failure, now_ms),
            )
        )
        if updated.rowcount == 0:
            conn.execute(_new_row(key, n, now_ms, None, expires))
            return n
        value = conn.execute(sa.select(c.failures).where(_where(key))).scalar_one()
        return int(value)

    def reserve(
        self, key: Key, seen: ThrottleRow | None, failures: int, now_ms: int, expires_at: int
    ) -> bool:
        """Compare-and-set: the row becomes ``failures`` with its last failure now, only if it
        still is ``seen`` (absent when None). False when another request changed it first."""
        c = auth_throttle.c
        try:
            with transaction(self.engine, write=True) as conn:
                if seen is None:
                    conn.execute(_new_row(key, failures, now_ms, None, expires_at))
                    return True
                updated = conn.execute(
                    auth_throttle.update()
                    .where(
                        _where(key),
                        c.failures == seen.failures,
                        c.last_failure == seen.last_failure,
                    )
                    .values(
                        failures=failures,
                        last_failure=now_ms,
                        expires_at=_later(c.expires_at, expires_at),
                    )
                )
                return bool(updated.rowcount == 1)
        except AlreadyExists:
            return False

    def release(self, key: Key, reserved: ThrottleRow, previous: ThrottleRow | None) -> None:
        """Undo ``reserve``: back to ``previous`` when nothing touched the row since, else
        one failure less."""
        c = auth_throttle.c
        with transaction(self.engine, write=True) as conn:
            restored = conn.execute(
                auth_throttle.update()
                .where(
                    _where(key),
                    c.failures == reserved.failures,
                    c.last_failure == reserved.last_failure,
                )
                .values(
                    failures=0 if previous is None else previous.failures,
                    last_failure=0 if previous is None else previous.last_failure,
                )
            )
            if restored.rowcount == 0:
                conn.execute(
                    auth_throttle.update()
                    .where(_where(key), c.failures > 0)
                    .values(failures=c.failures - 1)
                )

    def mark_success(self, key: Key, now_ms: int, keep_ms: int) -> None:
        """A sign-in succeeded for this key: no failures, remembered for ``keep_ms``."""
        c = auth_throttle.c
        expires = now_ms + keep_ms
        for attempt in range(_ATTEMPTS):
            try:
                with transaction(self.engine, write=True) as conn:
                    updated = conn.execute(
                        auth_throttle.update()
                        .where(_where(key))
                        .values(
                            failures=0,
                            last_success=now_ms,
                            expires_at=_later(c.expires_at, expires),
                        )
                    )
                    if updated.rowcount == 0:
                        conn.execute(_new_row(key, 0, 0, now_ms, expires))
                return
            except AlreadyExists:
                if attempt == _ATTEMPTS - 1:
                    raise

    def forget_expired(self, now_ms: int) -> int:
        """Delete rows that no longer say anything; how many went."""
        with transaction(self.engine, write=True) as conn:
            result = conn.execute(auth_throttle.delete().where(auth_throttle.c.expires_at < now_ms))
        return int(result.rowcount or 0)
