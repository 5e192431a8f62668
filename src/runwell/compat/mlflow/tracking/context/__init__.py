"""``mlflow.tracking.context``: ``resolve_tags``, the tags a new run of this process gets.

Lightning's MLFlowLogger creates its run with ``MlflowClient.create_run(tags=resolve_tags(
tags))``; with this, its runs carry the user, source and git tags that ``start_run`` sets.
"""

from collections.abc import Mapping
from typing import Any

from runwell.tracking.context import default_tags


def resolve_tags(tags: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """This process's run-context tags, overridden by ``tags``."""
    return {**default_tags(), **(tags or {})}


__all__ = ["resolve_tags"]
