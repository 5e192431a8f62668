"""Runs as a pandas DataFrame with MLflow's columns.

Built from a RunTable (one list per column), so ten thousand runs with dozens of keys each
convert in a fraction of a second.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runwell.entities import RunTable

if TYPE_CHECKING:
    import pandas as pd

_INFO_COLUMNS = ("run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time")


def table_to_frame(table: RunTable) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    frame: pd.DataFrame
    if not len(table):
        frame = pd.DataFrame({name: [] for name in _INFO_COLUMNS})
        return frame
    columns: dict[str, Any] = {
        "run_id": table.run_id,
        "experiment_id": table.experiment_id,
        "status": table.status,
        "artifact_uri": table.artifact_uri,
        "start_time": _timestamps(pd, table.start_time),
        "end_time": _timestamps(pd, table.end_time),
    }
    for key in sorted(table.metrics):
        columns[f"metrics.{key}"] = np.array(table.metrics[key], dtype=np.float64)
    for key in sorted(table.params):
        columns[f"params.{key}"] = table.params[key]
    for key in sorted(table.tags):
        columns[f"tags.{key}"] = table.tags[key]
    frame = pd.DataFrame(columns)
    return frame


def _timestamps(pd: Any, millis: list[int | None]) -> Any:
    return pd.to_datetime(pd.Series(millis, dtype="float64"), unit="ms", utc=True)
