"""The spool directory, and finding the journals a user points ``runwell sync`` at.

RUNWELL_SPOOL_DIR (default ``~/.runwell/spool``) holds one directory per journal, named after
its run id. Two kinds of journal live there, told apart by ``meta.kind``:

``offline``
    a run made with RUNWELL_MODE=offline: its id was generated here, and the server learns of
    it only when the journal is synced (which creates the server's run).
``spill``
    values of a run that exists on a server, kept while that server was unreachable (the
    background logging queue spilled them); the run id is the server's.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from runwell import env
from runwell.errors import NotFound
from runwell.store.journal.journal import DB_NAME

OFFLINE = "offline"
SPILL = "spill"


def spool_dir() -> Path:
    return Path(env.spool_dir()).expanduser()


def journal_dir(run_id: str, spool: Path | None = None) -> Path:
    return (spool or spool_dir()) / run_id


def find_journals(paths: Iterable[str]) -> list[Path]:
    """Journal directories named by ``paths``: a journal directory, its ``journal.db``, or a
    directory of journals (the spool directory). No paths: the spool directory."""
    chosen = list(paths) or [str(spool_dir())]
    found: list[Path] = []
    for text in chosen:
        path = Path(text).expanduser()
        if path.is_file() and path.name == DB_NAME:
            found.append(path.parent)
        elif (path / DB_NAME).is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(sorted(p.parent for p in path.glob(f"*/{DB_NAME}")))
        elif not list(paths):
            continue  # no spool directory yet: nothing to sync
        else:
            raise NotFound(
                f"No journal at {path}: expected a journal directory (holding {DB_NAME}), "
                f"its {DB_NAME}, or a directory of journals such as {spool_dir()}."
            )
    return list(dict.fromkeys(found))
