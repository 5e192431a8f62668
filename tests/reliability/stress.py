"""Rounds of many writers on one SQLite file, then an audit of every acknowledged point.

Used by test_stress.py (3 rounds of 20 s in ``make test``) and by ``make stress`` (30 rounds
of 60 s, figures to bench/results/stress.json and docs/benchmarks.md). A point counts as
acknowledged once the call that logged it returned (the fluent API, the client, or an HTTP 200);
the audit then requires each one exactly once, and ``PRAGMA integrity_check`` to say ``ok``.
Every loop is bounded by its round's deadline; servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import textwrap
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

from runwell.store.sql.tracking import SqlTrackingStore
from runwell.store.sqlite_driver import dbapi
from tests.offline.server_process import Restartable

ROUNDS = int(os.environ.get("RUNWELL_STRESS_ROUNDS", "3"))
SECONDS = float(os.environ.get("RUNWELL_STRESS_SECONDS", "20"))
RESULTS = os.environ.get("RUNWELL_STRESS_RESULTS")
WRITERS = 8
BATCH = 100
API = "/api/2.0/mlflow"

# One training process: fluent log_metric every step, a client log_batch every 20 steps and a
# tag now and then, until its deadline; what it was acknowledged goes to stdout as JSON.
_FLUENT_WRITER = textwrap.dedent(
    """
    import json, sys, time
    import runwell
    from runwell.entities import Metric

    uri, worker = sys.argv[1], int(sys.argv[2])
    seconds, batch = float(sys.argv[3]), int(sys.argv[4])
    runwell.set_tracking_uri(uri)
    runwell.set_experiment("stress")
    client = runwell.RunwellClient()
    deadline = time.monotonic() + seconds
    single = batched = 0
    with runwell.start_run(run_name=f"w{worker}") as run:
        run_id = run.info.run_id
        while time.monotonic() < deadline:
            runwell.log_metric("single", float(single), step=single)
            single += 1
            if single % 20 == 0:
                points = [
                    Metric(key="batched", value=float(batched + j), timestamp=1, step=batched + j)
                    for j in range(batch)
                ]
                client.log_batch(run_id, metrics=points)
                batched += batch
            if single % 500 == 0:
                runwell.set_tag(f"t{single}", worker)
    print(json.dumps({"run_id": run_id, "single": single, "batched": batched}))
    """
)

# A writer SIGKILLed at a random moment: batches of 1,000 points continuing the run's history,
# each acknowledged on stderr... after the call returned, until it is killed.
_KILLED_WRITER = textwrap.dedent(
    """
    import sys
    import runwell
    from runwell.entities import Metric

    uri, run_id = sys.argv[1], sys.argv[2]
    client = runwell.RunwellClient(uri)
    step = len(client.get_metric_history(run_id, "m"))
    while True:
        steps = range(step, step + 1000)
        client.log_batch(
            run_id, metrics=[Metric(key="m", value=float(s), timestamp=1, step=s) for s in steps]
        )
        step += 1000
        print(step, flush=True)
    """
)


@dataclass
class Round:
    variant: str
    seconds: float
    points: int
    lost: int
    duplicated: int
    integrity: str

    @property
    def clean(self) -> bool:
        return self.lost == 0 and self.duplicated == 0 and self.integrity == "ok"


def integrity(db: Path) -> str:
    connection = dbapi().connect(str(db))
    try:
        return "; ".join(row[0] for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def audit(db: Path, expected: dict[str, dict[str, int]]) -> tuple[int, int, int]:
    """(points acknowledged, lost, duplicated) for runs whose keys were logged at steps
    0..n-1; more points than acknowledged is fine (a batch in flight when a writer died)."""
    store = SqlTrackingStore(f"sqlite:///{db}", "mlflow-artifacts:")
    acknowledged = lost = duplicated = 0
    try:
        for run_id, counts in expected.items():
            for key, count in counts.items():
                steps = [m.step for m in store.get_metric_history(run_id, key).items]
                distinct = set(steps)
                acknowledged += count
                duplicated += len(steps) - len(distinct)
                lost += sum(1 for step in range(count) if step not in distinct)
    finally:
        store.engine.dispose()
    return acknowledged, lost, duplicated


def fluent_round(directory: Path, seconds: float = SECONDS) -> Round:
    """``WRITERS`` processes log through the fluent API into one SQLite file."""
    directory.mkdir(parents=True)
    db = directory / "runwell.db"
    script = directory / "writer.py"
    script.write_text(_FLUENT_WRITER)
    uri = f"sqlite:///{db}"
    environment = {**os.environ, "RUNWELL_CAPTURE_CONTEXT": "0"}
    started = time.monotonic()
    writers = [
        subprocess.Popen(
            [sys.executable, str(script), uri, str(worker), str(seconds), str(BATCH)],
            cwd=directory,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(WRITERS)
    ]
    expected: dict[str, dict[str, int]] = {}
    for writer in writers:
        out, err = writer.communicate(timeout=seconds + 120)
        assert writer.returncode == 0, err
        done = json.loads(out.strip().splitlines()[-1])
        expected[done["run_id"]] = {"single": done["single"], "batched": done["batched"]}
    elapsed = time.monotonic() - started
    checked = integrity(db)
    points, lost, duplicated = audit(db, expected)
    return Round("fluent, 8 processes", elapsed, points, lost, duplicated, checked)


async def _http_client(
    http: httpx.AsyncClient, run_id: str, until: float, acknowledged: dict[str, int]
) -> None:
    """Log batches with consecutive steps; a batch is sent again until it is acknowledged
    (the store keeps one copy of a point logged twice, so a resend never doubles it)."""
    rng = random.Random(run_id)
    while time.monotonic() < until:
        start = acknowledged["batched"]
        metrics = [
            {"key": "batched", "value": float(s), "timestamp": 1, "step": s}
            for s in range(start, start + BATCH)
        ]
        if rng.random() < 0.1:
            single = acknowledged["single"]
            body = {"run_id": run_id, "key": "single", "value": 1.0, "timestamp": 1}
            if await _acknowledged(http, "/runs/log-metric", {**body, "step": single}, until):
                acknowledged["single"] = single + 1
        if await _acknowledged(
            http, "/runs/log-batch", {"run_id": run_id, "metrics": metrics}, until
        ):
            acknowledged["batched"] = start + BATCH


async def _acknowledged(http: httpx.AsyncClient, path: str, body: object, until: float) -> bool:
    while time.monotonic() < until + 30:
        try:
            answer = await http.post(API + path, json=body)
        except httpx.TransportError:
            await asyncio.sleep(0.05)  # the server is restarting
            continue
        if answer.status_code == 200:
            return True
        if answer.status_code < 500:
            raise AssertionError(f"{path} refused: {answer.status_code} {answer.text}")
        await asyncio.sleep(0.05)
    return False


async def _http_load(
    server: Restartable, seconds: float, kill_at: float | None
) -> dict[str, dict[str, int]]:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        created = await http.post(API + "/experiments/create", json={"name": "stress"})
        experiment_id = created.json()["experiment_id"]
        runs = []
        for worker in range(WRITERS):
            made = await http.post(
                API + "/runs/create",
                json={"experiment_id": experiment_id, "start_time": 1, "run_name": f"c{worker}"},
            )
            runs.append(made.json()["run"]["info"]["run_id"])
        expected = {run_id: {"single": 0, "batched": 0} for run_id in runs}
        until = time.monotonic() + seconds
        tasks = [_http_client(http, run_id, until, expected[run_id]) for run_id in runs]
        if kill_at is not None:
            tasks.append(_kill_and_restart(server, kill_at))
        await asyncio.gather(*tasks)
        return expected


async def _kill_and_restart(server: Restartable, after: float) -> None:
    await asyncio.sleep(after)
    server.kill()
    await asyncio.to_thread(server.start)


def server_round(directory: Path, seconds: float = SECONDS, *, kill: bool = False) -> Round:
    """``WRITERS`` HTTP clients against ``runwell server --workers 4`` on one SQLite file;
    ``kill``: the server and its workers are SIGKILLed once mid-round and started again."""
    directory.mkdir(parents=True)
    server = Restartable(directory, workers=4)
    server.start()
    started = time.monotonic()
    try:
        expected = asyncio.run(_http_load(server, seconds, seconds / 2 if kill else None))
    finally:
        server.stop()
    elapsed = time.monotonic() - started
    checked = integrity(server.db)
    points, lost, duplicated = audit(server.db, expected)
    variant = "server --workers 4, 8 HTTP clients" + (", SIGKILL mid-round" if kill else "")
    return Round(variant, elapsed, points, lost, duplicated, checked)


def killed_writers_round(directory: Path, seconds: float = SECONDS, kills: int = 6) -> Round:
    """Three writers SIGKILLed at random moments, ``kills`` times; each time new ones go on
    from what their runs hold."""
    directory.mkdir(parents=True)
    db = directory / "runwell.db"
    uri = f"sqlite:///{db}"
    script = directory / "killed.py"
    script.write_text(_KILLED_WRITER)
    store = SqlTrackingStore(uri, directory.as_uri())
    runs = [store.create_run("0", "stress", 1).info.run_id for _ in range(3)]
    store.engine.dispose()
    acknowledged = dict.fromkeys(runs, 0)
    rng = random.Random(7)
    started = time.monotonic()
    for _kill in range(kills):
        writers = {run_id: _start_killed(script, uri, run_id) for run_id in runs}
        time.sleep(rng.uniform(1.0, max(1.0, seconds / kills)))
        for writer in writers.values():
            os.kill(writer.pid, signal.SIGKILL)  # wherever it is: mid-batch, mid-commit
        for run_id, writer in writers.items():
            out, _err = writer.communicate(timeout=30)
            lines = out.split()
            if lines:
                acknowledged[run_id] = int(lines[-1])
    elapsed = time.monotonic() - started
    checked = integrity(db)
    expected = {run_id: {"m": count} for run_id, count in acknowledged.items()}
    points, lost, duplicated = audit(db, expected)
    # A batch is one transaction: what is stored is whole batches, never part of one.
    store = SqlTrackingStore(uri, directory.as_uri())
    try:
        partial = sum(len(store.get_metric_history(r, "m").items) % 1000 for r in runs)
    finally:
        store.engine.dispose()
    return Round(
        "SIGKILL of writers mid-batch", elapsed, points, lost + partial, duplicated, checked
    )


def _start_killed(script: Path, uri: str, run_id: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(script), uri, run_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def record(rounds: list[Round]) -> None:
    """Add the rounds' totals to RUNWELL_STRESS_RESULTS (``make stress``), when it is set."""
    if not RESULTS or not rounds:
        return
    path = Path(RESULTS)
    try:
        found = json.loads(path.read_text())
    except (OSError, ValueError):
        found = {"variants": {}}
    from runwell.store.sqlite_driver import library

    totals = found["variants"].setdefault(rounds[0].variant, {})
    totals.update(
        rounds=len(rounds),
        seconds_per_round=statistics.median(r.seconds for r in rounds),  # as measured
        points=sum(r.points for r in rounds),
        lost=sum(r.lost for r in rounds),
        duplicated=sum(r.duplicated for r in rounds),
        integrity_failures=sum(r.integrity != "ok" for r in rounds),
        sqlite=library().describe(),
        date=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        each=[asdict(r) for r in rounds],
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(found, indent=2) + "\n")
