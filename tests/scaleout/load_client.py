"""One client process of the scale-out test: several threads logging through one RunwellClient.

    python -m tests.scaleout.load_client '{"url": ..., "process": 0, "experiment_id": "1",
                                           "shared": [run0, run1], "workdir": "/tmp/..."}'

It creates a run of its own, starts ``workload.THREADS`` threads that wait at a barrier and
then log what ``tests/scaleout/workload.py`` prescribes for (process, thread), flushes the
background queue, finishes its run and prints ``{"run_id": <own run>}``. Any error in any
thread is printed to stderr and the process exits 1, so the test sees it.
"""

from __future__ import annotations

import json
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path

from runwell import RunwellClient
from tests.scaleout import workload as w


@dataclass(frozen=True)
class Spec:
    url: str
    process: int
    experiment_id: str
    shared: tuple[str, str]
    workdir: Path


def _log(client: RunwellClient, spec: Spec, thread: int, own_run: str) -> None:
    p, t = spec.process, thread
    batches, singles = spec.shared
    for b in range(w.BATCHES):
        client.log_batch(
            batches,
            metrics=w.batch_metrics(p, t, b),
            params=[w.batch_param(p, t, b)],
            tags=[w.batch_tag(p, t)],
            synchronous=True,
        )
    for m in [*w.single_metrics(p, t), w.contended_metric(p, t)]:
        client.log_metric(
            singles, m.key, m.value, timestamp=m.timestamp, step=m.step, synchronous=True
        )
    param, tag = w.single_param(p, t), w.single_tag(p, t)
    client.log_param(singles, param.key, param.value, synchronous=True)
    client.set_tag(singles, tag.key, tag.value, synchronous=True)
    # The process's own run goes through the client's background batching.
    for m in w.own_metrics(t):
        client.log_metric(own_run, m.key, m.value, timestamp=m.timestamp, step=m.step)
    own_param, own_tag = w.own_param(p, t), w.own_tag(p, t)
    client.log_param(own_run, own_param.key, own_param.value)
    client.set_tag(own_run, own_tag.key, own_tag.value)
    # Artifacts through the server's proxy: a file from disk and bytes written directly.
    local = spec.workdir / f"p{p}" / Path(w.artifact_path(p, t)).name
    local.parent.mkdir(parents=True, exist_ok=True)
    local.write_bytes(w.artifact_bytes(p, t))
    client.log_artifact(batches, str(local), str(Path(w.artifact_path(p, t)).parent))
    client.log_text(batches, w.note_text(p, t), w.note_path(p, t))


def run(spec: Spec) -> str:
    client = RunwellClient(spec.url)
    own_run = client.create_run(spec.experiment_id, run_name=w.own_run_name(spec.process))
    run_id = own_run.info.run_id
    barrier = threading.Barrier(w.THREADS)
    errors: list[str] = []

    def body(thread: int) -> None:
        try:
            barrier.wait(timeout=60)
            _log(client, spec, thread, run_id)
        except BaseException:
            errors.append(f"thread {thread}: {traceback.format_exc()}")
            barrier.abort()

    threads = [threading.Thread(target=body, args=(t,)) for t in range(w.THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError("\n".join(errors))
    client.flush()
    client.set_terminated(run_id)
    return run_id


def main(argv: list[str]) -> int:
    raw = json.loads(argv[1])
    spec = Spec(
        url=raw["url"],
        process=int(raw["process"]),
        experiment_id=str(raw["experiment_id"]),
        shared=(raw["shared"][0], raw["shared"][1]),
        workdir=Path(raw["workdir"]),
    )
    try:
        run_id = run(spec)
    except Exception:
        traceback.print_exc()
        return 1
    print(json.dumps({"run_id": run_id}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
