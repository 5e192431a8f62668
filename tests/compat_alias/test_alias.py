"""The mlflow alias: what ``import mlflow`` resolves to, when it is on, and that it never shadows.

Each case runs in a fresh interpreter (tests/compat_alias/scripts.py), since the alias is
process-wide and RUNWELL_MLFLOW_ALIAS acts at interpreter start; a few in-process tests take
it out again afterwards. This environment has no real mlflow, so without the alias ``import
mlflow`` fails: the first test checks that, or every other test here would prove nothing.
"""

from __future__ import annotations

import importlib
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest

import runwell
import runwell.compat
from runwell.compat import install_mlflow_alias, mlflow_alias_installed, uninstall_mlflow_alias
from runwell.store import validation
from tests.compat_alias.scripts import Alias, last_json, run_python

NAMES = """
    import json, runwell
    import mlflow
    import mlflow.utils.validation as validation
    from mlflow.entities import Metric, Param, RunTag
    from mlflow.exceptions import MlflowException
    from mlflow.tracking import MlflowClient, context
    from mlflow.tracking.context.registry import resolve_tags
    from mlflow.utils.mlflow_tags import MLFLOW_RUN_NAME
    try:
        import mlflow.no_such_module
        missing = "imported"
    except ModuleNotFoundError as error:
        missing = error.name
    with mlflow.start_run(run_name="aliased") as run:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metrics({"loss": 0.25}, step=1)
    stored = runwell.get_run(run.info.run_id)
    print(json.dumps({
        "client": MlflowClient is runwell.RunwellClient,
        "entities": [Metric, Param, RunTag] == [runwell.Metric, runwell.Param, runwell.RunTag],
        "exception": MlflowException is runwell.RunwellError,
        "run_name_tag": MLFLOW_RUN_NAME,
        "max_param": validation.MAX_PARAM_VAL_LENGTH,
        "max_tag": mlflow.utils.validation.MAX_TAG_VAL_LENGTH,
        "per_batch": validation.MAX_PARAMS_TAGS_PER_BATCH,
        "version": mlflow.__version__,
        "context_has_resolve_tags": hasattr(context, "resolve_tags"),
        "resolved": resolve_tags({"mine": "x"}),
        "missing": missing,
        "sklearn": mlflow.sklearn.__name__,
        "params": stored.data.param_dict,
        "metrics": stored.data.metric_dict,
        "name": stored.info.run_name,
    }))
"""

FAKE_MLFLOW = '__version__ = "9.9.9"\nREAL = True\n'


def _fake_mlflow(root: Path) -> Path:
    """A directory holding a package called mlflow, as a real installation would."""
    package = root / "mlflow"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(FAKE_MLFLOW, encoding="utf-8")
    return root


def test_this_environment_has_no_mlflow_without_the_alias(tmp_path: Path) -> None:
    done = run_python("import runwell, runwell.compat\nimport mlflow\n", tmp_path, alias=None)
    assert done.returncode != 0
    assert "No module named 'mlflow'" in done.stderr


@pytest.mark.parametrize("alias", ["env", "call"])
def test_mlflow_names_resolve_to_runwell(tmp_path: Path, alias: Alias) -> None:
    out = last_json(run_python(NAMES, tmp_path, alias=alias))
    assert out["client"] and out["entities"] and out["exception"]
    assert out["run_name_tag"] == "mlflow.runName"
    assert out["max_param"] == validation.MAX_PARAM_VALUE_LENGTH
    assert out["max_tag"] == validation.MAX_TAG_VALUE_LENGTH
    assert out["per_batch"] == validation.MAX_PARAMS_PER_BATCH
    assert out["version"] == f"3.17.2+runwell.{runwell.__version__}"
    assert out["context_has_resolve_tags"]
    assert out["resolved"]["mine"] == "x" and "mlflow.user" in out["resolved"]
    assert out["missing"] == "mlflow.no_such_module"
    assert out["sklearn"] == "mlflow.sklearn"
    assert out["params"] == {"alpha": "0.5"}
    assert out["metrics"] == {"loss": 0.25}
    assert out["name"] == "aliased"


@pytest.mark.parametrize("value", ["0", "false", ""])
def test_the_variable_turned_off_leaves_mlflow_unimportable(tmp_path: Path, value: str) -> None:
    done = run_python(
        "import mlflow\n", tmp_path, alias=None, extra_env={"RUNWELL_MLFLOW_ALIAS": value}
    )
    assert "No module named 'mlflow'" in done.stderr


def test_a_real_mlflow_on_the_path_wins_over_the_variable(tmp_path: Path) -> None:
    fake = _fake_mlflow(tmp_path / "site")
    script = """
        import json, mlflow
        from runwell.compat import mlflow_alias_installed
        print(json.dumps({"real": getattr(mlflow, "REAL", False),
                          "installed": mlflow_alias_installed()}))
    """
    done = run_python(script, tmp_path, alias="env", extra_env={"PYTHONPATH": str(fake)})
    assert last_json(done) == {"real": True, "installed": False}
    assert done.stderr.count("MlflowAliasWarning") == 1
    assert f"A real mlflow is importable ({fake / 'mlflow' / '__init__.py'})" in done.stderr


def test_install_refuses_a_real_mlflow_and_says_so_once(tmp_path: Path) -> None:
    fake = _fake_mlflow(tmp_path / "site")
    script = """
        import json
        from runwell.compat import install_mlflow_alias, real_mlflow_spec
        first = install_mlflow_alias()
        second = install_mlflow_alias()
        import mlflow
        print(json.dumps({"calls": [first, second], "origin": real_mlflow_spec().origin,
                          "real": getattr(mlflow, "REAL", False)}))
    """
    done = run_python(script, tmp_path, alias=None, extra_env={"PYTHONPATH": str(fake)})
    out = last_json(done)
    assert out == {
        "calls": [False, False],
        "origin": str(fake / "mlflow" / "__init__.py"),
        "real": True,
    }
    assert done.stderr.count("MlflowAliasWarning") == 1
    assert "stays off" in done.stderr


def test_a_real_mlflow_that_appears_after_install_still_wins(tmp_path: Path) -> None:
    fake = _fake_mlflow(tmp_path / "later")
    script = f"""
        import json, sys
        sys.path.insert(0, {str(fake)!r})
        import mlflow
        try:
            import mlflow.entities  # the fake has none, and runwell's must not stand in
            entities = "served"
        except ModuleNotFoundError:
            entities = "missing"
        print(json.dumps({{"real": getattr(mlflow, "REAL", False), "entities": entities}}))
    """
    out = last_json(run_python(script, tmp_path, alias="call"))
    assert out == {"real": True, "entities": "missing"}


def test_import_runwell_alone_installs_nothing(tmp_path: Path) -> None:
    script = """
        import json, sys, runwell, runwell.compat
        print(json.dumps({"installed": runwell.compat.mlflow_alias_installed(),
                          "mlflow": "mlflow" in sys.modules}))
    """
    assert last_json(run_python(script, tmp_path, alias=None)) == {
        "installed": False,
        "mlflow": False,
    }


def test_the_startup_hook_is_installed_beside_the_packages() -> None:
    source = Path(runwell.compat.__file__).with_name("runwell_mlflow_alias.pth")
    installed = Path(sysconfig.get_paths()["purelib"]) / "runwell_mlflow_alias.pth"
    assert installed.exists(), "reinstall runwell (uv pip install -e .) to get the .pth hook"
    if source.exists():  # an editable install: the hook is a copy of the checkout's file
        assert installed.read_text(encoding="utf-8") == source.read_text(encoding="utf-8")


@pytest.fixture
def alias() -> Iterator[None]:
    assert install_mlflow_alias()
    yield
    uninstall_mlflow_alias()


@pytest.mark.usefixtures("alias")
def test_alias_modules_read_through_to_runwell_and_go_away_on_uninstall() -> None:
    mlflow = importlib.import_module("mlflow")
    assert mlflow.entities.Param is runwell.Param
    assert mlflow.log_param is runwell.log_param
    assert "log_param" in dir(mlflow) and "entities" in dir(mlflow)
    assert (
        repr(mlflow) == "<module 'mlflow' (runwell's mlflow alias: runwell.compat.mlflow, runwell)>"
    )
    with pytest.raises(AttributeError, match="'mlflow' has no attribute 'no_such_name'"):
        mlflow.no_such_name  # noqa: B018
    with pytest.raises(AttributeError, match="__file__"):
        mlflow.__file__  # noqa: B018  (runwell's own dunders are not the alias's)
    assert install_mlflow_alias()  # idempotent
    uninstall_mlflow_alias()
    assert not mlflow_alias_installed()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("mlflow.entities")


FLAVOR_AUTOLOG = """
import json, sys
import mlflow, mlflow.sklearn, mlflow.xgboost, mlflow.lightgbm, mlflow.pytorch
from sklearn.linear_model import LogisticRegression
mlflow.set_tracking_uri(sys.argv[1])
mlflow.sklearn.autolog()
with mlflow.start_run() as run:
    LogisticRegression(C=0.7).fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])
found = mlflow.MlflowClient().get_run(run.info.run_id)
print(json.dumps({
    "callable": [callable(m.autolog) for m in (mlflow.sklearn, mlflow.xgboost, mlflow.lightgbm,
                                               mlflow.pytorch)],
    "C": found.data.params.get("C"),
    "estimator": found.data.tags.get("estimator_name"),
}))
"""


@pytest.mark.parametrize("alias", ["env", "call"])
def test_each_flavors_autolog_is_the_function_not_its_module(tmp_path: Path, alias: Alias) -> None:
    """`mlflow.sklearn.autolog()` under the alias: runwell/sklearn/autolog.py exists too, and
    the alias once served that module, which is not callable."""
    uri = f"sqlite:///{tmp_path / 'runwell.db'}"
    out = last_json(run_python(FLAVOR_AUTOLOG, tmp_path, alias=alias, args=(uri,)))
    assert out == {"callable": [True] * 4, "C": "0.7", "estimator": "LogisticRegression"}
