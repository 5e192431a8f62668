"""Third-party flavors: the example package installs, registers and round-trips a model."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import runwell.models
from runwell.errors import NotFound

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "custom_flavor"


def test_built_in_flavors_are_listed_and_unknown_names_are_refused() -> None:
    flavors = runwell.models.list_flavors()
    assert {"sklearn", "xgboost", "python_function"} <= set(flavors)
    assert runwell.models.get_flavor("sklearn").__name__ == "runwell.sklearn"
    with pytest.raises(NotFound, match=r"No flavor named 'nope'.*sklearn.*runwell\.flavors"):
        runwell.models.get_flavor("nope")


def test_an_incomplete_plugin_is_refused_naming_what_it_lacks(tmp_path: Path) -> None:
    """A real installed distribution's entry point (dist-info on sys.path), not a stand-in."""
    (tmp_path / "half_flavor.py").write_text("FLAVOR_NAME = 'half'\ndef save_model(): pass\n")
    info = tmp_path / "half_flavor-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: half-flavor\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[runwell.flavors]\nhalf = half_flavor\n")
    code = (
        "import runwell.models\n"
        "assert runwell.models.list_flavors()['half'] == 'half_flavor'\n"
        "try:\n    runwell.models.get_flavor('half')\n"
        "except Exception as exc:\n    print(type(exc).__name__, exc)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.startswith("InvalidArgument Flavor 'half'")
    assert "load_model, _load_pyfunc" in done.stdout


@pytest.mark.slow
def test_the_example_flavor_installs_and_round_trips(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    uv = Path(sys.executable).parent / "uv"
    subprocess.run([uv, "venv", "-q", "--python", sys.executable, venv], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # runwell and its dependencies come from the test environment; the plugin is installed.
    Path(purelib, "parent.pth").write_text(f"{sysconfig.get_paths()['purelib']}\n{ROOT / 'src'}\n")
    subprocess.run(
        [uv, "pip", "install", "-q", "--python", python, "--no-deps", EXAMPLE], check=True
    )
    script = """
import json, numpy as np, runwell, runwell.models, runwell.pyfunc
polyfit = runwell.models.get_flavor("polyfit")
fit = np.polynomial.Polynomial.fit([0, 1, 2, 3], [1, 3, 5, 7], deg=1)
polyfit.save_model(fit, "line", input_example=np.array([1.0, 2.0]))
runwell.set_tracking_uri("sqlite:///runs.db")
with runwell.start_run():
    info = polyfit.log_model(fit, name="line")
print(json.dumps({
    "flavors": runwell.models.list_flavors(),
    "local": runwell.pyfunc.load_model("line").predict(np.array([10.0])).tolist(),
    "logged": runwell.pyfunc.load_model(info.model_uri).predict([[0.5], [2.0]]).tolist(),
    "raw": str(type(runwell.pyfunc.load_model("line").get_raw_model()).__name__),
    "loaded": polyfit.load_model(info.model_uri).coef.tolist() == fit.coef.tolist(),
}))
"""
    done = subprocess.run(
        [python, "-c", script], cwd=tmp_path, check=True, capture_output=True, text=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["flavors"]["polyfit"] == "runwell_polyfit"
    assert result["local"] == pytest.approx([21.0])
    assert result["logged"] == pytest.approx([2.0, 5.0])
    assert result["raw"] == "Polynomial"
    assert result["loaded"] is True
    mlmodel = (tmp_path / "line" / "MLmodel").read_text()
    assert "loader_module: runwell_polyfit" in mlmodel
