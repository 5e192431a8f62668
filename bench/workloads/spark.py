"""Batch inference on Spark: ``runwell.pyfunc.spark_udf`` against a plain pandas loop.

One operation measures both, in the same process, on the same rows: Spark scores a cached
DataFrame of ``--size`` rows (``spark.range`` with 8 feature columns computed from the id) with
``df.withColumn("p", udf(...))``, forced by a ``noop`` write, on a ``local[2]`` session; the
baseline predicts the same rows, held in a pandas DataFrame, with ``load_model(...).predict``
over chunks of 10,000 rows (Spark's default Arrow batch). The model and both sets of rows are
made before the clock starts, and one untimed repetition warms Spark's Python workers.

Each repetition also times a pandas UDF that returns zeros over the same columns: what Spark
itself costs to move the rows through Python and back, whatever the model (a detail); and the
pandas loop over chunks of 100,000 rows, the most the UDF gives one predict call (a detail).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import harness
import runwell.pyfunc
import runwell.sklearn
from runwell.pyfunc.spark_worker import PREDICT_ROWS

CHUNK = 10_000  # the pandas loop's chunk: spark.sql.execution.arrow.maxRecordsPerBatch
MULTIPLIERS = (7919, 104_729, 1_299_709, 15_485_863, 32_452_843, 49_979_687, 67_867_967, 86_028_121)
NAMES = tuple(f"f{i}" for i in range(len(MULTIPLIERS)))
MODULUS = 1009


def _frame(rows: int) -> Any:
    """The rows as pandas: feature i = ((id * MULTIPLIERS[i]) % 1009) / 1009, as Spark computes."""
    import numpy as np
    import pandas as pd

    ids = np.arange(rows, dtype=np.int64)
    return pd.DataFrame(
        {n: (ids * m % MODULUS) / MODULUS for n, m in zip(NAMES, MULTIPLIERS, strict=True)}
    )


def _spark_frame(spark: Any, rows: int) -> Any:
    from pyspark.sql import functions as sf

    features = [
        ((sf.col("id") * m) % MODULUS / float(MODULUS)).alias(n)
        for n, m in zip(NAMES, MULTIPLIERS, strict=True)
    ]
    return spark.range(rows).select("id", *features)


def _save_model(frame: Any, path: Path) -> str:
    from sklearn.ensemble import RandomForestClassifier

    train = frame.head(20_000)
    labels = ((train["f0"] + train["f1"] * train["f2"] - train["f3"]) > 0.3).astype(int)
    model = RandomForestClassifier(n_estimators=20, max_depth=8, random_state=0).fit(train, labels)
    runwell.sklearn.save_model(model, str(path), input_example=train.head(3))
    return str(path)


def _session() -> Any:
    from pyspark.sql import SparkSession

    os.environ["PYSPARK_PYTHON"] = os.environ["PYSPARK_DRIVER_PYTHON"] = sys.executable
    return (
        SparkSession.builder.master("local[2]")
        .appName("runwell-bench-spark-udf")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .getOrCreate()
    )


def _zeros_udf() -> Any:
    """A pandas UDF that predicts nothing (zeros): Spark's own cost of the round trip."""
    from collections.abc import Iterator

    import numpy as np
    import pandas as pd
    from pyspark.sql.pandas.functions import pandas_udf

    def zeros(batches: Iterator[Any]) -> Iterator[Any]:
        for batch in batches:
            yield pd.Series(np.zeros(len(batch[0]), dtype=np.int64))

    # Real objects, not this module's postponed strings: pyspark reads the hints to pick
    # the UDF kind, and pandas is not among this module's globals.
    zeros.__annotations__ = {
        "batches": Iterator[tuple[pd.Series, ...]],
        "return": Iterator[pd.Series],
    }
    return pandas_udf(zeros, returnType="long")  # type: ignore[call-overload]


def _noop_write(frame: Any) -> float:
    with harness.Stopwatch() as watch:
        frame.write.format("noop").mode("overwrite").save()
    return watch.seconds


def spark_udf(args: harness.Args) -> None:
    """``args.size`` rows through ``spark_udf`` and through the pandas loop, per repetition."""
    rows = args.size
    spark_seconds: list[float] = []
    loop_seconds: list[float] = []
    floor_seconds: list[float] = []
    wide_seconds: list[float] = []
    cold = 0.0
    with harness.fresh_dir() as tmp:
        frame = _frame(rows)
        path = _save_model(frame, tmp / "model")
        model = runwell.pyfunc.load_model(path)
        spark = _session()
        try:
            source = _spark_frame(spark, rows).cache()  # in memory, as the pandas rows are
            source.count()
            udf = runwell.pyfunc.spark_udf(spark, path)
            zeros = _zeros_udf()
            partitions = source.rdd.getNumPartitions()
            for rep in range(args.reps + 1):
                seconds = _noop_write(source.withColumn("p", udf(*NAMES)))
                with harness.Stopwatch() as loop:
                    for start in range(0, rows, CHUNK):
                        model.predict(frame.iloc[start : start + CHUNK])
                floor = _noop_write(source.withColumn("p", zeros(*NAMES)))
                with harness.Stopwatch() as wide:
                    for start in range(0, rows, PREDICT_ROWS):
                        model.predict(frame.iloc[start : start + PREDICT_ROWS])
                if rep:  # the first repetition starts the Python workers: reported apart
                    spark_seconds.append(seconds)
                    loop_seconds.append(loop.seconds)
                    floor_seconds.append(floor)
                    wide_seconds.append(wide.seconds)
                else:
                    cold = seconds
        finally:
            spark.stop()
    harness.emit(
        spark_seconds,
        rows,
        baseline_seconds=loop_seconds,
        zeros_udf_seconds=[round(s, 3) for s in floor_seconds],
        loop_100k_chunks_seconds=[round(s, 3) for s in wide_seconds],
        first_spark_run_s=round(cold, 2),
        partitions=partitions,
        model="RandomForestClassifier(20 trees, depth 8), 8 double features",
        result_type=str(udf.result_type.simpleString()),
    )
