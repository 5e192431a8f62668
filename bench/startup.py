"""Cold start: the wall time of a new interpreter that runs ``import runwell`` (or mlflow).

Timed from this process around ``subprocess.run``, so it includes interpreter start-up, as a
user typing ``python -c "import runwell"`` sees it. One untimed launch first warms the OS file
cache and writes bytecode, so every timed launch finds the same state.
"""

from __future__ import annotations

import subprocess
import tempfile
import time

# `import runwell` must load none of these (see STYLE.md, "Layering").
HEAVY_MODULES = ("sqlalchemy", "pandas", "numpy", "alembic", "starlette", "uvicorn")

_LIST_LOADED = (
    "import sys\n"
    "import {module}\n"
    "heavy = {heavy!r}\n"
    "print(len(sys.modules))\n"
    "print(' '.join(sorted(h for h in heavy if h in sys.modules)))\n"
)


def time_import(python: str, module: str, launches: int, env: dict[str, str]) -> list[float]:
    """Seconds of each of ``launches`` timed ``python -c "import <module>"`` launches."""
    command = [python, "-c", f"import {module}"]
    seconds = []
    with tempfile.TemporaryDirectory(prefix="runwell-bench-") as cwd:
        subprocess.run(command, check=True, env=env, cwd=cwd, capture_output=True)
        for _ in range(launches):
            start = time.perf_counter()
            subprocess.run(command, check=True, env=env, cwd=cwd, capture_output=True)
            seconds.append(time.perf_counter() - start)
    return seconds


def loaded_modules(python: str, module: str, env: dict[str, str]) -> dict[str, object]:
    """How many modules ``import <module>`` loads, and which of HEAVY_MODULES among them."""
    script = _LIST_LOADED.format(module=module, heavy=HEAVY_MODULES)
    with tempfile.TemporaryDirectory(prefix="runwell-bench-") as cwd:
        done = subprocess.run(
            [python, "-c", script], check=True, env=env, cwd=cwd, capture_output=True, text=True
        )
    count, heavy = [*done.stdout.splitlines(), "", ""][:2]
    return {"modules": int(count), "heavy_loaded": heavy.split()}
