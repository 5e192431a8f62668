"""Custom artifacts: ``custom_artifacts=[fn, ...]``, each ``fn(eval_df, builtin_metrics,
artifacts_dir)`` returning ``{name: object}``.

``eval_df`` has ``prediction`` (and ``target``) columns, ``builtin_metrics`` maps each metric
name to its MetricValue, and ``artifacts_dir`` is an empty folder the function may write into.
An object is logged as ``<name><ext>``: a path to an existing ``.png/.jpg/.jpeg/.json/.npy/
.csv/.txt`` file (copied), a DataFrame (``.csv``), a numpy array (``.npy``), a matplotlib
figure (``.png``), a JSON string or any JSON-serialisable value (``.json``). Unlike MLflow,
runwell does not pickle other objects: it refuses them, naming the function and artifact.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from runwell.errors import InvalidArgument
from runwell.evaluation.result import EvaluationArtifact, artifact_for
from runwell.tracking.fluent_artifacts import log_artifact

if TYPE_CHECKING:
    from runwell.evaluation.dataset import EvalData
    from runwell.evaluation.evaluator import Evaluation

_FILE_SUFFIXES = (".png", ".jpg", ".jpeg", ".json", ".npy", ".csv", ".txt")


def check_custom_artifacts(custom_artifacts: Any) -> list[Any]:
    if custom_artifacts is None:
        return []
    if not isinstance(custom_artifacts, (list, tuple)) or not all(
        callable(f) for f in custom_artifacts
    ):
        raise InvalidArgument(
            "Invalid custom_artifacts: expected a list of functions "
            "fn(eval_df, builtin_metrics, artifacts_dir) -> {name: artifact}."
        )
    return list(custom_artifacts)


def log_custom_artifacts(
    functions: Sequence[Any],
    evaluation: Evaluation,
    data: EvalData,
    run_id: str,
    base_uri: str,
    folder: str,
    prefix: str,
) -> dict[str, EvaluationArtifact]:
    import pandas as pd

    logged: dict[str, EvaluationArtifact] = {}
    eval_df = pd.DataFrame({"prediction": pd.Series(evaluation.y_pred).to_numpy()})
    if data.labels is not None:
        eval_df["target"] = data.labels
    for index, function in enumerate(functions):
        label = f"custom artifact function '{getattr(function, '__name__', function)}' (#{index})"
        with tempfile.TemporaryDirectory(prefix="runwell-custom-") as scratch:
            produced = function(eval_df.copy(), copy.deepcopy(evaluation.values), scratch)
            if produced is None:
                continue
            if not isinstance(produced, dict) or not all(isinstance(k, str) for k in produced):
                raise InvalidArgument(
                    f"The {label} returned {type(produced).__name__}: expected a dict of "
                    "artifact name -> artifact."
                )
            for name, value in produced.items():
                suffix = _write(value, os.path.join(folder, prefix + name), label, name)
                file = f"{prefix}{name}{suffix}"
                log_artifact(os.path.join(folder, file), run_id=run_id)
                logged[name] = artifact_for(f"{base_uri}/{file}")
    return logged


def _write(value: Any, stem: str, label: str, name: str) -> str:
    """Write ``value`` to ``stem`` + the suffix its kind gets; the suffix."""
    import numpy as np
    import pandas as pd

    if isinstance(value, str) and os.path.exists(value):
        suffix = os.path.splitext(value)[1].lower()
        if not os.path.isfile(value) or suffix not in _FILE_SUFFIXES:
            raise InvalidArgument(
                f"The {label} produced artifact '{name}' at '{value}', which is not a file "
                f"ending in one of {', '.join(_FILE_SUFFIXES)}."
            )
        shutil.copyfile(value, stem + suffix)
        return suffix
    if isinstance(value, pd.DataFrame):
        value.to_csv(stem + ".csv", index=False)
        return ".csv"
    if isinstance(value, np.ndarray):
        np.save(stem + ".npy", value, allow_pickle=False)
        return ".npy"
    if type(value).__module__.startswith("matplotlib") and hasattr(value, "savefig"):
        value.savefig(stem + ".png")
        return ".png"
    if isinstance(value, str):
        try:
            json.loads(value)
        except ValueError:
            raise InvalidArgument(
                f"The {label} produced artifact '{name}' as the string {value[:80]!r}, which is "
                "neither an existing file nor JSON."
            ) from None
        text = value
    else:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError):
            raise InvalidArgument(
                f"The {label} produced artifact '{name}' of type {type(value).__name__}: expected "
                "a file path, DataFrame, numpy array, matplotlib figure or JSON-serialisable value."
            ) from None
    with open(stem + ".json", "w", encoding="utf-8") as handle:
        handle.write(text)
    return ".json"
