"""Schemathesis over a live server's ``/openapi.json``: every operation, N generated cases
each, checked for no 5xx and for answers that match the document (status, content type,
body schema). Used by tests/fuzz/test_openapi_fuzz.py (bounded) and ``make fuzz`` (long).

    report = fuzz("http://127.0.0.1:5000", examples=20, seed=1)
    report.cases, report.failures
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@dataclass
class FuzzReport:
    operations: int = 0
    cases: int = 0
    failures: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def _code(response: Any) -> str | None:
    try:
        body = response.json()
    except ValueError:
        return None
    return body.get("error_code") if isinstance(body, dict) else None


def fuzz(
    url: str,
    *,
    examples: int,
    random_seed: int = 0,
    headers: dict[str, str] | None = None,
) -> FuzzReport:
    """Fuzz every operation of the server at ``url``; failures are collected, not raised."""
    schema = schemathesis.openapi.from_url(url + "/openapi.json", headers=headers or {})
    report = FuzzReport()
    for result in schema.get_all_operations():
        operation = result.ok()  # type: ignore[union-attr]  # an invalid operation raises
        report.operations += 1
        _fuzz_operation(operation, url, examples, random_seed, headers, report)
    return report


def _fuzz_operation(
    operation: Any,
    url: str,
    examples: int,
    random_seed: int,
    headers: dict[str, str] | None,
    report: FuzzReport,
) -> None:
    @seed(random_seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=False,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        report.cases += 1
        response = case.call(base_url=url, headers=headers)
        status = response.status_code
        report.statuses[status] = report.statuses.get(status, 0) + 1
        # 501 NOT_IMPLEMENTED is MLflow's answer for transfers a server does not offer
        # (presigned URLs, multipart); the client falls back on it. Any other 5xx fails.
        deliberate = status == 501 and _code(response) == "NOT_IMPLEMENTED"
        case.validate_response(response, checks=CHECKS[1:] if deliberate else CHECKS)

    try:
        run()
    except BaseException as exc:  # schemathesis raises an exception group per operation
        if isinstance(exc, (KeyboardInterrupt, SystemExit)):
            raise
        report.failures.append(f"{operation.method.upper()} {operation.path}: {exc!r}"[:3000])
