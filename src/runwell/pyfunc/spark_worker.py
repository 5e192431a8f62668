"""The executor side of ``spark_udf``: where a Python worker finds the model, its cache, and
the iterator pandas UDF that predicts each Arrow batch.

Everything here is pickled with the UDF by reference to this module, so the cache below is
the worker process's own: Spark reuses Python workers across tasks
(``spark.python.worker.reuse``, on by default), so each loads a model once per ``spark_udf``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from runwell.errors import InvalidArgument
from runwell.pyfunc.pyfunc_model import PyFuncModel, load_model


@dataclass(frozen=True)
class ModelFiles:
    """Where a Python worker finds the model (a directory, or an archive in SparkFiles), and
    what the driver decided its loading may do (runwell.models.trust): the workers' copy is a
    local directory, which alone would count as the user's own."""

    token: str
    directory: str | None = None
    archive: str | None = None
    allow_pickle: bool = True
    skops_trusted_types: tuple[str, ...] = ()

    def local_directory(self) -> str:
        if self.directory is not None:
            return self.directory
        assert self.archive is not None
        return _unpacked(self.archive, self.token)


@dataclass(frozen=True)
class BatchPlan:
    """What the pandas UDF needs on the executors (pickled with it)."""

    files: ModelFiles
    result_type: Any
    params: dict[str, Any] | None
    names: tuple[str, ...]  # the input name of each column passed (a struct keeps its own)


# One predict call takes consecutive Arrow batches up to this many rows or bytes of input.
PREDICT_ROWS = 100_000
PREDICT_BYTES = 64 * 1024 * 1024

_MODELS: dict[str, PyFuncModel] = {}
_MODELS_LOCK = threading.Lock()


def _cached_model(files: ModelFiles) -> PyFuncModel:
    with _MODELS_LOCK:
        model = _MODELS.get(files.token)
        if model is None:
            model = load_model(
                files.local_directory(),
                allow_pickle=files.allow_pickle,
                skops_trusted_types=files.skops_trusted_types,
            )
            _MODELS[files.token] = model
        return model


def _unpacked(archive: str, token: str) -> str:
    """The shipped model unzipped once per executor (workers racing to it agree on one)."""
    from pyspark import SparkFiles

    root = SparkFiles.getRootDirectory()
    target = os.path.join(root, f"runwell-model-{token}")
    if os.path.isdir(target):
        return target
    staging = tempfile.mkdtemp(prefix=".runwell-model-", dir=root)
    shutil.unpack_archive(SparkFiles.get(archive), staging, "zip")
    try:
        os.rename(staging, target)
    except OSError:  # another worker of this executor renamed its copy first
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _input_frame(batch: Any, names: tuple[str, ...]) -> Any:
    """The model input of one Arrow batch: a Series, a struct's DataFrame, or a tuple of them."""
    import numpy as np
    import pandas as pd

    if isinstance(batch, pd.DataFrame):
        return batch
    if isinstance(batch, pd.Series):
        return batch.to_frame(names[0])
    if any(isinstance(part, pd.DataFrame) for part in batch):
        raise InvalidArgument(
            "spark_udf takes a struct column alone, udf(struct(...)), not beside other columns."
        )
    # numpy columns without a copy: a tenth of what building from the Series costs
    columns = {
        name: part.to_numpy() if isinstance(part.dtype, np.dtype) else part.array
        for name, part in zip(names, batch, strict=True)
    }
    return pd.DataFrame(columns, copy=False)


def _predict_batches(batches: Iterator[Any], plan: BatchPlan) -> Iterator[Any]:
    """Predictions for each Arrow batch, in order, from one predict call per group of batches.

    Spark's batches (10,000 rows by default) are small for a model: a predict call has a fixed
    cost (a forest of 20 trees spends half its time on it at 10,000 rows), so consecutive
    batches are grouped up to PREDICT_ROWS rows or PREDICT_BYTES of input, predicted at once,
    and the predictions handed back cut to the batches' own sizes. An iterator UDF may yield
    behind its input: Spark pairs the outputs with its rows in order.
    """
    model = _cached_model(plan.files)
    frames: list[Any] = []
    rows = size = 0
    for batch in batches:
        frame = _input_frame(batch, plan.names)
        frames.append(frame)
        rows += len(frame)
        size += int(frame.memory_usage(index=False, deep=False).sum())
        if rows >= PREDICT_ROWS or size >= PREDICT_BYTES:
            yield from _predict_group(model, frames, plan)
            frames, rows, size = [], 0, 0
    if frames:
        yield from _predict_group(model, frames, plan)


def _predict_group(model: PyFuncModel, frames: list[Any], plan: BatchPlan) -> Iterator[Any]:
    import pandas as pd

    from runwell.pyfunc.spark_convert import to_spark

    if len(frames) == 1:
        yield to_spark(model.predict(frames[0], plan.params), plan.result_type, len(frames[0]))
        return
    group = pd.concat(frames, ignore_index=True)
    predictions = to_spark(model.predict(group, plan.params), plan.result_type, len(group))
    start = 0
    for frame in frames:
        end = start + len(frame)
        yield predictions.iloc[start:end].reset_index(drop=True)
        start = end


def pandas_udf(plan: BatchPlan) -> Any:
    """The iterator pandas UDF that predicts with ``plan`` (made per call: plans differ)."""
    from typing import Tuple, Union  # noqa: UP035  (older pyspark reads typing.Tuple only)

    import pandas as pd
    from pyspark.sql.pandas.functions import pandas_udf as make_pandas_udf

    def runwell_predict(batches: Iterator[Any]) -> Iterator[Any]:
        return _predict_batches(batches, plan)

    # pyspark picks the UDF kind from these hints: an iterator of Series, DataFrames (a struct
    # argument) or tuples of them (several arguments) to an iterator of results.
    runwell_predict.__annotations__ = {
        "batches": Iterator[Tuple[Union[pd.Series, pd.DataFrame], ...]],  # noqa: UP006, UP007
        "return": Iterator[pd.Series],
    }
    return make_pandas_udf(runwell_predict, returnType=plan.result_type)  # type: ignore[call-overload]


def ship_model(spark: Any, directory: str, token: str) -> str:
    """Zip the model directory and add it to the job's files; the archive's file name."""
    staging = tempfile.mkdtemp(prefix="runwell-spark-")
    archive = shutil.make_archive(os.path.join(staging, f"runwell-model-{token}"), "zip", directory)
    spark.sparkContext.addFile(archive)
    return os.path.basename(archive)
