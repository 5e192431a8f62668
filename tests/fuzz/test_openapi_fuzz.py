"""Schemathesis against the server's OpenAPI document finds no 5xx and no answer that breaks
the document, with and without ``--auth``. ``make fuzz`` runs the long version
(RUNWELL_FUZZ_EXAMPLES cases per operation, default here 10)."""

from __future__ import annotations

import base64
import os

import pytest

from tests.fuzz.driver import fuzz
from tests.server.auth.conftest import ADMIN, Secured
from tests.server.conftest import Live

EXAMPLES = int(os.environ.get("RUNWELL_FUZZ_EXAMPLES", "10"))
SEED = int(os.environ.get("RUNWELL_FUZZ_SEED", "20261124"))


@pytest.mark.slow
def test_fuzzing_the_open_api_document_finds_no_server_error(live: Live) -> None:
    report = fuzz(live.url, examples=EXAMPLES, random_seed=SEED)
    print(f"fuzz: {report.operations} operations, {report.cases} cases, {report.statuses}")
    assert report.operations > 60
    assert report.cases >= report.operations
    assert report.failures == [], "\n\n".join(report.failures)


@pytest.mark.slow
def test_fuzzing_a_server_with_auth_as_admin_finds_no_server_error(secured: Secured) -> None:
    basic = base64.b64encode(f"{ADMIN[0]}:{ADMIN[1]}".encode()).decode()
    report = fuzz(
        secured.url,
        examples=max(2, EXAMPLES // 2),
        random_seed=SEED,
        headers={"Authorization": f"Basic {basic}"},
    )
    print(f"fuzz --auth: {report.operations} operations, {report.cases} cases, {report.statuses}")
    assert report.operations > 80
    assert report.failures == [], "\n\n".join(report.failures)
