"""``runwell auth``: users, access tokens and permissions of a ``runwell server --auth``,
written straight into its database (no server needs to run).

    runwell auth create-admin --backend-store-uri postgresql://... --username root
    runwell auth users create alice            # prompts for the password twice
    runwell auth users list
    runwell auth tokens create alice --name ci --expires-in-days 90   # prints the secret once
    runwell auth permissions grant alice EDIT --experiment-id 3
    runwell auth permissions grant bob READ --registered-model fraud
    runwell auth permissions list --username alice

``--backend-store-uri`` names the server's database (default: the global ``--tracking-uri``,
else ``sqlite:///<cwd>/runwell.db``). ``--password-stdin`` reads the password from the first
line of standard input instead of prompting, for scripts. Passwords need 12 characters.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

import click

from runwell.cli._context import CliState, pass_state
from runwell.errors import InvalidArgument

if TYPE_CHECKING:
    from runwell.store.sql.auth import SqlAuthStore

# The store and argon2 load inside the commands, so `runwell --help` stays quick.

_PERMISSIONS = ("READ", "EDIT", "MANAGE", "NO_PERMISSIONS")


def _store(state: CliState, uri: str | None) -> SqlAuthStore:
    from runwell.store.sql.auth import SqlAuthStore

    resolved = uri or state.tracking_uri
    if resolved.startswith(("http://", "https://")):
        raise InvalidArgument(
            f"'{resolved}' is a server, not a database: pass the server's "
            "--backend-store-uri (sqlite:///..., postgresql://..., mysql+pymysql://...)."
        )
    return SqlAuthStore(resolved)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


_uri_option = click.option(
    "--backend-store-uri", "uri", metavar="URI", default=None, help="The server's database."
)
_stdin_option = click.option(
    "--password-stdin", is_flag=True, help="Read the password from standard input."
)


@click.group("auth")
def group() -> None:
    """Users, access tokens and permissions for `runwell server --auth`."""


@group.command("create-admin")
@_uri_option
@click.option("--username", default="admin", show_default=True)
@_stdin_option
@pass_state
def create_admin(state: CliState, uri: str | None, username: str, password_stdin: bool) -> None:
    """Create an admin user (the first one, or another)."""
    from runwell.server.auth.service import create_user

    store = _store(state, uri)
    user = create_user(store, username, _password(password_stdin), is_admin=True)
    click.echo(f"Created admin '{user.username}'.")


# ---------------------------------------------------------------- users


@group.group("users")
def users() -> None:
    """Accounts."""


@users.command("create")
@click.argument("username")
@click.option("--admin", "is_admin", is_flag=True, help="Make the user an admin.")
@_uri_option
@_stdin_option
@pass_state
def create(
    state: CliState, username: str, is_admin: bool, uri: str | None, password_stdin: bool
) -> None:
    """Create a user."""
    from runwell.server.auth.service import create_user

    user = create_user(_store(state, uri), username, _password(password_stdin), is_admin=is_admin)
    click.echo(f"Created user '{user.username}'{' (admin)' if user.is_admin else ''}.")


@users.command("list")
@_uri_option
@pass_state
def list_users(state: CliState, uri: str | None) -> None:
    """Every user, admins marked."""
    for user in _store(state, uri).list_users():
        click.echo(f"{user.username}{'  (admin)' if user.is_admin else ''}")


@users.command("set-password")
@click.argument("username")
@_uri_option
@_stdin_option
@pass_state
def set_password(state: CliState, username: str, uri: str | None, password_stdin: bool) -> None:
    """Change a user's password (their browser sessions end)."""
    from runwell.server.auth import passwords

    hashed = passwords.hash_password(_password(password_stdin))
    _store(state, uri).set_password_hash(username, hashed)
    click.echo(f"Changed the password of '{username}'.")


@users.command("set-admin")
@click.argument("username")
@click.option("--admin/--no-admin", "is_admin", default=True, show_default=True)
@_uri_option
@pass_state
def set_admin(state: CliState, username: str, is_admin: bool, uri: str | None) -> None:
    """Make a user an admin, or take it away (the last admin keeps it)."""
    store = _store(state, uri)
    target = store.get_user(username)
    if target.is_admin and not is_admin and store.count_admins() <= 1:
        raise InvalidArgument("The last admin cannot lose admin rights.")
    store.set_admin(username, is_admin)
    click.echo(f"'{username}' is {'an admin' if is_admin else 'not an admin'}.")


@users.command("delete")
@click.argument("username")
@_uri_option
@pass_state
def delete(state: CliState, username: str, uri: str | None) -> None:
    """Delete a user with their tokens and permissions."""
    store = _store(state, uri)
    target = store.get_user(username)
    if target.is_admin and store.count_admins() <= 1:
        raise InvalidArgument("The last admin cannot be deleted.")
    store.delete_user(username)
    click.echo(f"Deleted user '{username}'.")


# ---------------------------------------------------------------- tokens


@group.group("tokens")
def tokens() -> None:
    """Bearer access tokens (MLFLOW_TRACKING_TOKEN / RUNWELL_TRACKING_TOKEN)."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", default="token", show_default=True)
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None)
@_uri_option
@pass_state
def create_token(
    state: CliState, username: str, name: str, expires_in_days: int | None, uri: str | None
) -> None:
    """Create a token; its secret is printed this once and never stored."""
    from runwell.server.auth import passwords
    from runwell.store.sql.auth import now_ms

    store = _store(state, uri)
    user = store.get_user(username)
    secret = passwords.new_token()
    expires = None if expires_in_days is None else now_ms() + expires_in_days * 86_400_000
    token = store.create_token(user.id, name, passwords.digest(secret), secret[:10], expires)
    click.echo(
        f"Token {token.id} ('{token.name}') for '{username}'; it is shown only once:", err=True
    )
    click.echo(secret)


@tokens.command("list")
@click.argument("username")
@_uri_option
@pass_state
def list_tokens(state: CliState, username: str, uri: str | None) -> None:
    """A user's tokens: id, name, the first characters of the secret."""
    store = _store(state, uri)
    for token in store.list_tokens(store.get_user(username).id):
        click.echo(f"{token.id}\t{token.name}\t{token.prefix}...")


@tokens.command("revoke")
@click.argument("username")
@click.argument("token_id", type=int)
@_uri_option
@pass_state
def revoke_token(state: CliState, username: str, token_id: int, uri: str | None) -> None:
    """Revoke a token at once (servers' caches forget it within 10 s)."""
    store = _store(state, uri)
    store.delete_token(store.get_user(username).id, token_id)
    click.echo(f"Revoked token {token_id}.")


# ---------------------------------------------------------------- permissions


def _resource(experiment_id: str | None, registered_model: str | None) -> tuple[Any, str]:
    from runwell.entities.auth import ResourceType
    from runwell.server.auth.access import experiment_key, model_key

    if (experiment_id is None) == (registered_model is None):
        raise click.UsageError("Name exactly one of --experiment-id and --registered-model.")
    if experiment_id is not None:
        return ResourceType.EXPERIMENT, experiment_key(experiment_id)
    assert registered_model is not None
    return ResourceType.REGISTERED_MODEL, model_key(registered_model)


_experiment_option = click.option("--experiment-id", default=None)
_model_option = click.option("--registered-model", default=None, metavar="NAME")


@group.group("permissions")
def permissions() -> None:
    """Who may read, edit or manage an experiment or a registered model."""


@permissions.command("grant")
@click.argument("username")
@click.argument("permission", type=click.Choice(_PERMISSIONS, case_sensitive=False))
@_experiment_option
@_model_option
@_uri_option
@pass_state
def grant(
    state: CliState,
    username: str,
    permission: str,
    experiment_id: str | None,
    registered_model: str | None,
    uri: str | None,
) -> None:
    """Give a user a permission on one resource (replacing what they had)."""
    from runwell.entities.auth import Permission

    kind, resource_id = _resource(experiment_id, registered_model)
    store = _store(state, uri)
    store.set_permission(
        store.get_user(username).id, kind, resource_id, Permission.parse(permission)
    )
    click.echo(f"{username}: {permission.upper()} on {kind.value} '{resource_id}'.")


@permissions.command("revoke")
@click.argument("username")
@_experiment_option
@_model_option
@_uri_option
@pass_state
def revoke(
    state: CliState,
    username: str,
    experiment_id: str | None,
    registered_model: str | None,
    uri: str | None,
) -> None:
    """Remove a user's grant (the resource's default applies again)."""
    kind, resource_id = _resource(experiment_id, registered_model)
    store = _store(state, uri)
    store.delete_permission(store.get_user(username).id, kind, resource_id)
    click.echo(f"{username}: no grant on {kind.value} '{resource_id}'.")


@permissions.command("list")
@click.option("--username", default=None)
@_uri_option
@pass_state
def list_grants(state: CliState, username: str | None, uri: str | None) -> None:
    """Explicit grants (all, or one user's)."""
    store = _store(state, uri)
    user_id = store.get_user(username).id if username else None
    for item in store.grants(user_id=user_id):
        click.echo(
            f"{item.username}\t{item.resource_type.value}\t{item.resource_id}\t"
            f"{item.permission.name}"
        )
