"""What the concurrent clients of the scale-out test log, as pure functions of (process, thread).

The client processes (``load_client.py``) and the test's checks both compute every value from
here, so the test knows exactly which points, params, tags and files must have arrived without
trusting anything the clients report. Every metric point is distinct, so "each point exactly
once" is a comparison of sorted lists.

Shared run 0 ("batches") gets ``log-batch`` requests from every thread and the artifact uploads;
shared run 1 ("singles") gets one ``log-metric``/``log-parameter``/``set-tag`` request per value;
each process also creates a run of its own and logs into it through the client's background
batching.
"""

from __future__ import annotations

import hashlib

from runwell.entities import Metric, Param, RunTag

PROCESSES = 4
THREADS = 4
BATCHES = 5
BATCH_SIZE = 100
SINGLES = 20
ASYNC_POINTS = 150
# One point per thread at the same step of one key: the latest is the last timestamp.
CONTENDED_STEP = 7
BASE_TIME = 1_700_000_000_000
# Over the 1 MiB transfer chunk of the HTTP artifact repository and the proxy.
BIG_FILE_SIZE = (3 << 19) + 3


def thread_index(process: int, thread: int) -> int:
    return process * THREADS + thread


def batch_metrics(process: int, thread: int, batch: int) -> list[Metric]:
    """One log-batch request's points: steps unique across every thread of every process."""
    base = (thread_index(process, thread) * BATCHES + batch) * BATCH_SIZE
    return [
        Metric(key="batch", value=(base + j) * 0.25, timestamp=BASE_TIME + base + j, step=base + j)
        for j in range(BATCH_SIZE)
    ]


def batch_param(process: int, thread: int, batch: int) -> Param:
    return Param(key=f"batch.p{process}.t{thread}.b{batch}", value=f"{process}:{thread}:{batch}")


def batch_tag(process: int, thread: int) -> RunTag:
    """Sent with every batch of a thread (the same value again overwrites nothing)."""
    return RunTag(key=f"batcher.p{process}.t{thread}", value=f"thread {process}/{thread}")


def single_metrics(process: int, thread: int) -> list[Metric]:
    """Points sent one request each."""
    base = thread_index(process, thread) * SINGLES
    return [
        Metric(key="single", value=float(base + i) - 0.5, timestamp=BASE_TIME + i, step=base + i)
        for i in range(SINGLES)
    ]


def contended_metric(process: int, thread: int) -> Metric:
    index = thread_index(process, thread)
    return Metric(
        key="contended", value=float(index), timestamp=BASE_TIME + index, step=CONTENDED_STEP
    )


def single_param(process: int, thread: int) -> Param:
    return Param(key=f"p{process}.t{thread}", value=f"param of {process}/{thread}")


def single_tag(process: int, thread: int) -> RunTag:
    return RunTag(key=f"tag.p{process}.t{thread}", value=f"tag of {process}/{thread}")


def own_metrics(thread: int) -> list[Metric]:
    """Points a thread queues for background batching on its process's own run."""
    return [
        Metric(key=f"async.t{thread}", value=i / 3, timestamp=BASE_TIME + i, step=i)
        for i in range(ASYNC_POINTS)
    ]


def own_param(process: int, thread: int) -> Param:
    return Param(key=f"t{thread}", value=f"own {process}/{thread}")


def own_tag(process: int, thread: int) -> RunTag:
    return RunTag(key=f"own.t{thread}", value=f"own tag {process}/{thread}")


def own_run_name(process: int) -> str:
    return f"client-{process}"


def artifact_path(process: int, thread: int) -> str:
    """Where a thread's file lands under shared run 0's artifact root."""
    return f"uploads/p{process}/t{thread}.bin"


def artifact_bytes(process: int, thread: int) -> bytes:
    """A file whose bytes depend on who uploads it; the first thread's spans several chunks."""
    index = thread_index(process, thread)
    size = BIG_FILE_SIZE if index == 0 else 1000 + 7919 * index
    block = hashlib.sha256(f"{process}/{thread}".encode()).digest()
    return (block * (size // len(block) + 1))[:size]


def note_path(process: int, thread: int) -> str:
    return f"notes/p{process}-t{thread}.txt"


def note_text(process: int, thread: int) -> str:
    return f"written by thread {thread} of process {process}\n"


def all_threads() -> list[tuple[int, int]]:
    return [(p, t) for p in range(PROCESSES) for t in range(THREADS)]
