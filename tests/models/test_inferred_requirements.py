"""Requirements inferred from what a saved model references: pickles, skops files, sources."""

from __future__ import annotations

import collections
import io
import pickle
import sys
import textwrap
import zipfile
from pathlib import Path

import cloudpickle  # type: ignore[import-untyped]
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import runwell.pyfunc
import runwell.sklearn
from runwell.models import environment
from runwell.models import inferred_requirements as inferred


def _fitted_pipeline() -> object:
    x = np.arange(40, dtype=float).reshape(20, 2)
    y = (x[:, 0] > 19).astype(int)
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(x, y)


def _requirement_names(model_dir: Path) -> list[str]:
    lines = (model_dir / "requirements.txt").read_text().splitlines()
    return [line.split("==")[0] for line in lines]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
def test_every_pickle_protocol_names_the_modules_of_its_classes(protocol: int) -> None:
    value = {"model": _fitted_pipeline(), "order": collections.OrderedDict(a=1)}
    found = inferred.modules_in_pickle(io.BytesIO(pickle.dumps(value, protocol=protocol)))
    assert {"sklearn", "numpy", "collections"} <= found


def test_memoized_module_names_are_followed() -> None:
    # Two objects of one class: the second refers to the memoized module/class strings.
    value = [LogisticRegression(), LogisticRegression(), np.zeros(2), np.ones(3)]
    found = inferred.modules_in_pickle(io.BytesIO(pickle.dumps(value, protocol=4)))
    assert found == {"sklearn", "numpy"}


def test_modules_a_by_value_function_uses_are_found() -> None:
    namespace: dict[str, object] = {}
    exec("import lightgbm\ndef predict(x):\n    return lightgbm.__version__, x\n", namespace)
    found = inferred.modules_in_pickle(io.BytesIO(cloudpickle.dumps(namespace["predict"])))
    assert "lightgbm" in found


def test_sources_are_parsed_for_absolute_imports_at_any_depth() -> None:
    source = textwrap.dedent(
        """
        import os, numpy.linalg as la
        from scipy import stats
        from . import sibling
        def f():
            import lightgbm
            from statsmodels.api import OLS
        """
    )
    assert inferred.modules_in_source(source) == {"os", "numpy", "scipy", "lightgbm", "statsmodels"}
    assert inferred.modules_in_source("def broken(:\n") == set()


def test_distributions_map_modules_and_leave_out_stdlib_local_and_unknown() -> None:
    found = inferred.distributions(
        ["sklearn", "yaml", "os", "json", "runwell", "no_such_module_xyz", "_pickle", "__main__"]
    )
    assert found == ["PyYAML", "scikit-learn"]


def test_a_model_directory_is_scanned_for_pickles_archives_skops_and_code(tmp_path: Path) -> None:
    (tmp_path / "model.pkl").write_bytes(pickle.dumps(LogisticRegression()))
    with zipfile.ZipFile(tmp_path / "weights.pth", "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(np.zeros(2)))
    code = tmp_path / "code"
    (code / "helpers").mkdir(parents=True)
    (code / "features.py").write_text("import statsmodels.api\nimport helpers\nimport features\n")
    (tmp_path / "broken.pkl").write_bytes(b"\x80\x04not a pickle")
    (tmp_path / "notes.txt").write_text("import lightgbm")  # not code: not scanned
    found = inferred.modules_in_model_dir(str(tmp_path), str(code))
    assert found == {"sklearn", "numpy", "statsmodels"}


def test_skops_files_list_the_modules_they_hold(tmp_path: Path) -> None:
    runwell.sklearn.save_model(_fitted_pipeline(), tmp_path / "m", serialization_format="skops")
    files = list((tmp_path / "m").glob("*.skops"))
    assert files, "the default format is skops"
    assert {"sklearn", "numpy"} <= inferred.modules_in_model_dir(str(tmp_path / "m"))


def test_a_python_model_needs_what_its_source_imports(tmp_path: Path) -> None:
    module = tmp_path / "lgbm_model.py"
    module.write_text(
        textwrap.dedent(
            """
            import runwell.pyfunc

            class Model(runwell.pyfunc.PythonModel):
                def predict(self, context, model_input, params=None):
                    import lightgbm
                    return model_input
            """
        )
    )
    sys.path.insert(0, str(tmp_path))
    try:
        import lgbm_model  # type: ignore[import-not-found]

        runwell.pyfunc.save_model(tmp_path / "m", python_model=lgbm_model.Model())
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("lgbm_model", None)
    names = _requirement_names(tmp_path / "m")
    assert names[:3] == ["runwell", "cloudpickle", "pandas"]
    assert "lightgbm" in names
    assert "lgbm-model" not in names and "lgbm_model" not in names


def test_a_pipeline_pickle_adds_its_libraries_once(tmp_path: Path) -> None:
    runwell.sklearn.save_model(
        _fitted_pipeline(), tmp_path / "m", serialization_format="cloudpickle"
    )
    names = _requirement_names(tmp_path / "m")
    assert names == ["runwell", "scikit-learn", "numpy", "scipy", "cloudpickle"]


def test_explicit_requirements_are_not_extended(tmp_path: Path) -> None:
    runwell.sklearn.save_model(
        _fitted_pipeline(), tmp_path / "m", pip_requirements=["scikit-learn", "lightgbm"]
    )
    assert _requirement_names(tmp_path / "m") == ["scikit-learn", "lightgbm"]


def test_pins_drop_local_version_labels() -> None:
    import torch

    assert "+" in torch.__version__  # the CPU build is installed as 2.13.0+cpu
    assert environment.pinned("torch") == f"torch=={torch.__version__.split('+')[0]}"
    assert environment.pinned("no-such-distribution-xyz") == "no-such-distribution-xyz"
