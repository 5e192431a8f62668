"""The SQLite library that runwell's embedded stores run on, and whether it is safe.

SQLite 3.7.0 to 3.51.2 have the WAL-reset bug (SQLite's WAL documentation, "the WAL-reset
bug"): a checkpoint that starts just after another one finished can miss a concurrent writer
restarting the log, leave a wrong backfill count in the WAL index, and a later checkpoint then
skips committed frames, losing writes or corrupting the file. It is fixed in 3.51.3 and in the
3.44.6 and 3.50.7 backports. Python links whatever SQLite its build found (3.40.1 on Debian 12),
so runwell depends on ``pysqlite3``, whose wheels bundle a current SQLite (3.53.4 in 0.6.1),
and drives it with SQLAlchemy's pysqlite dialect (``create_engine(module=...)``).

Where no such wheel installs, Python's own ``sqlite3`` is used; runwell then still cannot hit
the bug, because every checkpoint is taken inside the database's cross-process writer lock
(``sql/checkpointer.py``), but other programs writing the same file can. ``runwell doctor``
and ``runwell --version`` say which library is in use and whether it has the fix.
"""

from __future__ import annotations

import functools
import sqlite3
from dataclasses import dataclass
from types import ModuleType

from runwell import env
from runwell.errors import InvalidState

# The first releases with the fix, per maintained line (SQLite's release history).
_FIXED = ((3, 44, 6), (3, 50, 7), (3, 51, 3))


def has_wal_reset_fix(version: tuple[int, ...]) -> bool:
    """Whether SQLite ``version`` (major, minor, patch) has the WAL-reset fix."""
    major_minor = version[:2]
    for fixed in _FIXED:
        if major_minor == fixed[:2]:
            return version >= fixed
    return version >= _FIXED[-1]


@functools.cache
def dbapi() -> ModuleType:
    """The DB-API module runwell opens SQLite files with (RUNWELL_SQLITE_DRIVER picks)."""
    choice = env.sqlite_driver()
    if choice == "sqlite3":
        return sqlite3
    try:
        from pysqlite3 import dbapi2  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError:
        if choice == "pysqlite3":
            raise InvalidState(
                f"{env.SQLITE_DRIVER}=pysqlite3, but pysqlite3 is not installed: "
                "`pip install pysqlite3`, or unset the variable."
            ) from None
        return sqlite3
    if choice == "auto" and dbapi2.sqlite_version_info < sqlite3.sqlite_version_info:
        return sqlite3
    module: ModuleType = dbapi2
    return module


@dataclass(frozen=True)
class SqliteLibrary:
    """What ``runwell doctor`` reports about the SQLite in use."""

    driver: str
    version: str
    wal_reset_fix: bool

    def describe(self) -> str:
        fix = "with the WAL-reset fix" if self.wal_reset_fix else "without the WAL-reset fix"
        return f"SQLite {self.version} via {self.driver}, {fix}"


def library() -> SqliteLibrary:
    module = dbapi()
    driver = "pysqlite3" if module is not sqlite3 else "Python's sqlite3"
    version = tuple(module.sqlite_version_info)
    return SqliteLibrary(driver, module.sqlite_version, has_wal_reset_fix(version))
