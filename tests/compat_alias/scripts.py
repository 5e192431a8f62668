"""Run a Python script in a fresh interpreter of this environment, as a tool's user would.

done = run_python(SCRIPT, tmp_path, alias="env")        # RUNWELL_MLFLOW_ALIAS=1
done = run_python(SCRIPT, tmp_path, alias="call")       # install_mlflow_alias() first
done = run_python(SCRIPT, tmp_path, alias=None)         # neither

The alias must come from the interpreter start (runwell_mlflow_alias.pth) or from the call, so
each script runs in its own process; its stdout's last line is the JSON it printed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

Alias = Literal["env", "call"] | None

_CALL = "from runwell.compat import install_mlflow_alias\nassert install_mlflow_alias()\n"


def run_python(
    script: str,
    tmp_path: Path,
    *,
    alias: Alias,
    args: tuple[str, ...] = (),
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 240,
) -> subprocess.CompletedProcess[str]:
    """``script`` (dedented) in a new interpreter, in ``tmp_path``; the alias as asked."""
    body = textwrap.dedent(script)
    if alias == "call":
        body = _CALL + body
    path = tmp_path / "script.py"
    path.write_text(body, encoding="utf-8")
    environ = {k: v for k, v in os.environ.items() if k != "RUNWELL_MLFLOW_ALIAS"}
    if alias == "env":
        environ["RUNWELL_MLFLOW_ALIAS"] = "1"
    environ.update(extra_env or {})
    return subprocess.run(
        [sys.executable, str(path), *args],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def last_json(done: subprocess.CompletedProcess[str]) -> Any:
    """The JSON on the script's last line of output; the process must have succeeded."""
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
