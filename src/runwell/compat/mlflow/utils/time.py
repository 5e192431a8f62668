"""``mlflow.utils.time``: the clock runwell stamps metrics with (epoch milliseconds, UTC)."""

import time


def get_current_time_millis() -> int:
    """Now, in integer milliseconds since the epoch."""
    return time.time_ns() // 1_000_000
