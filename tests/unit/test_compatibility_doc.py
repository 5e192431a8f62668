"""docs/compatibility.md's table of MLflow names runwell lacks stays true, both ways."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

import runwell

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "compatibility.md"
MLFLOW_PYTHON = ROOT / ".venv-mlflow" / "bin" / "python"


def _section() -> str:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## MLflow's top-level names")
    end = text.index("\n## ", start + 1)
    return text[start:end]


def _listed() -> dict[str, str]:
    """name -> reason, from the table's rows."""
    listed: dict[str, str] = {}
    for line in _section().splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and cells[1].startswith("`"):
            for name in re.findall(r"`([^`]+)`", cells[1]):
                assert name not in listed, f"{name} is listed twice"
                listed[name] = cells[0]
    return listed


def _runwell_has(name: str) -> bool:
    if hasattr(runwell, name):
        return True
    try:
        importlib.import_module(f"runwell.{name}")
    except ImportError:
        return False
    return True


def test_no_name_listed_as_missing_exists_in_runwell() -> None:
    listed = _listed()
    assert len(listed) > 50
    present = sorted(name for name in listed if _runwell_has(name))
    assert present == [], "runwell has these now: take them out of docs/compatibility.md"


def test_every_mlflow_name_is_in_runwell_or_in_the_table() -> None:
    if not MLFLOW_PYTHON.exists():
        if os.environ.get("CI"):
            pytest.fail("CI needs .venv-mlflow (make mlflow-env) for this check")
        pytest.skip("needs .venv-mlflow (make mlflow-env)")
    code = (
        "import json, mlflow; "
        "print(json.dumps(sorted(n for n in dir(mlflow) if not n.startswith('_'))))"
    )
    found = subprocess.run(
        [str(MLFLOW_PYTHON), "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    names = json.loads(found.stdout.strip().splitlines()[-1])
    listed = _listed()
    unexplained = sorted(n for n in names if n not in listed and not _runwell_has(n))
    assert unexplained == [], "mlflow names runwell lacks that the table does not explain"
    assert sorted(set(listed) - set(names)) == [], "the table lists names mlflow does not have"
    assert f"has {len(names)} public top-level names" in _section()
