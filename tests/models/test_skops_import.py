"""Saving and loading a skops model does not import torch (skops' type walk would)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_SCRIPT = """
import importlib, json, sys
import numpy as np
from sklearn.linear_model import LinearRegression
import runwell.sklearn

x = np.arange(10.0).reshape(5, 2)
runwell.sklearn.save_model(LinearRegression().fit(x, x[:, 0]), sys.argv[1])
loaded = runwell.sklearn.load_model(sys.argv[1])
after_skops = "torch" in sys.modules
shim = importlib.import_module("sklearn.externals.array_api_compat.torch")
print(json.dumps({
    "format": open(sys.argv[1] + "/MLmodel").read().count("serialization_format: skops"),
    "predicts": float(loaded.predict(x[:1])[0]),
    "torch_after_skops": after_skops,
    "real_shim": hasattr(shim, "__path__") and "torch" in sys.modules,
}))
"""


def test_skops_round_trip_leaves_torch_unimported(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path / "m")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result == {
        "format": 1,
        "predicts": 0.0,
        "torch_after_skops": False,
        "real_shim": True,
    }
