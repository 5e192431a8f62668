"""``EvaluationResult`` and its artifacts: each has a ``uri`` and a ``content``.

Content is what was logged, read back lazily from the artifact store when a result was built
from URIs alone: a PIL image for ``.png``, a DataFrame for tables and ``.csv``, parsed JSON,
a numpy array for ``.npy``, else the file's text.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse


class EvaluationArtifact:
    """A file an evaluation logged: its artifact ``uri`` and its ``content``."""

    def __init__(self, uri: str, content: Any = None) -> None:
        self._uri = uri
        self._content = content

    @property
    def uri(self) -> str:
        return self._uri

    @property
    def content(self) -> Any:
        if self._content is None:
            from runwell.artifacts import download_artifacts

            self._content = self._read(download_artifacts(artifact_uri=self._uri))
        return self._content

    @classmethod
    def from_file(cls, uri: str, path: str) -> EvaluationArtifact:
        """An artifact at ``uri`` whose content is read now from the local copy ``path``."""
        artifact = cls(uri)
        artifact._content = artifact._read(path)
        return artifact

    def _read(self, path: str) -> Any:
        with open(path, encoding="utf-8") as handle:
            return handle.read()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(uri={self._uri!r})"


class ImageEvaluationArtifact(EvaluationArtifact):
    def _read(self, path: str) -> Any:
        from PIL import Image

        with Image.open(path) as image:
            image.load()
            return image


class JsonEvaluationArtifact(EvaluationArtifact):
    def _read(self, path: str) -> Any:
        import json

        with open(path, encoding="utf-8") as handle:
            return json.load(handle)


class TableEvaluationArtifact(JsonEvaluationArtifact):
    """A ``log_table`` table (MLflow's ``{"columns", "data"}`` JSON); content is a DataFrame."""

    def _read(self, path: str) -> Any:
        import pandas as pd

        payload = super()._read(path)
        return pd.DataFrame(payload["data"], columns=payload["columns"])


class CsvEvaluationArtifact(EvaluationArtifact):
    def _read(self, path: str) -> Any:
        import pandas as pd

        return pd.read_csv(path)


class NumpyEvaluationArtifact(EvaluationArtifact):
    def _read(self, path: str) -> Any:
        import numpy as np

        return np.load(path, allow_pickle=False)


def artifact_for(uri: str, content: Any = None) -> EvaluationArtifact:
    """The artifact class that reads a file of this name."""
    extension = os.path.splitext(uri)[1].lower()
    kind = {
        ".png": ImageEvaluationArtifact,
        ".json": JsonEvaluationArtifact,
        ".csv": CsvEvaluationArtifact,
        ".npy": NumpyEvaluationArtifact,
    }.get(extension, EvaluationArtifact)
    return kind(uri, content)


class EvaluationResult:
    """What ``evaluate`` returns: scalar ``metrics``, ``artifacts`` by name, and the run.

    ``baseline_model_metrics`` holds the baseline's metrics when ``baseline_model`` was given.
    """

    def __init__(
        self,
        metrics: Mapping[str, float],
        artifacts: Mapping[str, EvaluationArtifact],
        run_id: str | None = None,
        baseline_model_metrics: Mapping[str, float] | None = None,
    ) -> None:
        self._metrics = dict(metrics)
        self._artifacts = dict(artifacts)
        self._run_id = run_id
        self.baseline_model_metrics = (
            None if baseline_model_metrics is None else dict(baseline_model_metrics)
        )

    @property
    def metrics(self) -> dict[str, float]:
        return self._metrics

    @property
    def artifacts(self) -> dict[str, EvaluationArtifact]:
        return self._artifacts

    @property
    def run_id(self) -> str | None:
        return self._run_id

    @property
    def tables(self) -> dict[str, Any]:
        """The table artifacts (``eval_results_table`` ...) as pandas DataFrames."""
        return {
            name: artifact.content
            for name, artifact in self._artifacts.items()
            if isinstance(artifact, TableEvaluationArtifact)
        }

    def save(self, path: str) -> None:
        """Write ``metrics.json``, ``artifacts_metadata.json`` and a copy of each artifact's
        file under ``artifacts/`` into the folder ``path`` (MLflow's layout)."""
        from runwell.artifacts import download_artifacts

        folder = os.path.join(path, "artifacts")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(path, "metrics.json"), "w", encoding="utf-8") as handle:
            json.dump(self._metrics, handle)
        meta = {
            name: {"uri": a.uri, "class_name": type(a).__name__}
            for name, a in self._artifacts.items()
        }
        with open(os.path.join(path, "artifacts_metadata.json"), "w", encoding="utf-8") as handle:
            json.dump(meta, handle)
        for artifact in self._artifacts.values():
            download_artifacts(artifact_uri=artifact.uri, dst_path=folder)

    @classmethod
    def load(cls, path: str) -> EvaluationResult:
        """A result ``save`` wrote; artifact contents are read from its copies."""
        with open(os.path.join(path, "metrics.json"), encoding="utf-8") as handle:
            metrics = json.load(handle)
        with open(os.path.join(path, "artifacts_metadata.json"), encoding="utf-8") as handle:
            meta = json.load(handle)
        artifacts = {}
        for name, entry in meta.items():
            # MLflow records a dotted class path; the last part names the kind either way.
            kind = _KINDS.get(str(entry["class_name"]).rsplit(".", 1)[-1], EvaluationArtifact)
            local = os.path.join(path, "artifacts", posixpath.basename(urlparse(entry["uri"]).path))
            artifacts[name] = kind.from_file(entry["uri"], local)
        return cls(metrics, artifacts)

    def __repr__(self) -> str:
        return f"EvaluationResult(run_id={self._run_id!r}, metrics={self._metrics!r})"


_KINDS: dict[str, type[EvaluationArtifact]] = {
    kind.__name__: kind
    for kind in (
        EvaluationArtifact,
        ImageEvaluationArtifact,
        JsonEvaluationArtifact,
        TableEvaluationArtifact,
        CsvEvaluationArtifact,
        NumpyEvaluationArtifact,
    )
}
