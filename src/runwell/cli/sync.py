"""``runwell sync``: upload offline and spilled journals to a tracking server, exactly once.

    runwell sync                                  # every journal in the spool directory
    runwell sync ~/.runwell/spool/3f2a...         # one journal
    runwell sync --tracking-uri http://host:5000 --remove

The server is ``--tracking-uri`` (here or before the command), else RUNWELL_TRACKING_URI,
else the one each journal recorded when it was written. Each journal is reported on one line;
a journal already synced is skipped, one synced halfway resumes where it stopped, and a
damaged one is synced up to its last intact record with the damage reported. Exit status: 0
when every journal is delivered (or still being written), 1 when one is damaged, refused or
belongs elsewhere, 4 when the server is unreachable (the rest is left for the next sync).
"""

from __future__ import annotations

import click

from runwell import env
from runwell.errors import RunwellError, Unavailable
from runwell.store import uri as uris
from runwell.store.journal.journal import Journal
from runwell.store.journal.spool import find_journals, spool_dir
from runwell.store.journal.sync import SyncResult, sync_journal
from runwell.tracking.client import resolve_tracking_uri


def _target(option: str | None, ctx: click.Context, journal: Journal) -> str:
    chosen = option or ctx.find_root().params.get("tracking_uri") or env.get(env.TRACKING_URI)
    chosen = chosen or journal.meta("tracking_uri")
    if not chosen:
        raise RunwellError(
            f"No tracking server for {journal.directory}: give --tracking-uri or set "
            f"{env.TRACKING_URI}."
        )
    return resolve_tracking_uri(chosen)


def _line(result: SyncResult, uri: str) -> str:
    if result.already_done:
        removed = ", removed" if result.removed else ""
        return f"{result.directory}: already synced (server run {result.server_run_id}){removed}"
    text = (
        f"{result.directory}: run {result.run_id} -> {result.server_run_id or '?'} on {uri}: "
        f"{result.values:,} values"
    )
    if result.resumed_at > 1:
        text += f" (resumed after record {result.resumed_at})"
    if result.files:
        text += f", {result.files} artifact files"
    for note in result.notes:
        text += f"; {note}"
    if result.damage:
        return text + f"; DAMAGED: {result.damage}"
    return text + ("; done" + (" and removed" if result.removed else "") if result.done else "")


@click.command("sync")
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option(
    "--tracking-uri",
    "tracking_uri",
    metavar="URI",
    default=None,
    help="Server to upload to [default: $RUNWELL_TRACKING_URI, else each journal's own].",
)
@click.option(
    "--remove",
    is_flag=True,
    help="Delete each offline journal once it is fully synced (spilled ones always are).",
)
@click.pass_context
def command(
    ctx: click.Context, paths: tuple[str, ...], tracking_uri: str | None, remove: bool
) -> None:
    """Upload the journals at PATHS (default: the spool directory) to a tracking server.

    A PATH is a journal directory, its journal.db, or a directory of journals.
    """
    journals = find_journals(paths)
    if not journals:
        click.echo(f"no journals under {spool_dir()}")
        return
    failed = False
    for directory in journals:
        try:
            journal = Journal.open(directory)
        except RunwellError as exc:
            click.echo(f"{directory}: ERROR: {exc}", err=True)
            failed = True
            continue
        try:
            uri = _target(tracking_uri, ctx, journal)
            result = sync_journal(journal, uris.tracking_store(uri), uri, remove=remove)
        except Unavailable as exc:
            click.echo(f"{directory}: server unreachable, progress kept: {exc}", err=True)
            ctx.exit(4)
        except RunwellError as exc:
            click.echo(f"{directory}: ERROR: {exc}", err=True)
            failed = True
            continue
        finally:
            journal.close()
        click.echo(_line(result, uri))
        for refusal in result.refused:
            click.echo(f"  {refusal}", err=True)
        failed = failed or bool(result.damage or result.refused)
    if failed:
        ctx.exit(1)
