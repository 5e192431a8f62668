"""``load_table``: a table logged with ``log_table`` read back from many runs as one DataFrame.

MLflow's ``load_table(artifact_file, run_ids=None, extra_columns=None)``: the table is read
from each run that logged it (found by the ``mlflow.loggedArtifacts`` tag that ``log_table``
keeps, unless ``run_ids`` names the runs), the rows are concatenated, and ``extra_columns``
adds run fields to every row of its run (e.g. ``["run_id"]``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runwell.errors import InvalidArgument, NotFound

if TYPE_CHECKING:
    import pandas as pd

    from runwell.tracking.client import RunwellClient

_LOGGED_ARTIFACTS_TAG = "mlflow.loggedArtifacts"


def load_table(
    client: RunwellClient,
    experiment_id: str,
    artifact_file: str,
    run_ids: Sequence[str] | None = None,
    extra_columns: Sequence[str] | None = None,
) -> pd.DataFrame:
    """The rows of ``artifact_file`` from every run of ``experiment_id`` that logged it."""
    import pandas as pd

    if not isinstance(artifact_file, str) or not artifact_file.endswith(".json"):
        raise InvalidArgument(
            f"Invalid artifact_file {artifact_file!r}: expected the .json path of a table "
            "logged with log_table."
        )
    if run_ids is None:
        run_ids = _runs_with_table(client, experiment_id, artifact_file)
    frames = []
    for run_id in run_ids:
        run = client.get_run(run_id)
        table = json.loads(client.artifact_repo_for_run(run_id).read_bytes(artifact_file))
        frame = pd.DataFrame(table.get("data", []), columns=table.get("columns"))
        for column in extra_columns or ():
            frame[column] = _run_field(run, column)
        frames.append(frame)
    if not frames:
        raise NotFound(
            f"No runs of experiment {experiment_id} logged a table at '{artifact_file}'."
        )
    combined: pd.DataFrame = pd.concat(frames, ignore_index=True)
    return combined


def _runs_with_table(client: RunwellClient, experiment_id: str, artifact_file: str) -> list[str]:
    entry = json.dumps({"path": artifact_file, "type": "table"})
    pattern = entry.replace("'", "\\'")
    found: list[str] = []
    token = None
    while True:
        page = client.search_runs(
            [experiment_id],
            filter_string=f"tags.`{_LOGGED_ARTIFACTS_TAG}` LIKE '%{pattern}%'",
            max_results=1000,
            page_token=token,
        )
        found += [run.info.run_id for run in page.items]
        token = page.token
        if not token:
            return found


def _run_field(run: Any, column: str) -> Any:
    info = run.info
    if hasattr(info, column):
        return getattr(info, column)
    raise InvalidArgument(
        f"Invalid extra column {column!r}: expected a run attribute such as 'run_id', "
        "'run_name', 'experiment_id', 'status', 'start_time' or 'end_time'."
    )
