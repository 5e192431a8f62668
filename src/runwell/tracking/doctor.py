"""``runwell.doctor()`` and ``runwell doctor``: what this runwell runs on, for a bug report.

MLflow's ``mlflow.doctor()`` prints the platform, versions, URIs and environment; this one
prints the same, and the SQLite library under the embedded store with whether it has the
WAL-reset fix (``store/sqlite_driver.py``), and, for an SQLite tracking store, its file, log
and schema revision. Nothing here writes.
"""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata
from pathlib import Path

from runwell._version import __version__
from runwell.store import sqlite_driver
from runwell.tracking.client import resolve_registry_uri, resolve_tracking_uri

_DEPENDENCIES = ("sqlalchemy", "alembic", "pysqlite3", "fastapi", "uvicorn", "httpx", "pandas")
_SQLITE = "sqlite:///"


def version_line() -> str:
    """``runwell --version``: the version and the SQLite library the stores run on."""
    return f"runwell {__version__} ({sqlite_driver.library().describe()})"


def report(*, mask_envs: bool = False, tracking_uri: str | None = None) -> list[tuple[str, str]]:
    """The doctor's findings as (name, value) pairs, in print order."""
    tracking_uri = resolve_tracking_uri(tracking_uri)
    library = sqlite_driver.library()
    rows = [
        ("System information", f"{platform.system()} {platform.release()}"),
        ("Python version", platform.python_version()),
        ("runwell version", __version__),
        ("runwell module location", str(Path(__file__).parents[1])),
        ("Tracking URI", _masked_uri(tracking_uri)),
        ("Registry URI", _masked_uri(resolve_registry_uri(None, tracking_uri))),
        ("SQLite library", f"{library.version} ({library.driver})"),
        (
            "SQLite WAL-reset fix",
            "yes"
            if library.wal_reset_fix
            else "no (runwell's own writers stay safe: every "
            "checkpoint holds the writer lock; upgrade to a build with SQLite >= 3.51.3)",
        ),
    ]
    if library.driver != "Python's sqlite3":
        rows.append(("Python's sqlite3", f"{sqlite3.sqlite_version} (not used by the stores)"))
    if tracking_uri.startswith(_SQLITE):
        rows += _sqlite_store(Path(tracking_uri[len(_SQLITE) :]))
    variables = sorted(
        (name, "***" if mask_envs else value)
        for name, value in os.environ.items()
        if name.startswith(("RUNWELL_", "MLFLOW_"))
    )
    rows.append(
        ("Environment variables", ", ".join(f"{k}={v}" for k, v in variables) or "(none set)")
    )
    rows.append(("Dependencies", ", ".join(_dependency_versions())))
    return rows


def doctor(mask_envs: bool = False, *, tracking_uri: str | None = None) -> None:
    """Print what runwell runs on (MLflow's ``mlflow.doctor``): attach it to a bug report."""
    rows = report(mask_envs=mask_envs, tracking_uri=tracking_uri)
    width = max(len(name) for name, _value in rows)
    for name, value in rows:
        print(f"{name + ':':<{width + 1}} {value}")


def _sqlite_store(path: Path) -> list[tuple[str, str]]:
    if not path.is_file():
        return [("Tracking database", f"{path} (not created yet: made on first use)")]
    wal = path.with_name(path.name + "-wal")
    log = f"{wal.stat().st_size:,} bytes in {wal.name}" if wal.exists() else "no log file"
    rows = [("Tracking database", f"{path}, {path.stat().st_size:,} bytes, {log}")]
    try:
        connection = sqlite_driver.dbapi().connect(str(path))
        try:
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            connection.close()
        revision = found[0] if found else "none"
    except sqlite_driver.dbapi().Error as exc:
        revision = f"unreadable ({exc})"
    from runwell.store.sql.migrate import HEAD

    rows.append(("Schema revision", f"{revision} (this runwell's head: {HEAD})"))
    return rows


def _masked_uri(uri: str) -> str:
    scheme, sep, rest = uri.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not at or ":" not in credentials:
        return uri
    return f"{scheme}{sep}{credentials.split(':', 1)[0]}:***@{host}"


def _dependency_versions() -> list[str]:
    found = []
    for name in _DEPENDENCIES:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return found
