"""Tiny real models for the model-command tests, saved with runwell's own flavors."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd

RUNWELL = str(Path(sys.executable).parent / "runwell")


def frame(rows: int = 20) -> pd.DataFrame:
    """Two double columns; the label is ``a > rows / 2``."""
    a = np.arange(rows, dtype=float)
    data: pd.DataFrame = pd.DataFrame({"a": a, "b": a[::-1].copy()})
    return data


def save_logistic(path: Path, rows: int = 20) -> Path:
    """A fitted LogisticRegression saved with runwell.sklearn (signature from an example)."""
    from sklearn.linear_model import LogisticRegression

    import runwell.sklearn

    data = frame(rows)
    labels = (data["a"] > rows / 2).astype(int)
    runwell.sklearn.save_model(
        LogisticRegression().fit(data, labels), str(path), input_example=data.head(3)
    )
    return path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_for_ping(process: subprocess.Popen[bytes], port: int, limit_s: float) -> float:
    """Seconds until ``/ping`` answers 200; fails if the process exits or time runs out."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit_s:
        if process.poll() is not None:
            output = process.stdout.read().decode() if process.stdout else ""
            raise AssertionError(f"server exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=0.5).status_code == 200:
                return time.perf_counter() - start
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise AssertionError(f"no /ping answer on port {port} within {limit_s} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if process.stdout is not None:
        process.stdout.close()
