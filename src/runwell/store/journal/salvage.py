"""Reading a journal file that was cut short, through a repaired copy.

SQLite refuses a whole database file whose header promises more pages than the file holds
(``database disk image is malformed``), even though the pages that remain are intact. So a
truncated journal is copied (with its write-ahead log, if any) to ``journal.salvaged.db`` in
the same directory, the copy is cut to whole pages, and its header's page count is marked
stale (the "version-valid-for" number made to differ from the change counter, which tells
SQLite to take the size from the file instead: sqlite.org/fileformat2.html, §1.3.7). Records
on the remaining pages read back normally and pass their checksums; the first one that does
not marks the damage.

The copy is made once and kept: sync progress is saved in it, so syncing the damaged journal
again resumes instead of starting over.
"""

from __future__ import annotations

import shutil
import struct
from pathlib import Path
from typing import TYPE_CHECKING

from runwell.store.sqlite_driver import dbapi

if TYPE_CHECKING:
    import sqlite3

SALVAGED_NAME = "journal.salvaged.db"
_HEADER_SIZE = 100
_MAGIC = b"SQLite format 3\x00"


def salvaged_copy(path: Path, cause: sqlite3.DatabaseError) -> tuple[sqlite3.Connection, str]:
    """A connection to the salvaged copy of ``path``, and what was wrong with ``path``.

    Raises ``cause`` again when the file is not a salvageable SQLite file.
    """
    copy = path.with_name(SALVAGED_NAME)
    if not copy.exists():
        _make_copy(path, copy, cause)
    conn = dbapi().connect(copy, isolation_level=None, check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    return conn, f"{path.name} is damaged ({cause}); read from the salvaged copy {copy.name}"


def _make_copy(path: Path, copy: Path, cause: sqlite3.DatabaseError) -> None:
    with path.open("rb") as file:
        header = file.read(_HEADER_SIZE)
    if len(header) < _HEADER_SIZE or not header.startswith(_MAGIC):
        raise cause
    (page_size,) = struct.unpack_from(">H", header, 16)
    page_size = 65536 if page_size == 1 else page_size
    partial = copy.with_name(copy.name + ".partial")
    shutil.copyfile(path, partial)
    wal = path.with_name(path.name + "-wal")
    if wal.is_file():
        shutil.copyfile(wal, partial.with_name(partial.name + "-wal"))
    pages = partial.stat().st_size // page_size
    with partial.open("r+b") as file:
        file.truncate(pages * page_size)
        (counter,) = struct.unpack_from(">I", header, 24)
        file.seek(28)
        file.write(struct.pack(">I", pages))
        file.seek(92)
        file.write(struct.pack(">I", (counter + 1) & 0xFFFFFFFF))
    partial_wal = partial.with_name(partial.name + "-wal")
    if partial_wal.exists():
        partial_wal.rename(copy.with_name(copy.name + "-wal"))
    partial.rename(copy)
