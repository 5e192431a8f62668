"""The model-registry workloads' data, shared by both sides (standard library only).

``size`` versions spread over ``size // VERSIONS_PER_MODEL`` registered models; each version
has a ``team`` tag, each model a ``champion`` alias on its first version. The search asks for
one model's versions with one team, as a UI or a deployment script does.
"""

from __future__ import annotations

VERSIONS_PER_MODEL = 10
TEAMS = ("vision", "speech", "ranking")
ALIAS = "champion"
EXPERIMENT = "bench-registry"


def model_name(index: int) -> str:
    return f"model-{index:04d}"


def team(version: int) -> str:
    return TEAMS[version % len(TEAMS)]


def query_model(size: int) -> str:
    """A model in the middle of the fixture."""
    return model_name(size // VERSIONS_PER_MODEL // 2)


def search_filter(size: int) -> str:
    return f"name = '{query_model(size)}' and tags.team = '{TEAMS[1]}'"
