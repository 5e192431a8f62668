"""How many experiments one search may span.

``runs/search`` and ``logged-models/search`` take a list of experiment ids, and each id becomes
a bound parameter of the query: PostgreSQL's protocol carries at most 65,535 of them, so a
longer list was a 503 there, and on every backend a huge list is a slow query to plan (issue
19). The ids are deduplicated first, then at most ``MAX_SEARCH_EXPERIMENTS`` are accepted.
"""

from __future__ import annotations

from collections.abc import Sequence

from runwell.errors import InvalidArgument

MAX_SEARCH_EXPERIMENTS = 10_000


def experiment_scope(experiment_ids: Sequence[str]) -> list[str]:
    """``experiment_ids`` without repeats, in their order; a 400 past the limit."""
    unique = list(dict.fromkeys(experiment_ids))
    if len(unique) > MAX_SEARCH_EXPERIMENTS:
        raise InvalidArgument(
            f"Invalid value for parameter 'experiment_ids': {len(unique)} experiments; a search "
            f"spans at most {MAX_SEARCH_EXPERIMENTS}. Search them in several calls."
        )
    return unique
