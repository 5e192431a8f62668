"""The end of an autologged boosting run, in autolog's background thread (worker.py).

``ModelJob`` gets a copy of the trained model (a booster or a scikit-learn API estimator) and
the training data the call got, and logs, each part on its own (one that fails is one warning
and the others still run):

- per importance type: ``feature_importance_<type>.json`` ({feature: importance}) and
  ``feature_importance_<type>.png``, a bar plot of the ``MAX_PLOTTED`` largest (matplotlib,
  drawn on an Agg canvas without pyplot, so the user's figures and backend are left alone;
  matplotlib is imported only here);
- the training data as a run input (``mlflow.data.context=train``);
- the model ``model`` with the flavor's ``save_model``, its signature and an input example.

The training arrays are read here, after training returned, as the scikit-learn job does.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from runwell.autologging import patching
from runwell.autologging.config import AutologConfig
from runwell.autologging.models import log_model_to_run
from runwell.autologging.session import RunScope
from runwell.entities import DatasetInput, InputTag
from runwell.models.model import Model
from runwell.models.signature import signature_from_example

if TYPE_CHECKING:
    from runwell.autologging.boosting import Library

EXAMPLE_ROWS = 5
MAX_PLOTTED = 50
DATASET_CONTEXT = "mlflow.data.context"
PATHS = (str, bytes, os.PathLike)  # training data in a file: neither described nor sampled

# (number of rows or None for all) -> (features, targets); features None when unreadable.
Reader = Callable[[int | None], tuple[Any, Any]]


@dataclass(frozen=True)
class TrainingData:
    """The training data of one call, read lazily (in the background thread)."""

    read: Reader

    @classmethod
    def of(cls, features: Any, targets: Any) -> TrainingData:
        """Arrays or a DataFrame as the user passed them (scipy sparse: not described)."""

        def read(rows: int | None) -> tuple[Any, Any]:
            if features is None or hasattr(features, "tocsr") or isinstance(features, PATHS):
                return None, targets
            if rows is None:
                return features, targets
            if hasattr(features, "iloc"):
                return features.iloc[:rows], targets
            return features[:rows], targets

        return cls(read)


@dataclass(frozen=True)
class ModelJob:
    """Importances, dataset and model of one trained model (see the module docstring)."""

    library: Library
    scope: RunScope
    settings: AutologConfig
    model: Any
    data: TrainingData | None

    def __call__(self) -> None:
        booster = None
        try:
            booster = self.library.booster_of(self.model)
        except Exception as exc:
            patching.report_failure(self.library.name, "reading the booster", exc)
        types = importance_types(self.settings)
        if booster is not None:
            for kind in types:
                self._attempt(
                    f"logging the {kind} feature importance",
                    functools.partial(self._log_importance, booster, kind),
                )
        if self.settings.log_datasets and self.data is not None:
            self._attempt("logging the training dataset", self._log_dataset)
        if self.settings.log_models:
            self._attempt(
                "logging the model",
                lambda: self._log_model(self.settings.option("registered_model_name")),
            )

    def _attempt(self, what: str, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:
            patching.report_failure(self.library.name, what, exc)

    def _log_importance(self, booster: Any, kind: str) -> None:
        values = {str(k): float(v) for k, v in self.library.importance(booster, kind).items()}
        client, run_id = self.scope.client, self.scope.run_id
        client.log_dict(run_id, values, f"feature_importance_{kind}.json")
        if values:
            figure = importance_figure(values, kind)
            client.log_figure(run_id, figure, f"feature_importance_{kind}.png")

    def _log_dataset(self) -> None:
        assert self.data is not None
        features, targets = self.data.read(None)
        dataset = dataset_of(features, targets)
        if dataset is None:
            return
        used = DatasetInput(dataset=dataset, tags=(InputTag(key=DATASET_CONTEXT, value="train"),))
        self.scope.client.log_inputs(self.scope.run_id, [used])

    def _log_model(self, registered_model_name: str | None) -> None:
        settings = self.settings
        example = None
        if self.data is not None and (settings.log_input_examples or settings.log_model_signatures):
            example = self.data.read(EXAMPLE_ROWS)[0]
        signature = None
        if (
            example is not None
            and settings.log_model_signatures
            and not settings.log_input_examples
        ):
            signature = signature_from_example(self.library.predict(self.model), example)
        given = example if settings.log_input_examples else None

        def save(path: str, model: Model) -> None:
            self.library.save(self.model, path, model, signature, given, settings)

        log_model_to_run(self.scope, "model", save, registered_model_name=registered_model_name)


def importance_types(settings: AutologConfig) -> list[str]:
    found = settings.extra.get("importance_types")
    return [str(kind) for kind in found] if found is not None else []


def dataset_of(features: Any, targets: Any) -> Any:
    """A Dataset describing a DataFrame or an array (None for other inputs)."""
    from runwell import data

    if features is None:
        return None
    if type(features).__name__ == "DataFrame":
        return data.from_pandas(features)
    import numpy as np

    array = np.asarray(features)
    if array.dtype == object:
        return None
    labels = None if targets is None else np.asarray(targets)
    if labels is not None and labels.dtype == object:
        labels = labels.astype(str)  # hash the labels, not the addresses of the objects
    return data.from_numpy(array, targets=labels)


def importance_figure(values: Mapping[str, float], kind: str) -> Any:
    """A horizontal bar plot of the largest importances (a matplotlib Figure, Agg canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    top = sorted(values.items(), key=lambda item: item[1])[-MAX_PLOTTED:]
    figure = Figure(figsize=(6.4, max(2.4, 0.28 * len(top) + 1.2)), layout="tight")
    FigureCanvasAgg(figure)
    axes = figure.subplots()
    positions = list(range(len(top)))
    axes.barh(positions, [value for _, value in top], align="center")
    axes.set_yticks(positions, [name for name, _ in top])
    axes.set_xlabel(f"importance ({kind})")
    shown = f", top {len(top)} of {len(values)}" if len(values) > len(top) else ""
    axes.set_title(f"Feature importance: {kind}{shown}")
    return figure
