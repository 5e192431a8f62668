"""The permission checks of web UI routes read the query exactly as the UI does
(server/ui/queries.py): same lists, same single values, whatever the query's tricks.
A check reading one id while the page reads another would be a way around it."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from runwell.server.auth.middleware import ui_fields
from runwell.server.auth.rules import READ, Check, Target, ui
from runwell.server.ui import queries

RULE = ui(Check(Target.RUNS, READ, "runs"), Check(Target.RUN, READ, "run_id"))


@pytest.mark.parametrize(
    "query",
    [
        b"runs=a,b&runs=c&run_id=x",
        b"runs=a&runs=a,,%20b%20&run_id=first&run_id=second",
        b"run_id=%20padded%20&runs=",
        b"runs=a%2Cb&run_id=x%26run_id%3Dy",
        b"run_id=&run_id=late",
        b"RUN_ID=upper&run_id=lower",
        b"runs[]=a&runs=b",
    ],
)
def test_ui_checks_see_the_same_values_as_the_ui(query: bytes) -> None:
    scope = {"type": "http", "query_string": query, "headers": []}
    fields = ui_fields(scope, RULE, {})
    request = Request(scope)
    assert fields.strings("runs") == queries.many(request, "runs")
    assert (fields.text("run_id") or "") == queries.text(request, "run_id")


def test_path_parameters_win_over_the_query() -> None:
    scope = {"type": "http", "query_string": b"run_id=from-query", "headers": []}
    fields = ui_fields(scope, RULE, {"run_id": "from-path"})
    assert fields.text("run_id") == "from-path"
