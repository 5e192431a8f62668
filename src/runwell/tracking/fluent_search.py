"""The fluent API's run search: ``runwell.search_runs`` as a DataFrame or a list."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal, overload

from runwell.entities import Run, ViewType
from runwell.errors import InvalidArgument
from runwell.store import validation
from runwell.store.gc_pause import paused_gc
from runwell.tracking.client import RunwellClient
from runwell.tracking.fluent import _active_experiment_id, _client, search_experiments
from runwell.tracking.paging import collect_pages
from runwell.tracking.runs_frame import table_to_frame

if TYPE_CHECKING:
    import pandas as pd


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: Literal["pandas"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    *,
    output_format: Literal["list"],
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> list[Run]: ...


@overload
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]: ...


def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100000,
    order_by: Sequence[str] | None = None,
    output_format: str = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> pd.DataFrame | list[Run]:
    """Runs matching ``filter_string``, as a DataFrame (MLflow's columns) or a list."""
    if output_format not in ("pandas", "list"):
        raise InvalidArgument(
            f"Invalid output_format '{output_format}': expected 'pandas' or 'list'."
        )
    client = _client()
    ids = [str(i) for i in experiment_ids or ()]
    for name in experiment_names or ():
        found = client.get_experiment_by_name(name)
        if found is not None:
            ids.append(found.experiment_id)
    if not ids and not experiment_names:
        if search_all_experiments:
            ids = [e.experiment_id for e in search_experiments(view_type=ViewType.ALL)]
        else:
            ids = [_active_experiment_id()]
    with paused_gc():
        if output_format == "list":
            return _collect_runs(client, ids, filter_string, run_view_type, max_results, order_by)
        table = client.search_run_table(ids, filter_string, run_view_type, max_results, order_by)
        return table_to_frame(table)


def _collect_runs(
    client: RunwellClient,
    ids: list[str],
    filter_string: str,
    run_view_type: ViewType | str | int,
    max_results: int,
    order_by: Sequence[str] | None,
) -> list[Run]:
    return collect_pages(
        lambda size, token: client.search_runs(
            ids, filter_string, run_view_type, size, order_by, token
        ),
        max_results,
        validation.MAX_RUNS_SEARCH_RESULTS,
    )
