"""The write paths of params and tags, batched and dialect-tuned (metrics: metric_writes.py).

These run inside one write transaction opened by the store, so a batch is all-or-nothing.
Statements are plain SQL strings on driver cursors: no per-call statement compilation.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runwell.entities import Param, RunTag
from runwell.errors import InvalidArgument
from runwell.store.sql.raw import RawConnections

RUN_NAME_TAG = "mlflow.runName"


def log_params(
    raw: RawConnections, cursor: Any, run_pk: int, run_id: str, params: Sequence[Param]
) -> None:
    """Insert new params; the same value again is fine, another value rejects the batch."""
    if not params:
        return
    mark = raw.mark
    key_col = "`key`" if raw.dialect == "mysql" else "key"
    keys = [p.key for p in params]
    marks = ", ".join([mark] * len(keys))
    cursor.execute(
        f"SELECT {key_col}, value FROM params WHERE run = {mark} AND {key_col} IN ({marks})",
        [run_pk, *keys],
    )
    stored = dict(cursor.fetchall())
    conflicts = [
        {"key": p.key, "old_value": stored[p.key], "new_value": p.value}
        for p in params
        if p.key in stored and stored[p.key] != p.value
    ]
    if conflicts:
        raise InvalidArgument(
            f"Changing param values is not allowed. Params were already logged="
            f"'{conflicts}' for run ID='{run_id}'."
        )
    new = [(run_pk, p.key, p.value) for p in params if p.key not in stored]
    if not new:
        return
    ignore = {"sqlite": "INSERT OR IGNORE", "mysql": "INSERT IGNORE"}.get(raw.dialect, "INSERT")
    conflict = "" if raw.dialect in ("sqlite", "mysql") else " ON CONFLICT DO NOTHING"
    cursor.executemany(
        f"{ignore} INTO params (run, {key_col}, value) VALUES ({mark}, {mark}, {mark}){conflict}",
        new,
    )
    # A concurrent twin of this request (a client retrying after a timeout) may have stored
    # some of these keys first: the insert then waited for it and skipped them, so read them
    # back (a locking read sees the latest commit on MySQL too) and hold them to the rule.
    new_marks = ", ".join([mark] * len(new))
    cursor.execute(
        f"SELECT {key_col}, value FROM params WHERE run = {mark} AND {key_col} IN ({new_marks})"
        + ("" if raw.dialect == "sqlite" else " FOR UPDATE"),
        [run_pk, *(key for _run, key, _value in new)],
    )
    now = dict(cursor.fetchall())
    changed = [
        {"key": key, "old_value": now[key], "new_value": value}
        for _run, key, value in new
        if now.get(key, value) != value
    ]
    if changed:
        raise InvalidArgument(
            f"Changing param values is not allowed. Params were already logged="
            f"'{changed}' for run ID='{run_id}'."
        )


def set_tags(raw: RawConnections, cursor: Any, run_pk: int, tags: Sequence[RunTag]) -> None:
    """Upsert tags (the last of duplicate keys wins); ``mlflow.runName`` renames the run."""
    if not tags:
        return
    final = {t.key: t.value for t in tags}
    mark = raw.mark
    rows = [(run_pk, key, value) for key, value in final.items()]
    if raw.dialect == "mysql":
        cursor.executemany(
            "INSERT INTO tags (run, `key`, value) VALUES (%s, %s, %s) "
            "ON DUPLICATE KEY UPDATE value = VALUES(value)",
            rows,
        )
    else:
        cursor.executemany(
            f"INSERT INTO tags (run, key, value) VALUES ({mark}, {mark}, {mark}) "
            "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value",
            rows,
        )
    if RUN_NAME_TAG in final:
        cursor.execute(
            f"UPDATE runs SET name = {mark} WHERE id = {mark}",
            (final[RUN_NAME_TAG][:250], run_pk),
        )
