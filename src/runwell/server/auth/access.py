"""Permission checks: a rule's checks against the caller's grants, and the after-hooks.

A user's permission on a resource is, first found: their explicit grant, the resource's
default (fixed when it was created), the server's ``--auth-default-permission``. Admins are
never checked. Each check reads its field with ``wire.fields.Fields``, exactly as the route's
handler will, so a request cannot show the check one id and the handler another; ids are
brought to the form the store uses (``"007"`` is experiment ``"7"``, a model name fully
URL-decoded). A check whose resource does not exist passes: the handler then answers 404
without doing anything.

A write that stores a reference the UI renders by name needs READ on what it names: a run's
``mlflow.parentRunId`` tag (``runs/create``, ``set-tag``, ``log-batch``), a logged model's
``source_run_id``, the logged models of ``runs/log-inputs`` and ``runs/outputs``. Without it,
linking to someone's private run would show its name to the one who linked it.

Runs and logged models never move between experiments, so their experiment is remembered
(a bounded map) after the first lookup.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from runwell.entities.auth import Permission, ResourceType, User
from runwell.errors import ErrorCode, InvalidArgument, RunwellError
from runwell.server.artifact_paths import safe_artifact_path
from runwell.server.auth.rules import After, Check, Rule, Target
from runwell.store import registry_rules, validation
from runwell.store.sql.auth import SqlAuthStore
from runwell.wire.codec import key_values_from_json
from runwell.wire.fields import Fields
from runwell.wire.logged_model import model_inputs_from_json

EXPERIMENT, MODEL = ResourceType.EXPERIMENT, ResourceType.REGISTERED_MODEL
PARENT_TAG = "mlflow.parentRunId"
_OWNER_CACHE_LIMIT = 100_000


def denied(message: str) -> RunwellError:
    return RunwellError(message, ErrorCode.PERMISSION_DENIED)


def model_key(name: str) -> str:
    """The id grants of a registered model are kept under (the registry's uniqueness key)."""
    return registry_rules.name_key(name)


def experiment_key(experiment_id: str) -> str:
    return validation.experiment_id(experiment_id)


def run_tags(fields: Fields) -> list[tuple[str, str]]:
    """The run tags a request sets, read as the handlers read them: ``tags`` (runs/create,
    log-batch) and ``key``/``value`` (set-tag)."""
    pairs = key_values_from_json(fields.raw("tags"), "tags")
    key = fields.text("key")
    if key:
        pairs.append((key, fields.text("value") or ""))
    return pairs


def _is_run_id(value: str) -> bool:
    try:
        validation.run_id(value)
    except InvalidArgument:
        return False
    return True


class Authorizer:
    """Checks rules for users and keeps grants in step with what they create."""

    def __init__(self, store: SqlAuthStore, default: Permission) -> None:
        self.store = store
        self.default = default
        self._owners: dict[tuple[str, str], str] = {}
        self._lock = threading.Lock()

    # ---------------------------------------------------------------- permissions

    def effective(self, user: User, kind: ResourceType, resource_id: str) -> Permission:
        if user.is_admin:
            return Permission.MANAGE
        explicit, fallback = self.store.permission(user.id, kind, resource_id)
        return explicit or fallback or self.default

    def require(self, user: User, kind: ResourceType, resource_id: str, needed: Permission) -> None:
        if not self.effective(user, kind, resource_id).allows(needed):
            what = "experiment" if kind is EXPERIMENT else "registered model"
            raise denied(f"Permission denied: {needed.name} on {what} '{resource_id}' is needed.")

    def readable(self, user: User, kind: ResourceType, ids: Iterable[str]) -> set[str]:
        """The subset of ``ids`` the user may read."""
        wanted = list(ids)
        if user.is_admin:
            return set(wanted)
        found = self.store.permissions(user.id, kind, wanted)
        return {
            rid
            for rid, (explicit, fallback) in found.items()
            if (explicit or fallback or self.default).allows(Permission.READ)
        }

    # ---------------------------------------------------------------- rule checks

    def check(self, user: User, rule: Rule, fields: Fields) -> None:
        """Raise PERMISSION_DENIED unless ``user`` passes every check of ``rule``."""
        if user.is_admin:
            return
        for name in rule.admin_fields:
            if fields.raw(name) not in (None, ""):
                raise denied(f"Only an admin may set '{name}' on this server.")
        if rule.admin_tags:
            for key, _value in run_tags(fields):
                if key in rule.admin_tags:
                    raise denied(
                        f"Only an admin may set the tag '{key}': it is set to the signed-in "
                        "user when the run is created."
                    )
        for check in rule.checks:
            self._check(user, check, fields)

    def _check(self, user: User, check: Check, fields: Fields) -> None:
        target, needed = check.target, check.permission
        if target is Target.EXPERIMENTS:
            for experiment_id in fields.strings(check.field):
                self.require(user, EXPERIMENT, experiment_key(experiment_id), needed)
            return
        if target is Target.RUNS:
            owners = self.run_experiments(fields.strings(check.field))
            for experiment_id in sorted(set(owners.values())):
                self.require(user, EXPERIMENT, experiment_id, needed)
            return
        if target is Target.PARENT_RUN:
            for key, tag_value in run_tags(fields):
                if key == PARENT_TAG and tag_value and _is_run_id(tag_value):
                    self._require_owner(user, "run", tag_value, needed)
            return
        if target is Target.MODEL_LINKS:
            for link in model_inputs_from_json(fields.raw(check.field), check.field):
                self._require_owner(user, "model", link.model_id, needed)
            return
        if target is Target.RUN and check.field == "run_id":
            value = fields.text("run_id") or fields.text("run_uuid")
        else:
            value = fields.text(check.field)
        if not value:
            if target is Target.ARTIFACT:
                raise denied("Only an admin may list the root of the artifact store.")
            if check.optional:
                return
            raise Fields.missing(check.field)
        if target is Target.EXPERIMENT:
            self.require(user, EXPERIMENT, experiment_key(value), needed)
        elif target is Target.REGISTERED_MODEL:
            self.require(user, MODEL, model_key(value), needed)
        elif target is Target.RUN:
            if check.field == "run_id" or _is_run_id(value):  # else the handler refuses it
                self._require_owner(user, "run", value, needed)
        elif target is Target.LOGGED_MODEL:
            self._require_owner(user, "model", value, needed)
        elif target is Target.ARTIFACT:
            self._require_artifact(user, value, needed)
        elif target is Target.SOURCE:
            self._require_source(user, value, needed)

    def _require_owner(self, user: User, kind: str, resource_id: str, needed: Permission) -> None:
        if kind == "run":
            owner = self.run_experiments([resource_id]).get(resource_id)
        else:
            owner = self.logged_model_experiment(resource_id)
        if owner is not None:
            self.require(user, EXPERIMENT, owner, needed)

    def _require_artifact(self, user: User, raw: str, needed: Permission) -> None:
        """Proxied paths start with the experiment id (``<id>/<run>/artifacts/...``); a path
        under any other first segment belongs to no experiment: admins only."""
        path = safe_artifact_path(raw, allow_root=True)
        first = path.split("/", 1)[0]
        if not path or not first.isdigit() or str(int(first)) != first:
            raise denied("Only an admin may use artifact paths outside an experiment.")
        self.require(user, EXPERIMENT, first, needed)

    def _require_source(self, user: User, raw: str, needed: Permission) -> None:
        """A source naming another run, logged model or registered version needs READ on
        it (the store validates the rest, run_id and model_id are checked on their own)."""
        try:
            parsed = urlparse(registry_rules.fully_decoded(raw, "source"))
        except (InvalidArgument, ValueError):
            return  # the handler refuses it
        scheme = parsed.scheme.lower()
        parts = parsed.path.lstrip("/").split("/")
        if scheme == "runs" and parts[0]:
            self._require_owner(user, "run", parts[0], needed)
        elif scheme == "models" and len(parts) == 1 and parts[0]:
            self._require_owner(user, "model", parts[0], needed)
        elif scheme == "models" and len(parts) >= 2 and parts[0]:
            self.require(user, MODEL, model_key(parts[0]), needed)

    # ---------------------------------------------------------------- owners

    def run_experiments(self, run_ids: Iterable[str]) -> dict[str, str]:
        ids = [validation.run_id(r) for r in run_ids]
        with self._lock:
            known = {r: self._owners[("run", r)] for r in ids if ("run", r) in self._owners}
        missing = [r for r in ids if r not in known]
        if missing:
            found = self.store.run_experiments(missing)
            self._remember("run", found)
            known.update(found)
        return known

    def logged_model_experiment(self, model_id: str) -> str | None:
        with self._lock:
            hit = self._owners.get(("model", model_id))
        if hit is not None:
            return hit
        owner = self.store.logged_model_experiment(model_id)
        if owner is not None:
            self._remember("model", {model_id: owner})
        return owner

    def _remember(self, kind: str, owners: dict[str, str]) -> None:
        with self._lock:
            if len(self._owners) + len(owners) > _OWNER_CACHE_LIMIT:
                self._owners.clear()
            for key, owner in owners.items():
                self._owners[(kind, key)] = owner

    # ---------------------------------------------------------------- after the handler

    def after(self, user: User, rule: Rule, fields: Fields | None, answer: dict[str, Any]) -> None:
        """Work for a successful call (may raise PERMISSION_DENIED for CHECK_EXPERIMENT)."""
        hook = rule.after
        if hook is After.GRANT_EXPERIMENT and answer.get("experiment_id"):
            key = experiment_key(str(answer["experiment_id"]))
            self.store.grant_creator(user.id, EXPERIMENT, key, self.default)
        elif hook is After.GRANT_MODEL:
            name = (answer.get("registered_model") or {}).get("name")
            if name:
                self.store.grant_creator(user.id, MODEL, model_key(name), self.default)
        elif hook is After.RENAME_MODEL and fields is not None:
            new = (answer.get("registered_model") or {}).get("name")
            old = fields.text("name")
            if new and old and model_key(old) != model_key(new):
                self.store.rename_resource(MODEL, model_key(old), model_key(new))
        elif hook is After.FORGET_MODEL and fields is not None:
            name = fields.text("name")
            if name:
                self.store.forget_resource(MODEL, model_key(name))
        elif hook is After.CHECK_EXPERIMENT:
            experiment_id = (answer.get("experiment") or {}).get("experiment_id")
            if experiment_id is not None:
                self.require(user, EXPERIMENT, experiment_key(str(experiment_id)), Permission.READ)

    def filter_answer(self, user: User, rule: Rule, answer: dict[str, Any]) -> bool:
        """Drop what the user may not read from a search answer; whether anything changed."""
        if user.is_admin:
            return False
        if rule.after is After.FILTER_EXPERIMENTS:
            key, kind, ident = "experiments", EXPERIMENT, _experiment_of
        elif rule.after is After.FILTER_MODELS:
            key, kind, ident = "registered_models", MODEL, _model_of
        elif rule.after is After.FILTER_VERSIONS:
            key, kind, ident = "model_versions", MODEL, _model_of
        else:
            return False
        items = answer.get(key) or []
        allowed = self.readable(user, kind, [ident(item) for item in items])
        kept = [item for item in items if ident(item) in allowed]
        if len(kept) == len(items):
            return False
        if kept:
            answer[key] = kept
        else:
            answer.pop(key, None)
        return True


def _experiment_of(item: dict[str, Any]) -> str:
    return experiment_key(str(item.get("experiment_id")))


def _model_of(item: dict[str, Any]) -> str:
    return model_key(str(item.get("name")))
