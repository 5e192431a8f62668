"""The user, permission and access-token REST API of ``runwell server --auth``.

Users and per-resource grants use the paths and field names of MLflow's basic-auth app, so
its ``AuthServiceClient`` works against runwell::

    POST   /api/2.0/mlflow/users/create           {username, password}     admin
    GET    /api/2.0/mlflow/users/get?username=    yourself, or admin
    PATCH  /api/2.0/mlflow/users/update-password  {username, password}     yourself, or admin
    PATCH  /api/2.0/mlflow/users/update-admin     {username, is_admin}     admin
    DELETE /api/2.0/mlflow/users/delete           {username}               admin
    POST|GET|PATCH|DELETE /api/2.0/mlflow/experiments/permissions/{create,get,update,delete}
           {experiment_id, username, permission}            MANAGE on the experiment
    POST|GET|PATCH|DELETE /api/2.0/mlflow/registered-models/permissions/{...}
           {name, username, permission}                     MANAGE on the model

runwell's own additions live under ``/api/2.0/runwell``: ``users/list`` and
``users/current``; ``{experiments,registered-models}/permissions/list`` and ``.../set-default``
(the permission everyone without a grant has); ``tokens/create`` (the secret comes back this
once), ``tokens/list`` and ``tokens/revoke``. The rules for all of them are in rules.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from runwell.entities.auth import AccessToken, Grant, Permission, ResourceType, User
from runwell.errors import InvalidArgument, NotFound
from runwell.server.auth import passwords
from runwell.server.auth.access import EXPERIMENT, MODEL, denied, experiment_key, model_key
from runwell.server.auth.identity import Identity
from runwell.server.auth.service import AuthService, create_user
from runwell.server.request import request_fields
from runwell.server.responses import encode, json_response
from runwell.store.sql.auth import now_ms
from runwell.wire.fields import Fields

Json = dict[str, Any]
router = APIRouter(tags=["users and permissions"])
MAX_TOKEN_DAYS = 3650


@dataclass(frozen=True)
class Call:
    service: AuthService
    identity: Identity

    @property
    def user(self) -> User:
        return self.identity.user


Handler = Callable[[Call, Fields], Json]


def service_of(request: Request) -> AuthService:
    service: AuthService = request.app.state.runwell_auth
    return service


def auth_rpc(path: str, methods: Sequence[str] = ("POST",)) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        async def endpoint(request: Request) -> Response:
            identity: Identity = request.scope["runwell.identity"]
            fields = await request_fields(request)
            call = Call(service_of(request), identity)
            answer = await run_in_threadpool(handler, call, fields)
            return json_response(encode(answer))

        for method in methods:
            router.add_api_route(
                path,
                endpoint,
                methods=[method],
                name=f"{handler.__name__}_{method.lower()}",
                summary=(handler.__doc__ or "").strip().splitlines()[0],
                response_class=Response,
            )
        return handler

    return register


def user_to_json(user: User, grants: Sequence[Grant] = ()) -> Json:
    return {
        "id": user.id,
        "username": user.username,
        "is_admin": user.is_admin,
        "experiment_permissions": [
            grant_to_json(g) for g in grants if g.resource_type is EXPERIMENT
        ],
        "registered_model_permissions": [
            grant_to_json(g) for g in grants if g.resource_type is MODEL
        ],
    }


def grant_to_json(grant: Grant) -> Json:
    key = "experiment_id" if grant.resource_type is EXPERIMENT else "name"
    return {
        key: grant.resource_id,
        "user_id": grant.user_id,
        "username": grant.username,
        "permission": grant.permission.name,
    }


def token_to_json(token: AccessToken) -> Json:
    out: Json = {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "creation_time": token.created_at,
    }
    if token.expires_at is not None:
        out["expiration_time"] = token.expires_at
    return out


def _permission(fields: Fields) -> Permission:
    text = fields.required_text("permission")
    try:
        return Permission.parse(text)
    except ValueError as exc:
        raise InvalidArgument(f"Invalid value for 'permission': {exc}.") from None


def _self_or_admin(call: Call, username: str) -> None:
    if username != call.user.username and not call.user.is_admin:
        raise denied("Only an admin may do this for another user.")


def _username(fields: Fields) -> str:
    """The ``username`` field in the form names are stored in (passwords.py)."""
    return passwords.canonical_username(fields.required_text("username"))


def _target(call: Call, fields: Fields) -> User:
    return call.service.store.get_user(_username(fields))


# ---------------------------------------------------------------- users


@auth_rpc("/mlflow/users/create")
def create_user_route(call: Call, fields: Fields) -> Json:
    """Create a user (admins only); the password needs 12 characters or more."""
    user = create_user(
        call.service.store,
        fields.required_text("username"),
        fields.required_text("password"),
        is_admin=fields.boolean("is_admin"),
    )
    return {"user": user_to_json(user)}


@auth_rpc("/mlflow/users/get", ("GET",))
def get_user(call: Call, fields: Fields) -> Json:
    """A user with their grants (yourself, or anyone for an admin)."""
    username = _username(fields)
    _self_or_admin(call, username)
    user = call.service.store.get_user(username)
    return {"user": user_to_json(user, call.service.store.grants(user_id=user.id))}


@auth_rpc("/runwell/users/current", ("GET",))
def current_user(call: Call, fields: Fields) -> Json:
    """The signed-in user with their grants."""
    store = call.service.store
    return {"user": user_to_json(call.user, store.grants(user_id=call.user.id))}


@auth_rpc("/runwell/users/list", ("GET",))
def list_users(call: Call, fields: Fields) -> Json:
    """Every user (admins only)."""
    users = call.service.store.list_users()
    return {"users": [user_to_json(u) for u in users]} if users else {}


@auth_rpc("/mlflow/users/update-password", ("PATCH",))
def update_password(call: Call, fields: Fields) -> Json:
    """Change a password (yourself, or anyone for an admin); sessions of that user end."""
    username = _username(fields)
    _self_or_admin(call, username)
    hashed = passwords.hash_password(fields.required_text("password"))
    user = call.service.store.set_password_hash(username, hashed)
    call.service.authenticator.forget(user.id)
    return {}


@auth_rpc("/mlflow/users/update-admin", ("PATCH",))
def update_admin(call: Call, fields: Fields) -> Json:
    """Make a user an admin or take it away (admins only; the last admin stays)."""
    username = _username(fields)
    is_admin = fields.boolean("is_admin")
    store = call.service.store
    target = store.get_user(username)
    if target.is_admin and not is_admin and store.count_admins() <= 1:
        raise InvalidArgument("The last admin cannot lose admin rights.")
    store.set_admin(username, is_admin)
    call.service.authenticator.forget(target.id)
    return {}


@auth_rpc("/mlflow/users/delete", ("DELETE",))
def delete_user(call: Call, fields: Fields) -> Json:
    """Delete a user with their tokens and grants (admins only; not the last admin)."""
    store = call.service.store
    target = store.get_user(_username(fields))
    if target.is_admin and store.count_admins() <= 1:
        raise InvalidArgument("The last admin cannot be deleted.")
    store.delete_user(target.username)
    call.service.authenticator.forget(target.id)
    return {}


# ---------------------------------------------------------------- grants


def _grant_routes(kind: ResourceType, base: str, field: str, key: Callable[[str], str]) -> None:
    """create/get/update/delete of one user's grant, list and set-default, for one kind."""
    wire_key = "experiment_permission" if kind is EXPERIMENT else "registered_model_permission"

    def resource(fields: Fields) -> str:
        return key(fields.required_text(field))

    def create(call: Call, fields: Fields) -> Json:
        user = _target(call, fields)
        call.service.store.set_permission(user.id, kind, resource(fields), _permission(fields))
        return {}

    def get(call: Call, fields: Fields) -> Json:
        user = _target(call, fields)
        rid = resource(fields)
        grants = call.service.store.grants(user_id=user.id, resource=(kind, rid))
        if not grants:
            raise NotFound(f"No permission of user '{user.username}' on '{rid}'.")
        return {wire_key: grant_to_json(grants[0])}

    def delete(call: Call, fields: Fields) -> Json:
        user = _target(call, fields)
        call.service.store.delete_permission(user.id, kind, resource(fields))
        return {}

    def listed(call: Call, fields: Fields) -> Json:
        rid = resource(fields)
        store = call.service.store
        _explicit, default = store.permission(0, kind, rid)
        out: Json = {"default_permission": (default or call.service.authorizer.default).name}
        grants = store.grants(resource=(kind, rid))
        if grants:
            out["permissions"] = [grant_to_json(g) for g in grants]
        return out

    def set_default(call: Call, fields: Fields) -> Json:
        call.service.store.set_resource_default(kind, resource(fields), _permission(fields))
        return {}

    for path, methods, handler in (
        (f"/mlflow/{base}/permissions/create", ("POST",), create),
        (f"/mlflow/{base}/permissions/get", ("GET",), get),
        (f"/mlflow/{base}/permissions/update", ("PATCH",), create),
        (f"/mlflow/{base}/permissions/delete", ("DELETE",), delete),
        (f"/runwell/{base}/permissions/list", ("GET",), listed),
        (f"/runwell/{base}/permissions/set-default", ("POST",), set_default),
    ):
        handler.__name__ = f"{base.replace('-', '_')}_{path.rsplit('/', 1)[1].replace('-', '_')}"
        handler.__doc__ = f"{path.rsplit('/', 1)[1]} a permission on one {kind.value}."
        auth_rpc(path, methods)(handler)


_grant_routes(EXPERIMENT, "experiments", "experiment_id", experiment_key)
_grant_routes(MODEL, "registered-models", "name", model_key)


# ---------------------------------------------------------------- access tokens


@auth_rpc("/runwell/tokens/create")
def create_token(call: Call, fields: Fields) -> Json:
    """A new access token for yourself; ``secret`` is shown this once and never again."""
    name = fields.text("name") or "token"
    if len(name) > 256:
        raise InvalidArgument("Token name is longer than 256 characters.")
    days = fields.int64("expires_in_days")
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise InvalidArgument(f"'expires_in_days' must be between 1 and {MAX_TOKEN_DAYS}.")
    secret = passwords.new_token()
    expires = None if days is None else now_ms() + days * 86_400_000
    token = call.service.store.create_token(
        call.user.id, name, passwords.digest(secret), secret[:10], expires
    )
    return {"token": token_to_json(token), "secret": secret}


@auth_rpc("/runwell/tokens/list", ("GET",))
def list_tokens(call: Call, fields: Fields) -> Json:
    """Your access tokens (never their secrets)."""
    tokens = call.service.store.list_tokens(call.user.id)
    return {"tokens": [token_to_json(t) for t in tokens]} if tokens else {}


@auth_rpc("/runwell/tokens/revoke", ("DELETE",))
def revoke_token(call: Call, fields: Fields) -> Json:
    """Revoke one of your tokens by id (an admin may name another ``username``)."""
    token_id = fields.int64("token_id", required=True)
    assert token_id is not None
    owner = call.user
    username = passwords.canonical_username(fields.text("username") or "")
    if username and username != owner.username:
        _self_or_admin(call, username)
        owner = call.service.store.get_user(username)
    call.service.store.delete_token(owner.id, token_id)
    call.service.authenticator.forget(owner.id)
    return {}
