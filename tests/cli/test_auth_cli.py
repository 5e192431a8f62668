"""``runwell auth``: users, tokens and grants written into the server's database, then
``runwell server --auth`` (a real child process) honouring them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from runwell.entities.auth import Permission, ResourceType
from runwell.store.sql.auth import SqlAuthStore
from tests.cli.conftest import Invoke
from tests.server.cli_process import run_server

PASSWORD = "cli-password-123456"


def _ok(cli: Invoke | None, *args: str, stdin: str | None = None) -> str:
    from click.testing import CliRunner

    from runwell.cli import main

    del cli
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def test_users_tokens_and_grants_from_the_command_line(cli: Invoke, tracking_uri: str) -> None:
    def run(*args: str, stdin: str | None = None) -> str:
        return _ok(cli, "--tracking-uri", tracking_uri, "auth", *args, stdin=stdin)

    run("create-admin", "--username", "root", "--password-stdin", stdin=PASSWORD + "\n")
    run("users", "create", "alice", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert run("users", "list").split("\n")[:2] == ["alice", "root  (admin)"]
    secret = run("tokens", "create", "alice", "--name", "ci").strip()
    assert secret.startswith("rwt_")
    assert "ci" in run("tokens", "list", "alice") and secret not in run("tokens", "list", "alice")
    run("permissions", "grant", "alice", "edit", "--experiment-id", "007")
    run("permissions", "grant", "alice", "READ", "--registered-model", "fr%61ud")
    store = SqlAuthStore(tracking_uri)
    alice = store.get_user("alice")
    assert store.permission(alice.id, ResourceType.EXPERIMENT, "7")[0] is Permission.EDIT
    assert store.permission(alice.id, ResourceType.REGISTERED_MODEL, "fraud")[0] is (
        Permission.READ
    )
    listed = run("permissions", "list", "--username", "alice")
    assert "experiment\t7\tEDIT" in listed
    run("permissions", "revoke", "alice", "--experiment-id", "7")
    run("users", "set-admin", "alice")
    run("users", "set-admin", "alice", "--no-admin")
    run("users", "delete", "alice")
    assert run("users", "list").strip() == "root  (admin)"


def test_refusals_are_clear(cli: Invoke, tracking_uri: str) -> None:
    from click.testing import CliRunner

    from runwell.cli import main

    def fail(*args: str, stdin: str | None = None) -> str:
        result = CliRunner().invoke(
            main, ["--tracking-uri", tracking_uri, "auth", *args], input=stdin
        )
        assert result.exit_code != 0
        return result.output

    assert "at least 12 characters" in fail("create-admin", "--password-stdin", stdin="short\n")
    _ok(
        cli,
        "--tracking-uri",
        tracking_uri,
        "auth",
        "create-admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert "last admin" in fail("users", "delete", "admin")
    assert "exactly one of" in fail("permissions", "grant", "admin", "READ")
    assert "is a server" in fail("users", "list", "--backend-store-uri", "http://127.0.0.1:5000")


@pytest.mark.slow
def test_server_with_auth_refuses_to_start_without_an_admin_then_checks_credentials(
    tmp_path: Path,
) -> None:
    db = f"sqlite:///{tmp_path}/auth.db"
    args = ["--auth", "--backend-store-uri", db, "--artifacts-destination", str(tmp_path / "a")]
    with pytest.raises(AssertionError, match="no admin user"):
        with run_server(tmp_path, *args):
            pass
    _ok(
        None,
        "--tracking-uri",
        db,
        "auth",
        "create-admin",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    with run_server(tmp_path, *args) as server:
        search = server.url + "/api/2.0/mlflow/experiments/search"
        assert httpx.post(search, json={"max_results": 1}).status_code == 401
        signed = httpx.post(search, json={"max_results": 1}, auth=("admin", PASSWORD))
        assert signed.status_code == 200, signed.text
