"""``spark_udf``: score a Spark DataFrame with any pyfunc model, as ``mlflow.pyfunc.spark_udf``.

    udf = runwell.pyfunc.spark_udf(spark, "models:/wine@champion", result_type="double")
    scored = df.withColumn("prediction", udf("alcohol", "acidity"))  # or udf(struct(...)), udf()

How it runs:

- On the driver, once: the model URI is resolved and downloaded, whether its pickles may be
  loaded is decided (runwell.models.trust; ``allow_pickle``), MLmodel is read (signature,
  params) and the result type is fixed. With a ``local`` master the Python workers read that
  directory; on a cluster it is zipped and shipped with ``SparkContext.addFile``, and each
  executor unzips it once beside its SparkFiles.
- On the executors: an iterator pandas UDF. Each Python worker loads the model on its first
  batch and keeps it (a module-level cache keyed by the UDF, which outlives tasks because Spark
  reuses its Python workers), then predicts Spark's Arrow batches
  (``spark.sql.execution.arrow.maxRecordsPerBatch`` rows, 10,000 by default) through
  ``PyFuncModel.predict``, so the signature is enforced exactly as in a local predict.
  Consecutive batches are predicted together, up to 100,000 rows or 64 MiB of input per call
  (a predict call's fixed cost is large beside 10,000 rows), and the predictions are handed
  back batch by batch, in order.
- Columns: ``udf("a", "b")`` or ``udf(col("a"), ...)`` are named after the signature's
  inputs, by position (as MLflow does); without a signature they keep their own names.
  ``udf(struct(...))`` passes the struct's fields by their names, and ``udf()`` means the
  signature's input names. Separate columns cross to Python faster than one struct (pyspark
  converts a struct to a DataFrame field by field).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import trust
from runwell.models.enforcement import enforce_params
from runwell.models.flavor import PYFUNC_FLAVOR
from runwell.models.model import Model
from runwell.pyfunc.spark_worker import BatchPlan, ModelFiles, pandas_udf, ship_model

ENV_MANAGERS = ("local",)


class SparkModelUDF:
    """What ``spark_udf`` returns: call it with columns to get the prediction Column."""

    def __init__(
        self,
        model_uri: str,
        metadata: Model,
        files: ModelFiles,
        result_type: Any,
        params: dict[str, Any] | None,
    ) -> None:
        self.model_uri = model_uri
        self.metadata = metadata
        self.result_type = result_type
        self._files = files
        self._params = params

    def __repr__(self) -> str:
        return f"SparkModelUDF({self.model_uri!r}, result_type={self.result_type.simpleString()})"

    def __call__(self, *columns: Any) -> Any:
        """The prediction Column for ``columns`` (names or Columns, one struct, or none)."""
        from pyspark.sql import Column
        from pyspark.sql import functions as sf

        schema = self.metadata.get_input_schema()
        named = schema is not None and schema.has_input_names()
        names = [str(n) for n in schema.input_names()] if schema is not None and named else []
        if not columns:
            if not names:
                raise InvalidArgument(
                    f"udf() without columns uses the input names of the model's signature, and "
                    f"the model at '{self.model_uri}' has no signature with named inputs: pass "
                    "the columns, e.g. udf('a', 'b') or udf(struct('a', 'b'))."
                )
            columns = tuple(names)
        for column in columns:
            if not isinstance(column, (str, Column)):
                raise InvalidArgument(
                    f"Invalid column {column!r} for spark_udf: expected a column name or a "
                    "pyspark Column."
                )
        required = schema.required_input_names() if schema is not None else []
        if len(columns) > 1 and len(columns) < len(required):
            raise InvalidArgument(
                f"The model at '{self.model_uri}' needs {len(required)} inputs "
                f"{[str(n) for n in required]}, given by position; got {len(columns)} columns."
            )
        if len(columns) == 1:
            # A lone column: a struct arrives as a DataFrame of its fields (their names are
            # kept), anything else as one Series, named after the first input.
            given: tuple[str, ...] = (names[0] if names else _column_name(columns[0]),)
        elif names:
            columns = columns[: len(names)]  # as MLflow: columns past the signature's inputs
            given = tuple(names[: len(columns)])
        else:
            given = tuple(_column_name(c) for c in columns)
            repeated = sorted({n for n in given if given.count(n) > 1})
            if repeated:
                raise InvalidArgument(
                    f"Columns {repeated} are given more than once; the model at "
                    f"'{self.model_uri}' has no signature to name them: alias them apart."
                )
        arguments = [sf.col(c) if isinstance(c, str) else c for c in columns]
        plan = BatchPlan(self._files, self.result_type, self._params, given)
        return pandas_udf(plan)(*arguments)


def _column_name(column: Any) -> str:
    """A column's own name: the string, or what a Column shows (``Column<'a'>``), else "0"."""
    if isinstance(column, str):
        return column
    match = re.fullmatch(r"Column<'(.*)'>", str(column), flags=re.DOTALL)
    return match.group(1) if match else "0"


def spark_udf(
    spark: Any,
    model_uri: str,
    result_type: Any = None,
    env_manager: str = "local",
    params: Mapping[str, Any] | None = None,
    *,
    allow_pickle: bool | None = None,
) -> SparkModelUDF:
    """A Spark UDF that predicts with the pyfunc model at ``model_uri``.

    Args:
        spark: the SparkSession the UDF is used in.
        model_uri: a local path, ``runs:/``, ``models:/`` or artifact URI of the model.
        result_type: a pyspark DataType or DDL string (``"double"``, ``"array<float>"``,
            ``"label string, score double"``); None derives it from the model's output
            schema (``double`` when it has none).
        env_manager: ``"local"``: Spark's Python workers run the current environment.
        params: inference params passed to ``predict`` on every batch.
        allow_pickle: as ``runwell.pyfunc.load_model``: a pickled model from a server or a
            registry needs True (decided here, on the driver, for every executor).

    Raises:
        NotFound: nothing is stored at ``model_uri``.
        InvalidArgument: an unsupported env_manager or result_type, params the model's
            signature refuses, or a model without a python_function flavor.
    """
    ship = not str(spark.sparkContext.master).startswith("local")
    return build_udf(
        spark, model_uri, result_type, env_manager, params, ship=ship, allow_pickle=allow_pickle
    )


def build_udf(
    spark: Any,
    model_uri: str,
    result_type: Any,
    env_manager: str,
    params: Mapping[str, Any] | None,
    *,
    ship: bool,
    allow_pickle: bool | None = None,
) -> SparkModelUDF:
    """``spark_udf`` with the caller choosing whether the model directory is shipped to the
    executors (a cluster) or read in place (a ``local``/``local-cluster`` master, whose
    Python workers all run on this machine)."""
    from runwell.pyfunc.spark_types import default_result_type, parse_result_type

    if env_manager not in ENV_MANAGERS:
        raise InvalidArgument(
            f"Unsupported env_manager {env_manager!r} for spark_udf: supported are "
            f"{', '.join(repr(m) for m in ENV_MANAGERS)} (Spark's Python workers run the "
            "driver's environment; install the model's requirements there)."
        )
    directory, decision = trust.fetch(model_uri, allow_pickle=allow_pickle)
    metadata = Model.load(directory)
    if PYFUNC_FLAVOR not in metadata.flavors:
        raise InvalidArgument(
            f"Model '{model_uri}' has no python_function flavor (it has "
            f"{sorted(metadata.flavors)}), so spark_udf cannot predict with it."
        )
    enforce_params(params, metadata.get_params_schema())  # refuse bad params now, not per task
    kind = (
        parse_result_type(result_type)
        if result_type is not None
        else default_result_type(metadata.get_output_schema())
    )
    token = uuid.uuid4().hex
    files = ModelFiles(
        token,
        directory=None if ship else directory,
        archive=ship_model(spark, directory, token) if ship else None,
        allow_pickle=decision.allow_pickle,  # the executors' copy is local: decided here
        skops_trusted_types=decision.skops_types,
    )
    return SparkModelUDF(model_uri, metadata, files, kind, dict(params) if params else None)
