"""Quick predicts move from the thread pool onto the event loop, and slow ones move back.

The model records the thread each predict ran in: the pool's threads are named ``predict_*``,
the event loop runs in the server's own thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import pandas as pd

from runwell.scoring.app import INLINE_AFTER_QUICK_CALLS, INLINE_MAX_BODY_BYTES
from tests.scoring.conftest import Metadata

Served = Callable[..., str]


class ThreadRecordingModel:
    """Predicts each row's sum; remembers which thread ran each call."""

    def __init__(self) -> None:
        self.metadata = Metadata(
            '[{"type": "double", "name": "a"}, {"type": "double", "name": "b"}]'
        )
        self.threads: list[str] = []
        self.delay_s = 0.0
        self.column_names: list[Any] = []

    def predict(self, data: pd.DataFrame, params: dict[str, Any] | None = None) -> Any:
        self.threads.append(threading.current_thread().name)
        self.column_names.append(data.columns.name)
        data.columns.name = "renamed by the model"  # must not reach the next request's frame
        time.sleep(self.delay_s)
        return (data["a"] + data["b"]).to_numpy()


def _post(url: str, rows: int = 1) -> httpx.Response:
    body = {"dataframe_split": {"columns": ["a", "b"], "data": [[1.5, 2.0]] * rows}}
    response = httpx.post(f"{url}/invocations", json=body, timeout=10)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": [3.5] * rows}
    return response


def _in_pool(name: str) -> bool:
    return name.startswith("predict")


def _until_inline(url: str, model: ThreadRecordingModel) -> None:
    """Send requests until one is predicted on the event loop (a slow first call, warming
    pandas up, may restart the count of quick ones)."""
    for _ in range(INLINE_AFTER_QUICK_CALLS * 4):
        _post(url)
        if not _in_pool(model.threads[-1]):
            return
    raise AssertionError(f"predicts never moved to the event loop: {model.threads}")


def test_quick_predicts_move_to_the_event_loop_and_a_slow_one_moves_back(served: Served) -> None:
    model = ThreadRecordingModel()
    url = served(model)
    _until_inline(url, model)
    pooled = len(model.threads) - 1
    assert pooled >= INLINE_AFTER_QUICK_CALLS
    assert all(_in_pool(name) for name in model.threads[:pooled])

    model.delay_s = 0.08  # longer than any predict allowed to hold up the loop
    _post(url)  # predicted inline (unless a busy machine already sent predicts back)
    _post(url)
    assert _in_pool(model.threads[-1]), model.threads


def test_large_bodies_are_predicted_in_the_pool_even_when_predicts_are_quick(
    served: Served,
) -> None:
    model = ThreadRecordingModel()
    url = served(model)
    _until_inline(url, model)
    rows = INLINE_MAX_BODY_BYTES // len("[1.5,2.0]") + 1  # each row is at least this long
    _post(url, rows)
    assert _in_pool(model.threads[-1]), model.threads[-1]
    _post(url)
    assert not _in_pool(model.threads[-1])


def test_a_model_changing_its_input_columns_does_not_change_the_next_request(
    served: Served,
) -> None:
    model = ThreadRecordingModel()
    url = served(model)
    for _ in range(3):
        _post(url)
    assert model.column_names == [None, None, None]
