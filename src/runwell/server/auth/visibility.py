"""What a page may show: the web UI keeps only what the caller may read.

A route's rule can check the resources a request names; a page that lists experiments or
models names none, and a page about one run also shows what the run refers to (its parent
run, logged models it used or made, registered versions made from it), which may belong to
someone else. Pages filter what they found here before rendering: a reference the viewer
may not read is dropped, or shown by its id without its name. Without ``--auth`` everything
stays (and nothing is imported or queried).

    experiments = visible_experiments(request, experiments)
    versions = visible_models(request, versions)   # anything with a registered model's .name
    parent = parent if visible_runs(request, [parent]) else None
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from starlette.requests import Request

from runwell.entities import Run
from runwell.entities.auth import ResourceType
from runwell.server.auth.access import experiment_key, model_key

IDENTITY_KEY = "runwell.identity"  # set by middleware.AuthMiddleware


class _HasExperimentId(Protocol):
    @property
    def experiment_id(self) -> str: ...


class _HasName(Protocol):
    @property
    def name(self) -> str: ...


E = TypeVar("E", bound=_HasExperimentId)
M = TypeVar("M", bound=_HasName)


def _readable(request: Request, kind: ResourceType, ids: list[str]) -> set[str] | None:
    """The readable subset of ``ids``; None when the server runs without ``--auth``."""
    service = getattr(request.app.state, "runwell_auth", None)
    if service is None:
        return None
    identity = request.scope.get(IDENTITY_KEY)
    if identity is None:
        return set()
    readable: set[str] = service.authorizer.readable(identity.user, kind, ids)
    return readable


def visible_experiments(request: Request, experiments: Sequence[E]) -> list[E]:
    keys = [experiment_key(e.experiment_id) for e in experiments]
    allowed = _readable(request, ResourceType.EXPERIMENT, keys)
    if allowed is None:
        return list(experiments)
    return [e for e, key in zip(experiments, keys, strict=True) if key in allowed]


def visible_models(request: Request, models: Sequence[M]) -> list[M]:
    keys = [model_key(m.name) for m in models]
    allowed = _readable(request, ResourceType.REGISTERED_MODEL, keys)
    if allowed is None:
        return list(models)
    return [m for m, key in zip(models, keys, strict=True) if key in allowed]


def visible_runs(request: Request, runs: Sequence[Run]) -> list[Run]:
    """The runs whose experiment the caller may read."""
    keys = [experiment_key(r.info.experiment_id) for r in runs]
    allowed = _readable(request, ResourceType.EXPERIMENT, keys)
    if allowed is None:
        return list(runs)
    return [r for r, key in zip(runs, keys, strict=True) if key in allowed]
