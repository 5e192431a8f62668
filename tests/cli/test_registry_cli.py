"""``runwell models registry``: the train -> log -> register -> alias -> load workflow."""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression

import runwell
import runwell.pyfunc
import runwell.sklearn
from tests.cli.conftest import Invoke

X = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5], [2.0, 1.0]])
Y = np.array([0, 1, 0, 1])


def _logged_model(tracking_uri: str) -> str:
    runwell.set_tracking_uri(tracking_uri)
    with runwell.start_run():
        info = runwell.sklearn.log_model(LogisticRegression().fit(X, Y), name="clf")
    return info.model_uri


def test_register_alias_transition_list_and_describe(cli: Invoke, tracking_uri: str) -> None:
    model_uri = _logged_model(tracking_uri)
    created = cli("models", "registry", "create", "wine", "--description", "red or white")
    assert created.exit_code == 0 and "Created registered model 'wine'" in created.stdout
    first = cli("models", "registry", "register", model_uri, "wine", "--tag", "team=vision")
    assert first.exit_code == 0, first.stderr
    assert "Registered 'wine' version 1" in first.stdout
    second = cli("models", "registry", "register", model_uri, "wine", "--json")
    assert json.loads(second.stdout)["version"] == "2"
    alias = cli("models", "registry", "set-alias", "wine", "champion", "1")
    assert "models:/wine@champion" in alias.stdout
    moved = cli("models", "registry", "transition", "wine", "2", "production", "--json")
    assert json.loads(moved.stdout)["current_stage"] == "Production"

    listed = cli("models", "registry", "list")
    header, row = listed.stdout.splitlines()
    assert header.split() == ["NAME", "LATEST", "ALIASES", "UPDATED", "DESCRIPTION"]
    assert row.split()[:3] == ["wine", "2", "champion->1"]
    described = cli("models", "registry", "describe", "wine")
    assert "Aliases:     champion->1" in described.stdout
    assert "Production" in described.stdout and "red or white" in described.stdout
    versions = json.loads(cli("models", "registry", "versions", "wine", "--json").stdout)
    assert [v["version"] for v in versions] == ["2", "1"]
    assert versions[1]["aliases"] == ["champion"] and versions[1]["tags"] == [
        {"key": "team", "value": "vision"}
    ]
    loaded = runwell.pyfunc.load_model("models:/wine@champion")
    assert loaded.predict(X).tolist() == LogisticRegression().fit(X, Y).predict(X).tolist()

    assert cli("models", "registry", "delete-alias", "wine", "champion").exit_code == 0
    assert cli("models", "registry", "delete-version", "wine", "1").exit_code == 0
    assert cli("models", "registry", "delete", "wine", "--yes").exit_code == 0
    assert cli("models", "registry", "list").stdout.strip() == "No registered models."


def test_bad_input_gets_clear_errors_and_exit_codes(cli: Invoke, tracking_uri: str) -> None:
    missing = cli("models", "registry", "describe", "nope")
    assert missing.exit_code == 3 and "nope" in missing.stderr
    assert cli("models", "registry", "create", "wine").exit_code == 0
    duplicate = cli("models", "registry", "create", "wine")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.stderr
    bad_version = cli("models", "registry", "set-alias", "wine", "champion", "9")
    assert bad_version.exit_code == 3 and "version=9" in bad_version.stderr
    bad_stage = cli("models", "registry", "transition", "wine", "1", "Shipped")
    assert bad_stage.exit_code == 2 and "Shipped" in bad_stage.stderr
    bad_tag = cli("models", "registry", "create", "other", "--tag", "oops")
    assert bad_tag.exit_code == 2 and "KEY=VALUE" in bad_tag.stderr
    bad_source = cli("models", "registry", "register", "file:///etc/passwd", "wine")
    assert bad_source.exit_code == 1 and "passwd" in bad_source.stderr
