"""Who may call what: one rule per route, declared in a table; no rule, no access.

A route is keyed by ``(METHOD, path)`` exactly as the app declares it, after the static
prefix (``/api/2.0/mlflow/runs/get``, ``/api/2.0/mlflow-artifacts/artifacts/{artifact_path:path}``).
``api(...)`` declares a path under both ``/api/2.0`` and ``/ajax-api/2.0``. A request to a
route without a rule is refused (403), and ``tests/server/auth/test_route_rules.py`` walks the
app's route table and fails on any route missing here: **a new route needs a line below.**

A rule says who passes at all (``PUBLIC``, any signed-in ``USER``, ``ADMIN``) and which
resource checks follow; admins skip every check. A check names the resource kind, the
permission needed and the field holding its id (read exactly as the handler reads it)::

    api("POST", paths.RUNS_LOG_BATCH, run(EDIT))          # run_id -> experiment, EDIT
    api("GET", wire.REGISTERED_MODELS_GET, model(READ))   # name -> registered model, READ
    root("GET", "/health", PUBLIC_RULE)

``after`` names work done once the handler succeeded: grant MANAGE to a creator, filter a
search answer down to what the caller may read, move grants along with a renamed model.
``admin_tags`` names run tags only an admin may set (``mlflow.user``); ``author`` makes the
signed-in user the author of a new run (author.py). A write that stores a reference to
another run or logged model checks READ on it (``PARENT_RUN``, ``MODEL_LINKS``, ``RUN`` on
``source_run_id``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from runwell.entities.auth import Permission
from runwell.wire import paths
from runwell.wire import registry as wire
from runwell.wire import webhooks as webhook_paths

READ, EDIT, MANAGE = Permission.READ, Permission.EDIT, Permission.MANAGE


class Access(enum.Enum):
    PUBLIC = "public"
    USER = "user"
    ADMIN = "admin"


class Target(enum.Enum):
    """What a check's field names, and how it becomes a resource."""

    EXPERIMENT = "experiment"  # an experiment id
    EXPERIMENTS = "experiments"  # a list of experiment ids
    RUN = "run"  # a run id (run_id, else run_uuid) -> its experiment
    RUNS = "runs"  # a list of run ids -> their experiments
    LOGGED_MODEL = "logged_model"  # a logged model id -> its experiment
    REGISTERED_MODEL = "registered_model"  # a registered model's name
    ARTIFACT = "artifact"  # a proxied artifact path: <experiment id>/...
    SOURCE = "source"  # a model version source: runs:/<run id>/..., models:/m-<id>
    # References a write stores and pages render by name (so READ on what they name):
    PARENT_RUN = "parent_run"  # the mlflow.parentRunId tag (in `tags`, or set-tag key/value)
    MODEL_LINKS = "model_links"  # logged model ids in `models` objects (log-inputs, outputs)


class After(enum.Enum):
    GRANT_EXPERIMENT = "grant_experiment"  # answer's experiment_id: creator MANAGE
    GRANT_MODEL = "grant_model"  # answer's registered_model.name: creator MANAGE
    RENAME_MODEL = "rename_model"  # grants follow name -> new_name
    FORGET_MODEL = "forget_model"  # grants of a deleted model go
    FILTER_EXPERIMENTS = "filter_experiments"  # drop unreadable experiments from the page
    FILTER_MODELS = "filter_models"  # drop unreadable registered models
    FILTER_VERSIONS = "filter_versions"  # drop versions of unreadable models
    CHECK_EXPERIMENT = "check_experiment"  # READ on the answer's experiment (get-by-name)


@dataclass(frozen=True)
class Check:
    target: Target
    permission: Permission
    field: str
    optional: bool = False  # a missing field skips the check (the handler decides)


@dataclass(frozen=True)
class Rule:
    access: Access = Access.USER
    checks: tuple[Check, ...] = ()
    after: After | None = None
    # Fields only an admin may send (a client-chosen artifact_location could point the
    # server's credentials at any bucket or directory).
    admin_fields: tuple[str, ...] = ()
    path_params: frozenset[str] = field(default_factory=frozenset)
    # How the route reads its query: "fields" (wire.fields, as every RPC) or "ui" (the web
    # UI's queries.py: first value, stripped; lists repeated or comma-separated).
    reader: str = "fields"
    # Run tags only an admin may set (set-tag key/value, `tags` of log-batch).
    admin_tags: tuple[str, ...] = ()
    # runs/create: for non-admins the author (user_id, the mlflow.user tag) becomes the
    # signed-in user (author.py).
    author: bool = False

    @property
    def reads_fields(self) -> bool:
        """Whether a check needs the request's fields (not only its path parameters)."""
        return (
            bool(self.admin_fields)
            or bool(self.admin_tags)
            or self.author
            or any(c.field not in self.path_params for c in self.checks)
        )


PUBLIC_RULE = Rule(access=Access.PUBLIC)
USER_RULE = Rule()
ADMIN_RULE = Rule(access=Access.ADMIN)


def experiment(permission: Permission, name: str = "experiment_id", **kw: object) -> Rule:
    return Rule(checks=(Check(Target.EXPERIMENT, permission, name),), **kw)  # type: ignore[arg-type]


def run(permission: Permission) -> Rule:
    return Rule(checks=(Check(Target.RUN, permission, "run_id"),))


def logged_model(permission: Permission) -> Rule:
    return Rule(
        checks=(Check(Target.LOGGED_MODEL, permission, "model_id"),),
        path_params=frozenset({"model_id"}),
    )


def model(permission: Permission, name: str = "name", **kw: object) -> Rule:
    return Rule(checks=(Check(Target.REGISTERED_MODEL, permission, name),), **kw)  # type: ignore[arg-type]


def artifact(permission: Permission, name: str = "artifact_path") -> Rule:
    return Rule(checks=(Check(Target.ARTIFACT, permission, name),), path_params=frozenset({name}))


def ui(*checks: Check, path_params: tuple[str, ...] = ()) -> Rule:
    """A web UI route (pages, ``/ajax-api/2.0/runwell/ui/...``): its query read as the UI does."""
    return Rule(checks=checks, path_params=frozenset(path_params), reader="ui")


RULES: dict[tuple[str, str], Rule] = {}
API_PREFIXES = (paths.API_PREFIX, paths.AJAX_PREFIX)


def root(method: str, path: str, rule: Rule) -> None:
    """Declare the rule of ``METHOD path`` (a full path after the static prefix)."""
    key = (method, path)
    if key in RULES:
        raise ValueError(f"two rules for {method} {path}")
    RULES[key] = rule


def api(method: str, path: str, rule: Rule) -> None:
    """Declare a rule for ``path`` under ``/api/2.0`` and ``/ajax-api/2.0``."""
    for prefix in API_PREFIXES:
        root(method, prefix + path, rule)


# ---------------------------------------------------------------- server, docs, sign-in
root("GET", "/health", PUBLIC_RULE)
root("GET", "/version", USER_RULE)
root("GET", paths.SERVER_INFO, USER_RULE)
root("GET", "/ajax-api/3.0/mlflow/server-info", USER_RULE)
root("GET", "/openapi.json", USER_RULE)
root("GET", "/docs", USER_RULE)
root("GET", "/docs/oauth2-redirect", USER_RULE)
root("GET", "/login", PUBLIC_RULE)
root("POST", "/login", PUBLIC_RULE)
root("POST", "/logout", USER_RULE)

# ---------------------------------------------------------------- experiments
api(
    "POST",
    paths.EXPERIMENTS_CREATE,
    Rule(after=After.GRANT_EXPERIMENT, admin_fields=("artifact_location",)),
)
api("GET", paths.EXPERIMENTS_GET, experiment(READ))
api("GET", paths.EXPERIMENTS_GET_BY_NAME, Rule(after=After.CHECK_EXPERIMENT))
api("POST", paths.EXPERIMENTS_SEARCH, Rule(after=After.FILTER_EXPERIMENTS))
api("GET", paths.EXPERIMENTS_SEARCH, Rule(after=After.FILTER_EXPERIMENTS))
api("POST", paths.EXPERIMENTS_DELETE, experiment(MANAGE))
api("POST", paths.EXPERIMENTS_RESTORE, experiment(MANAGE))
api("POST", paths.EXPERIMENTS_UPDATE, experiment(EDIT))
api("POST", paths.EXPERIMENTS_SET_TAG, experiment(EDIT))
api("POST", paths.EXPERIMENTS_DELETE_TAG, experiment(EDIT))

# ---------------------------------------------------------------- runs and metrics
_RUN_EDIT = Check(Target.RUN, EDIT, "run_id")
_PARENT = Check(Target.PARENT_RUN, READ, "tags")
_AUTHOR_TAG = ("mlflow.user",)
api(
    "POST",
    paths.RUNS_CREATE,
    Rule(checks=(Check(Target.EXPERIMENT, EDIT, "experiment_id"), _PARENT), author=True),
)
for _path in (
    paths.RUNS_UPDATE,
    paths.RUNS_LOG_METRIC,
    paths.RUNS_LOG_PARAMETER,
    paths.RUNS_DELETE_TAG,
    paths.RUNS_LOG_MODEL,
    "/mlflow/artifacts/presigned-upload-url",
):
    api("POST", _path, run(EDIT))
for _path in (paths.RUNS_SET_TAG, paths.RUNS_LOG_BATCH):
    api("POST", _path, Rule(checks=(_RUN_EDIT, _PARENT), admin_tags=_AUTHOR_TAG))
for _path in (paths.RUNS_LOG_INPUTS, paths.RUNS_OUTPUTS):
    api("POST", _path, Rule(checks=(_RUN_EDIT, Check(Target.MODEL_LINKS, READ, "models"))))
api("POST", paths.RUNS_DELETE, run(MANAGE))
api("POST", paths.RUNS_RESTORE, run(MANAGE))
api("GET", paths.RUNS_GET, run(READ))
api("POST", "/mlflow/artifacts/presigned-download-url", run(READ))
api("POST", paths.RUNS_SEARCH, Rule(checks=(Check(Target.EXPERIMENTS, READ, "experiment_ids"),)))
api("GET", paths.METRICS_GET_HISTORY, run(READ))
api(
    "GET",
    paths.METRICS_GET_HISTORY_BULK_INTERVAL,
    Rule(checks=(Check(Target.RUNS, READ, "run_ids"),)),
)

# ---------------------------------------------------------------- artifacts
_FILE = paths.ARTIFACTS + "/{artifact_path:path}"
api("GET", paths.ARTIFACTS, Rule(checks=(Check(Target.ARTIFACT, READ, "path"),)))
api("PUT", _FILE, artifact(EDIT))
api("GET", _FILE, artifact(READ))
api("DELETE", _FILE, artifact(MANAGE))
api("POST", "/mlflow-artifacts/mpu/{action}/{artifact_path:path}", artifact(EDIT))
api("GET", "/mlflow-artifacts/presigned/{artifact_path:path}", artifact(READ))
api("GET", paths.ARTIFACTS_LIST, run(READ))
root("GET", "/get-artifact", run(READ))

# ---------------------------------------------------------------- MLflow UI (ajax only)
_AJAX = paths.AJAX_PREFIX
root(
    "GET",
    _AJAX + "/mlflow/metrics/get-history-bulk",
    Rule(checks=(Check(Target.RUNS, READ, "run_id"),)),
)
root(
    "POST",
    _AJAX + "/mlflow/experiments/search-datasets",
    Rule(checks=(Check(Target.EXPERIMENTS, READ, "experiment_ids"),)),
)
# The body is the file, so the run comes from the query, read as the handler reads it.
root("POST", _AJAX + "/mlflow/upload-artifact", ui(Check(Target.RUN, EDIT, "run_uuid")))

# ---------------------------------------------------------------- logged models
api(
    "POST",
    paths.LOGGED_MODELS,
    Rule(
        checks=(
            Check(Target.EXPERIMENT, EDIT, "experiment_id"),
            Check(Target.RUN, READ, "source_run_id", optional=True),
        )
    ),
)
api(
    "POST",
    paths.LOGGED_MODELS_SEARCH,
    Rule(checks=(Check(Target.EXPERIMENTS, READ, "experiment_ids"),)),
)
api("GET", paths.LOGGED_MODEL, logged_model(READ))
api("PATCH", paths.LOGGED_MODEL, logged_model(EDIT))
api("DELETE", paths.LOGGED_MODEL, logged_model(MANAGE))
api("PATCH", paths.LOGGED_MODEL_TAGS, logged_model(EDIT))
api("DELETE", paths.LOGGED_MODEL_TAGS + "/{tag_key:path}", logged_model(EDIT))
api("POST", paths.LOGGED_MODEL_PARAMS, logged_model(EDIT))
api("GET", paths.LOGGED_MODEL_DIRECTORIES, logged_model(READ))
api("GET", paths.LOGGED_MODEL_FILES, logged_model(READ))

# ---------------------------------------------------------------- model registry
api("POST", wire.REGISTERED_MODELS_CREATE, Rule(after=After.GRANT_MODEL))
api("GET", wire.REGISTERED_MODELS_GET, model(READ))
api("POST", wire.REGISTERED_MODELS_RENAME, model(MANAGE, after=After.RENAME_MODEL))
api("PATCH", wire.REGISTERED_MODELS_UPDATE, model(EDIT))
api("DELETE", wire.REGISTERED_MODELS_DELETE, model(MANAGE, after=After.FORGET_MODEL))
api("GET", wire.REGISTERED_MODELS_SEARCH, Rule(after=After.FILTER_MODELS))
api("POST", wire.REGISTERED_MODELS_LATEST, model(READ))
api("GET", wire.REGISTERED_MODELS_LATEST, model(READ))
api("POST", wire.REGISTERED_MODELS_SET_TAG, model(EDIT))
api("DELETE", wire.REGISTERED_MODELS_DELETE_TAG, model(EDIT))
api("POST", wire.REGISTERED_MODELS_ALIAS, model(EDIT))
api("DELETE", wire.REGISTERED_MODELS_ALIAS, model(EDIT))
api("GET", wire.REGISTERED_MODELS_ALIAS, model(READ))
api(
    "POST",
    wire.MODEL_VERSIONS_CREATE,
    Rule(
        checks=(
            Check(Target.REGISTERED_MODEL, EDIT, "name"),
            Check(Target.RUN, READ, "run_id", optional=True),
            Check(Target.LOGGED_MODEL, READ, "model_id", optional=True),
            Check(Target.SOURCE, READ, "source", optional=True),
        )
    ),
)
api("GET", wire.MODEL_VERSIONS_GET, model(READ))
api("PATCH", wire.MODEL_VERSIONS_UPDATE, model(EDIT))
api("DELETE", wire.MODEL_VERSIONS_DELETE, model(MANAGE))
api("POST", wire.MODEL_VERSIONS_TRANSITION, model(EDIT))
api("GET", wire.MODEL_VERSIONS_DOWNLOAD_URI, model(READ))
api("GET", wire.MODEL_VERSIONS_SEARCH, Rule(after=After.FILTER_VERSIONS))
api("POST", wire.MODEL_VERSIONS_SET_TAG, model(EDIT))
api("DELETE", wire.MODEL_VERSIONS_DELETE_TAG, model(EDIT))

# Webhooks call out of the server with its network position: admins only, as in MLflow.
for _method, _path in (
    ("POST", webhook_paths.WEBHOOKS),
    ("GET", webhook_paths.WEBHOOKS),
    ("GET", webhook_paths.WEBHOOK),
    ("PATCH", webhook_paths.WEBHOOK),
    ("DELETE", webhook_paths.WEBHOOK),
    ("POST", webhook_paths.WEBHOOK_TEST),
):
    api(_method, _path, ADMIN_RULE)

# ---------------------------------------------------------------- users, grants, tokens (api.py)
api("POST", "/mlflow/users/create", ADMIN_RULE)
api("GET", "/mlflow/users/get", USER_RULE)  # the handler: yourself, or admin
api("PATCH", "/mlflow/users/update-password", USER_RULE)  # the handler: yourself, or admin
api("PATCH", "/mlflow/users/update-admin", ADMIN_RULE)
api("DELETE", "/mlflow/users/delete", ADMIN_RULE)
api("GET", "/runwell/users/list", ADMIN_RULE)
api("GET", "/runwell/users/current", USER_RULE)
for _method, _verb in (
    ("POST", "create"),
    ("GET", "get"),
    ("PATCH", "update"),
    ("DELETE", "delete"),
):
    api(_method, f"/mlflow/experiments/permissions/{_verb}", experiment(MANAGE))
    api(_method, f"/mlflow/registered-models/permissions/{_verb}", model(MANAGE))
api("GET", "/runwell/experiments/permissions/list", experiment(MANAGE))
api("POST", "/runwell/experiments/permissions/set-default", experiment(MANAGE))
api("GET", "/runwell/registered-models/permissions/list", model(MANAGE))
api("POST", "/runwell/registered-models/permissions/set-default", model(MANAGE))
api("POST", "/runwell/tokens/create", USER_RULE)
api("GET", "/runwell/tokens/list", USER_RULE)
api("DELETE", "/runwell/tokens/revoke", USER_RULE)  # the handler: your own, or admin

# ---------------------------------------------------------------- web UI (server/ui/)
# List pages show only what the caller may read: they filter with auth.visibility.
UI_API = paths.AJAX_PREFIX + "/runwell/ui"
root("GET", "/static-files/{build}/vendor/plotly.min.js", PUBLIC_RULE)
root("GET", "/static-files/{build}/{asset:path}", PUBLIC_RULE)
root("GET", "/", USER_RULE)
root("GET", "/experiments", USER_RULE)
root("GET", "/models", USER_RULE)
root("GET", "/experiments/{experiment_id}", ui(Check(Target.EXPERIMENT, READ, "experiment_id"),
     path_params=("experiment_id",)))  # fmt: skip
root("GET", "/runs", ui(Check(Target.EXPERIMENTS, READ, "experiments")))
root("GET", "/runs/{run_id}", ui(Check(Target.RUN, READ, "run_id"), path_params=("run_id",)))
root(
    "GET",
    "/experiments/{experiment_id}/runs/{run_id}",
    ui(Check(Target.RUN, READ, "run_id"), path_params=("experiment_id", "run_id")),
)
root("GET", "/metric", ui(Check(Target.RUNS, READ, "runs")))
root("GET", "/compare", ui(Check(Target.RUNS, READ, "runs")))
root(
    "GET",
    "/logged-models/{model_id}",
    ui(Check(Target.LOGGED_MODEL, READ, "model_id"), path_params=("model_id",)),
)
root("GET", "/model", ui(Check(Target.REGISTERED_MODEL, READ, "name")))
root("GET", "/model-version", ui(Check(Target.REGISTERED_MODEL, READ, "name")))
root("GET", UI_API + "/runs/table", ui(Check(Target.EXPERIMENTS, READ, "experiment_ids")))
root("GET", UI_API + "/runs/metric-summaries", ui(Check(Target.RUN, READ, "run_id")))
root("POST", UI_API + "/markdown", USER_RULE)
root("GET", UI_API + "/metrics/sampled", ui(Check(Target.RUNS, READ, "run_ids")))
root("GET", UI_API + "/metrics/sampled-batch", ui(Check(Target.RUNS, READ, "run_ids")))
root("GET", UI_API + "/metrics/csv", ui(Check(Target.RUN, READ, "run_id")))
for _name in ("list", "preview", "raw"):
    root(
        "GET",
        f"{UI_API}/artifacts/{_name}",
        ui(
            Check(Target.RUN, READ, "run_id", optional=True),
            Check(Target.LOGGED_MODEL, READ, "model_id", optional=True),
        ),
    )
