"""A journal: one run's write calls in an SQLite file, numbered, checksummed, crash-safe.

On disk, a journal is a directory named after its run id inside the spool directory::

    <spool>/<run_id>/journal.db     records, meta, sync progress (SQLite, WAL)
    <spool>/<run_id>/writer.lock    held (flock) by the process writing the journal
    <spool>/<run_id>/artifacts/     files logged to an offline run (its artifact root)

Records are appended with increasing sequence numbers, one transaction per append, and each
body carries a CRC-32. SQLite's write-ahead log makes every committed append survive the
process being killed at any instant (``synchronous=NORMAL``: an operating-system crash or power
loss may lose the last commits, never older ones). ``meta.last_seq`` is advanced in the same
transaction, so a reader that cannot reach a record that ``last_seq`` promises knows the tail
is damaged or missing (a truncated or corrupted file) and says which records are lost.

The writer holds an exclusive ``flock`` on ``writer.lock`` for as long as the journal is open;
the kernel drops it when the process dies, however it dies, so ``writer_alive()`` tells a sync
whether more records may still come. Sync progress lives in the journal too (``sync_state``,
``sync_files``, ``sync_refused``), so an interrupted sync resumes where it stopped.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from runwell.errors import ErrorCode, InvalidState, RunwellError
from runwell.store.journal import salvage
from runwell.store.journal.format import FORMAT_VERSION, Kind, Record, checksum
from runwell.store.sql.writer_lock import writer_lock
from runwell.store.sqlite_driver import dbapi

if TYPE_CHECKING:
    import sqlite3

# The bundled SQLite (sqlite_driver.py); its exception classes are the driver's own.
_sqlite = dbapi()

DB_NAME = "journal.db"
LOCK_NAME = "writer.lock"
ARTIFACTS_DIR = "artifacts"
_READ_CHUNK = 64

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS records (seq INTEGER PRIMARY KEY, kind INTEGER NOT NULL, "
    "size INTEGER NOT NULL, body BLOB NOT NULL, crc INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL) "
    "WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS sync_files (path TEXT PRIMARY KEY) WITHOUT ROWID",
    "CREATE TABLE IF NOT EXISTS sync_refused (seq INTEGER NOT NULL, message TEXT NOT NULL)",
)


class JournalDamaged(RunwellError):
    """Part of a journal cannot be read back: ``readable`` records came before the damage."""

    def __init__(self, path: Path, readable: int, detail: str) -> None:
        super().__init__(
            f"Journal {path} is damaged after record {readable}: {detail}. Records up to "
            f"{readable} are intact; the journal is kept.",
            ErrorCode.DATA_LOSS,
        )
        self.readable = readable
        self.detail = detail


def _connect(path: Path) -> sqlite3.Connection:
    conn: sqlite3.Connection = _sqlite.connect(
        path, isolation_level=None, check_same_thread=False, timeout=30
    )
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _create_schema(conn: sqlite3.Connection, meta: dict[str, str]) -> None:
    conn.execute("BEGIN IMMEDIATE")
    for statement in _SCHEMA:
        conn.execute(statement)
    rows = {"format": str(FORMAT_VERSION), "created": str(int(time.time() * 1000))}
    rows.update(meta, last_seq="0")
    conn.executemany("INSERT INTO meta VALUES (?, ?)", sorted(rows.items()))
    conn.execute("COMMIT")


def _failure(path: Path, exc: sqlite3.Error) -> RunwellError:
    if isinstance(exc, _sqlite.DatabaseError) and not isinstance(exc, _sqlite.OperationalError):
        return JournalDamaged(path, 0, str(exc))
    return RunwellError(f"Cannot use the journal {path}: {exc}.", ErrorCode.IO_ERROR)


class Journal:
    """An open journal. ``writable`` journals hold the writer lock until ``close()``."""

    def __init__(self, directory: Path, conn: sqlite3.Connection, lock_fd: int | None) -> None:
        self.directory = directory
        self.path = directory / DB_NAME
        self._conn = conn
        self._lock_fd = lock_fd
        self._mutex = threading.Lock()
        # Every write holds the file's writer lock, as the SQL store's do: a syncing process
        # records its progress here while the writer appends (checkpointer.py says why).
        self._writes = writer_lock(str(self.path))
        self.last_seq = int(self.meta("last_seq") or 0)
        # Why the journal is read from a salvaged copy, if it is.
        self.damage: str | None = None

    # ---------------------------------------------------------------- opening

    @classmethod
    def create(cls, directory: Path, meta: dict[str, str]) -> Journal:
        """A new journal in ``directory`` (which must not hold one), open for writing."""
        directory.mkdir(parents=True, exist_ok=True)
        if (directory / DB_NAME).exists():
            raise InvalidState(f"A journal already exists at {directory}.")
        lock_fd = _take_lock(directory)
        try:
            conn = _connect(directory / DB_NAME)
            with writer_lock(str(directory / DB_NAME)):
                _create_schema(conn, meta)
        except _sqlite.Error as exc:
            os.close(lock_fd)
            raise _failure(directory, exc) from exc
        return cls(directory, conn, lock_fd)

    @classmethod
    def open(cls, directory: Path, *, write: bool = False) -> Journal:
        """An existing journal; ``write``: take the writer lock to append to it.

        A file too damaged for SQLite to open (cut short: its header promises pages it no
        longer has) is read through a salvaged copy (``salvage.py``); such a journal cannot
        be written to.
        """
        if not (directory / DB_NAME).is_file():
            raise InvalidState(f"No journal at {directory} (expected {DB_NAME} in it).")
        lock_fd = _take_lock(directory) if write else None
        damage = None
        try:
            try:
                conn = _connect(directory / DB_NAME)
                found = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            except _sqlite.DatabaseError as exc:
                if isinstance(exc, _sqlite.OperationalError) or lock_fd is not None:
                    raise
                conn, damage = salvage.salvaged_copy(directory / DB_NAME, exc)
                found = conn.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
        except _sqlite.Error as exc:
            if lock_fd is not None:
                os.close(lock_fd)
            raise _failure(directory, exc) from exc
        if found is None or found[0] != str(FORMAT_VERSION):
            conn.close()
            raise InvalidState(
                f"Journal {directory} has format {found and found[0]}; this runwell reads "
                f"format {FORMAT_VERSION}."
            )
        journal = cls(directory, conn, lock_fd)
        journal.damage = damage
        return journal

    def close(self) -> None:
        with self._mutex:
            self._conn.close()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None

    @property
    def writable(self) -> bool:
        return self._lock_fd is not None

    @property
    def artifacts(self) -> Path:
        return self.directory / ARTIFACTS_DIR

    # ---------------------------------------------------------------- writing

    def append(self, kind: Kind, body: bytes, size: int) -> int:
        """Append one record (``size``: the values it holds) and commit; its sequence number."""
        with self._mutex:
            if self._lock_fd is None:
                raise InvalidState(f"Journal {self.directory} is not open for writing.")
            seq = self.last_seq + 1
            try:
                with self._writes:
                    self._append(seq, kind, body, size)
            except _sqlite.Error as exc:
                with contextlib.suppress(_sqlite.Error):
                    self._conn.execute("ROLLBACK")
                raise _failure(self.directory, exc) from exc
            self.last_seq = seq
            return seq

    def _append(self, seq: int, kind: Kind, body: bytes, size: int) -> None:
        self._conn.execute("BEGIN IMMEDIATE")
        self._conn.execute(
            "INSERT INTO records VALUES (?, ?, ?, ?, ?)",
            (seq, int(kind), size, body, checksum(seq, kind, body)),
        )
        self._conn.execute("UPDATE meta SET value = ? WHERE key = 'last_seq'", (str(seq),))
        self._conn.execute("COMMIT")

    # ---------------------------------------------------------------- reading

    def records(self, after: int = 0) -> Iterator[Record]:
        """Records after sequence number ``after``, in order, each checked.

        Raises JournalDamaged at the first record that is missing, unreadable or fails its
        checksum, and when the records end before ``last_seq``.
        """
        expected = after + 1
        while True:
            rows = self._read(expected, _READ_CHUNK)
            for seq, kind, body, crc in rows:
                if seq != expected:
                    raise JournalDamaged(
                        self.directory, expected - 1, f"record {expected} is missing"
                    )
                if checksum(seq, kind, body) != crc or kind not in Kind._value2member_map_:
                    raise JournalDamaged(
                        self.directory, expected - 1, f"record {seq} fails its checksum"
                    )
                yield Record(seq, Kind(kind), body)
                expected += 1
            if len(rows) < _READ_CHUNK:
                break
        last = self.recorded_last_seq()
        if last is not None and expected - 1 < last:
            raise JournalDamaged(
                self.directory,
                expected - 1,
                f"records {expected} to {last} are missing (the file was cut short?)",
            )

    def _read(self, first: int, count: int) -> list[tuple[int, int, bytes, int]]:
        """Rows from ``first``; where the chunk cannot be read, one by one up to the damage."""
        query = "SELECT seq, kind, body, crc FROM records WHERE seq >= ? ORDER BY seq LIMIT ?"
        try:
            with self._mutex:
                return self._conn.execute(query, (first, count)).fetchall()
        except _sqlite.DatabaseError as exc:
            if count == 1:
                raise JournalDamaged(self.directory, first - 1, str(exc)) from exc
        rows: list[tuple[int, int, bytes, int]] = []
        for seq in range(first, first + count):
            try:
                row = self._read(seq, 1)
            except JournalDamaged:
                if rows:
                    return rows  # the damage is met again when reading resumes from here
                raise
            if not row:
                break
            rows.extend(row)
        return rows

    def recorded_last_seq(self) -> int | None:
        """``last_seq`` as stored now (another process may have appended); None if unreadable."""
        try:
            with self._mutex:
                value = self._conn.execute(
                    "SELECT value FROM meta WHERE key = 'last_seq'"
                ).fetchone()
        except _sqlite.DatabaseError:
            return None
        return int(value[0]) if value else None

    def sizes(self, after: int = 0) -> tuple[int, int]:
        """(records, values) after ``after``, from the record sizes (damage not checked)."""
        try:
            with self._mutex:
                row = self._conn.execute(
                    "SELECT count(*), coalesce(sum(size), 0) FROM records WHERE seq > ?", (after,)
                ).fetchone()
        except _sqlite.DatabaseError:
            return (0, 0)
        return int(row[0]), int(row[1])

    # ---------------------------------------------------------------- key-value tables

    def meta(self, key: str) -> str | None:
        return self._get("meta", key)

    def set_meta(self, key: str, value: str) -> None:
        self._set("meta", {key: value})

    def sync_state(self) -> dict[str, str]:
        with self._mutex:
            rows = self._conn.execute("SELECT key, value FROM sync_state").fetchall()
        return dict(rows)

    def save_sync_state(self, values: dict[str, str]) -> None:
        self._set("sync_state", values)

    def synced_files(self) -> set[str]:
        with self._mutex:
            return {row[0] for row in self._conn.execute("SELECT path FROM sync_files")}

    def add_synced_file(self, path: str) -> None:
        with self._mutex, self._writes:
            self._conn.execute("INSERT OR IGNORE INTO sync_files VALUES (?)", (path,))

    def add_refusal(self, seq: int, message: str) -> None:
        with self._mutex, self._writes:
            self._conn.execute("INSERT INTO sync_refused VALUES (?, ?)", (seq, message))

    def _get(self, table: str, key: str) -> str | None:
        try:
            with self._mutex:
                row = self._conn.execute(
                    f"SELECT value FROM {table} WHERE key = ?", (key,)
                ).fetchone()
        except _sqlite.Error as exc:
            raise _failure(self.directory, exc) from exc
        return None if row is None else str(row[0])

    def _set(self, table: str, values: dict[str, str]) -> None:
        try:
            with self._mutex, self._writes:
                self._conn.executemany(
                    f"INSERT OR REPLACE INTO {table} VALUES (?, ?)", sorted(values.items())
                )
        except _sqlite.Error as exc:
            raise _failure(self.directory, exc) from exc

    # ---------------------------------------------------------------- the writer lock

    def writer_alive(self) -> bool:
        """Whether a process (this one included) holds the journal open for writing."""
        if self._lock_fd is not None:
            return True
        try:
            fd = _take_lock(self.directory)
        except InvalidState:
            return True
        os.close(fd)
        return False


def _take_lock(directory: Path) -> int:
    """The writer lock of ``directory``, held through the returned descriptor."""
    fd = os.open(directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        import fcntl
    except ImportError:  # Windows: no flock; a journal is then trusted to have one writer
        return fd
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise InvalidState(
            f"The journal {directory} is open for writing in another process (or another "
            "client of this one)."
        ) from None
    return fd
