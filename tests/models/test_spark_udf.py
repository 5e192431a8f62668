"""runwell.pyfunc.spark_udf on a real local[2] SparkSession: Spark's predictions equal a local
``load_model(...).predict`` on the same rows, for every way of passing columns and result types.

The custom PythonModels are defined inside functions, so that cloudpickle stores them by value:
Spark's Python workers cannot import this test module.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from pyspark.errors import AnalysisException, PythonException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as sf
from pyspark.sql import types as st

import runwell
import runwell.pyfunc
import runwell.sklearn
from runwell.errors import InvalidArgument, NotFound
from runwell.models import ColSpec, DataType, ModelSignature, ParamSchema, ParamSpec, Schema
from runwell.pyfunc.spark import build_udf
from runwell.pyfunc.spark_worker import PREDICT_ROWS, BatchPlan, ModelFiles, _predict_batches

pytestmark = pytest.mark.slow

ROWS = 100_000


@pytest.fixture(scope="session")
def spark() -> Iterator[SparkSession]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYSPARK_PYTHON", sys.executable)
        patch.setenv("PYSPARK_DRIVER_PYTHON", sys.executable)
        session = (
            SparkSession.builder.master("local[2]")
            .appName("runwell-spark-udf-tests")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.sql.shuffle.partitions", "2")
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .getOrCreate()
        )
        yield session
        session.stop()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    a, b = rng.normal(size=ROWS), rng.normal(size=ROWS)
    rows: pd.DataFrame = pd.DataFrame({"id": np.arange(ROWS), "a": a, "b": b})
    return rows


@pytest.fixture(scope="module")
def frame(spark: SparkSession, data: pd.DataFrame) -> DataFrame:
    cached: DataFrame = spark.createDataFrame(data).repartition(4).cache()
    return cached


@pytest.fixture(scope="module")
def small(frame: DataFrame) -> DataFrame:
    cached: DataFrame = frame.where(sf.col("id") < 2_000).cache()
    return cached


def _fit(data: pd.DataFrame) -> Any:
    from sklearn.linear_model import LogisticRegression

    features = data[["a", "b"]]
    labels = (features["a"] + 0.5 * features["b"] > 0.1).astype(int)
    return LogisticRegression().fit(features, labels)


@pytest.fixture(scope="module")
def sklearn_dir(tmp_path_factory: pytest.TempPathFactory, data: pd.DataFrame) -> str:
    path = tmp_path_factory.mktemp("spark-models") / "logistic"
    example = data[["a", "b"]].head(3)
    runwell.sklearn.save_model(_fit(data), str(path), input_example=example)
    return str(path)


@pytest.fixture(scope="module")
def proba_dir(tmp_path_factory: pytest.TempPathFactory, data: pd.DataFrame) -> str:
    path = tmp_path_factory.mktemp("spark-models") / "proba"
    example = data[["a", "b"]].head(3)
    runwell.sklearn.save_model(
        _fit(data), str(path), input_example=example, pyfunc_predict_fn="predict_proba"
    )
    return str(path)


def _custom_model(path: Path, signature: ModelSignature | None, log_path: str = "") -> str:
    class Scorer(runwell.pyfunc.PythonModel):
        """total = (a + b) * scale, label = up/down, pid = the worker's process id."""

        def load_context(self, context: runwell.pyfunc.PythonModelContext) -> None:
            log = context.model_config.get("log")
            if log:
                with open(log, "a") as handle:
                    handle.write(f"{os.getpid()}\n")

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            scale = (params or {}).get("scale", 1.0)
            a, b = model_input.iloc[:, 0], model_input.iloc[:, 1]
            return pd.DataFrame(
                {
                    "total": (a + b).to_numpy() * scale,
                    "label": np.where(a > b, "up", "down"),
                    "pid": np.full(len(model_input), os.getpid()),
                    "names": ",".join(str(c) for c in model_input.columns),
                }
            )

    config = {"log": log_path} if log_path else None
    runwell.pyfunc.save_model(path, python_model=Scorer(), signature=signature, model_config=config)
    return str(path)


def _scorer_signature() -> ModelSignature:
    return ModelSignature(
        Schema([ColSpec(DataType.double, "a"), ColSpec(DataType.double, "b")]),
        Schema([ColSpec(DataType.double, "total"), ColSpec(DataType.string, "label")]),
        ParamSchema([ParamSpec("scale", DataType.double, 1.0)]),
    )


@pytest.fixture(scope="module")
def scorer_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _custom_model(tmp_path_factory.mktemp("spark-models") / "scorer", _scorer_signature())


@pytest.fixture(scope="module")
def unsigned_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _custom_model(tmp_path_factory.mktemp("spark-models") / "unsigned", None)


def _scored(frame: DataFrame, column: Any, name: str = "p") -> pd.DataFrame:
    out: pd.DataFrame = frame.withColumn(name, column).select("id", name).toPandas()
    ordered: pd.DataFrame = out.sort_values("id").reset_index(drop=True)
    return ordered


def _local(model_dir: str, data: pd.DataFrame, ids: pd.Series) -> Any:
    rows = data.set_index("id").loc[ids.to_numpy(), ["a", "b"]].reset_index(drop=True)
    return runwell.pyfunc.load_model(model_dir).predict(rows)


# ------------------------------------------------------------------ results


def test_sklearn_predictions_on_100k_rows_equal_a_local_predict(
    spark: SparkSession, frame: DataFrame, data: pd.DataFrame, sklearn_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir)
    assert udf.result_type == st.LongType()  # from the output schema: an int64 tensor (-1,)
    out = _scored(frame, udf("a", "b"))
    assert len(out) == ROWS and frame.rdd.getNumPartitions() == 4
    expected = _local(sklearn_dir, data, out["id"])
    assert out["p"].dtype == np.int64
    np.testing.assert_array_equal(out["p"].to_numpy(), expected)
    assert 0 < out["p"].sum() < ROWS  # both classes occur: the comparison can fail


def test_each_python_worker_loads_the_model_once_for_all_its_batches(
    spark: SparkSession, frame: DataFrame, tmp_path: Path
) -> None:
    log = tmp_path / "loads.txt"
    model = _custom_model(tmp_path / "m", _scorer_signature(), log_path=str(log))
    udf = runwell.pyfunc.spark_udf(spark, model, result_type="total double, pid long")
    pids = _scored(frame, udf("a", "b"))["p"].map(lambda row: row["pid"])
    loads = log.read_text().split()
    # 100,000 rows in 4 partitions are at least 12 Arrow batches of <= 10,000 rows.
    assert sorted(loads) == sorted(str(p) for p in set(pids))
    assert len(loads) <= 4 < ROWS // 10_000


def _echo_model(path: Path) -> str:
    class Echo(runwell.pyfunc.PythonModel):
        """Each row's own ``a`` and the size of the predict call it was in."""

        def predict(self, context: Any, model_input: Any, params: Any = None) -> Any:
            return pd.DataFrame(
                {
                    "a": model_input["a"].to_numpy(),
                    "rows": np.full(len(model_input), len(model_input)),
                }
            )

    runwell.pyfunc.save_model(path, python_model=Echo())
    return str(path)


def test_small_arrow_batches_are_predicted_together_and_in_order(
    spark: SparkSession, frame: DataFrame, data: pd.DataFrame, tmp_path: Path
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, _echo_model(tmp_path / "echo"), "a double, rows long")
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "1000")
    try:
        out = _scored(frame, udf("a", "b"))
    finally:
        spark.conf.unset("spark.sql.execution.arrow.maxRecordsPerBatch")
    # every prediction came back beside its own row, though Spark sent 1,000-row batches and
    # the model saw whole partitions (4 of about 25,000 rows)
    np.testing.assert_array_equal(out["p"].map(lambda r: r["a"]).to_numpy(), data["a"].to_numpy())
    calls = out["p"].map(lambda r: r["rows"])
    assert calls.min() > 1_000 and calls.max() <= PREDICT_ROWS


def test_a_predict_call_takes_at_most_predict_rows(tmp_path: Path) -> None:
    plan = BatchPlan(
        ModelFiles("echo-cap", str(_echo_model(tmp_path / "echo"))),
        st.StructType(
            [st.StructField("a", st.DoubleType()), st.StructField("rows", st.LongType())]
        ),
        None,
        ("a",),
    )
    batches = [pd.Series(np.arange(i * 1000, (i + 1) * 1000, dtype=float)) for i in range(120)]
    out = list(_predict_batches(iter(batches), plan))
    assert [len(o) for o in out] == [1000] * 120
    assert [int(o["rows"].iloc[0]) for o in out] == [100_000] * 100 + [20_000] * 20
    np.testing.assert_array_equal(pd.concat(out)["a"].to_numpy(), np.arange(120_000, dtype=float))


def test_the_argument_forms_give_the_same_predictions(
    spark: SparkSession, small: DataFrame, data: pd.DataFrame, sklearn_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir)
    expected = _local(sklearn_dir, data, _scored(small, sf.lit(0))["id"])
    renamed = small.select("id", sf.col("a").alias("x"), sf.col("b").alias("y"))
    for frame, column in [
        (small, udf("a", "b")),
        (small, udf(sf.col("a"), small["b"])),
        (small, udf(sf.struct("a", "b"))),
        (small, udf()),  # the signature's input names
        (renamed, udf("x", "y")),  # by position: named a and b after the signature
        (small, udf("a", "b", "id")),  # as MLflow: columns past the signature's are dropped
    ]:
        np.testing.assert_array_equal(_scored(frame, column)["p"].to_numpy(), expected)


def test_without_a_signature_the_columns_keep_their_own_names(
    spark: SparkSession, small: DataFrame, unsigned_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, unsigned_dir, result_type="names string, total double")
    out = _scored(small, udf("b", sf.col("a")))["p"]
    assert set(out.map(lambda row: row["names"])) == {"b,a"}
    struct = _scored(small, udf(sf.struct(sf.col("a").alias("first"), "b")))["p"]
    assert set(struct.map(lambda row: row["names"])) == {"first,b"}


def test_a_struct_with_other_field_names_is_refused_by_the_signature(
    spark: SparkSession, small: DataFrame, sklearn_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir)
    with pytest.raises(PythonException, match=r"Model is missing inputs \['b'\]"):
        small.withColumn("p", udf(sf.struct("a", sf.col("b").alias("c")))).collect()
    with pytest.raises(PythonException, match=r"takes a struct column alone"):
        small.withColumn("p", udf(sf.struct("a"), "b")).collect()


def test_struct_result_is_derived_from_a_multi_column_output_schema(
    spark: SparkSession, small: DataFrame, data: pd.DataFrame, scorer_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, scorer_dir, params={"scale": 2.0})
    assert udf.result_type.simpleString() == "struct<total:double,label:string>"
    out = _scored(small, udf("a", "b"))
    local = runwell.pyfunc.load_model(scorer_dir).predict(
        data.set_index("id").loc[out["id"].to_numpy(), ["a", "b"]], params={"scale": 2.0}
    )
    assert out["p"].map(lambda row: row["total"]).tolist() == local["total"].tolist()
    assert out["p"].map(lambda row: row["label"]).tolist() == local["label"].tolist()


def test_array_result_from_predict_proba(
    spark: SparkSession, small: DataFrame, data: pd.DataFrame, proba_dir: str
) -> None:
    derived = runwell.pyfunc.spark_udf(spark, proba_dir)
    assert derived.result_type == st.ArrayType(st.DoubleType())  # a (-1, 2) float64 tensor
    explicit = runwell.pyfunc.spark_udf(spark, proba_dir, result_type="array<float>")
    for udf, dtype in ((derived, np.float64), (explicit, np.float32)):
        out = _scored(small, udf("a", "b"))
        expected = _local(proba_dir, data, out["id"]).astype(dtype)
        # Probabilities come from BLAS, whose last bit depends on how rows are grouped into
        # a batch (Spark's Arrow batches vs one local frame): equal to 1e-12, not bitwise.
        np.testing.assert_allclose(np.stack(list(out["p"])), expected, rtol=1e-12, atol=0)


@pytest.mark.parametrize(
    ("result_type", "convert"),
    [
        ("double", float),
        ("float", lambda v: float(np.float32(v))),
        ("int", int),
        (st.LongType(), int),
        ("string", str),
        ("boolean", bool),
    ],
)
def test_scalar_result_types_convert_the_predictions(
    spark: SparkSession,
    small: DataFrame,
    data: pd.DataFrame,
    sklearn_dir: str,
    result_type: Any,
    convert: Any,
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir, result_type=result_type)
    out = _scored(small, udf("a", "b"))
    expected = [convert(v) for v in _local(sklearn_dir, data, out["id"]).tolist()]
    assert out["p"].tolist() == expected


def test_an_impossible_conversion_names_the_column_and_the_type(
    spark: SparkSession, small: DataFrame, scorer_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, scorer_dir, result_type="total long, label string")
    with pytest.raises(PythonException, match=r"column 'total' to result type bigint: value"):
        small.withColumn("p", udf("a", "b")).collect()


def test_a_model_logged_to_a_sqlite_store_loads_by_runs_uri(
    spark: SparkSession, small: DataFrame, data: pd.DataFrame, sklearn_dir: str
) -> None:
    assert os.environ["RUNWELL_TRACKING_URI"].startswith("sqlite:///")
    with runwell.start_run() as run:
        runwell.sklearn.log_model(_fit(data), name="model", input_example=data[["a", "b"]][:3])
    udf = runwell.pyfunc.spark_udf(spark, f"runs:/{run.info.run_id}/model")
    out = _scored(small, udf("a", "b"))
    np.testing.assert_array_equal(out["p"].to_numpy(), _local(sklearn_dir, data, out["id"]))


def test_a_shipped_model_is_read_from_spark_files(
    spark: SparkSession, small: DataFrame, data: pd.DataFrame, sklearn_dir: str
) -> None:
    udf = build_udf(spark, sklearn_dir, None, "local", None, ship=True)
    out = _scored(small, udf("a", "b"))
    np.testing.assert_array_equal(out["p"].to_numpy(), _local(sklearn_dir, data, out["id"]))


# ------------------------------------------------------------------ bad input


def test_an_unknown_model_uri_is_not_found(spark: SparkSession, tmp_path: Path) -> None:
    with pytest.raises(NotFound, match="does not exist"):
        runwell.pyfunc.spark_udf(spark, str(tmp_path / "missing"))
    with pytest.raises(NotFound):
        runwell.pyfunc.spark_udf(spark, "runs:/0123456789abcdef/model")


def test_an_unknown_column_is_named_by_spark(
    spark: SparkSession, small: DataFrame, sklearn_dir: str
) -> None:
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir)
    with pytest.raises(AnalysisException, match="nope"):
        small.withColumn("p", udf("a", "nope"))


@pytest.mark.parametrize(
    ("result_type", "message"),
    [
        ("doubel", "Invalid result_type 'doubel': Spark cannot parse it"),
        ("map<string, double>", r"map<string,double> is not supported"),
        ("a double, b struct<c: int>", r"struct<c:int> inside the result type is not supported"),
        (3, "Invalid result_type 3"),
    ],
)
def test_a_bad_result_type_is_refused(
    spark: SparkSession, sklearn_dir: str, result_type: Any, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message):
        runwell.pyfunc.spark_udf(spark, sklearn_dir, result_type=result_type)


def test_only_the_local_env_manager_is_supported(spark: SparkSession, sklearn_dir: str) -> None:
    with pytest.raises(InvalidArgument, match=r"env_manager 'virtualenv'.*supported are 'local'"):
        runwell.pyfunc.spark_udf(spark, sklearn_dir, env_manager="virtualenv")


def test_bad_params_and_calls_are_refused_on_the_driver(
    spark: SparkSession, sklearn_dir: str, scorer_dir: str, unsigned_dir: str, tmp_path: Path
) -> None:
    with pytest.raises(InvalidArgument, match="param 'scale': expected type double"):
        runwell.pyfunc.spark_udf(spark, scorer_dir, params={"scale": "big"})
    unsigned = runwell.pyfunc.spark_udf(spark, unsigned_dir)
    with pytest.raises(InvalidArgument, match="has no signature with named inputs"):
        unsigned()
    with pytest.raises(InvalidArgument, match=r"Columns \['a'\] are given more than once"):
        unsigned("a", sf.col("a"))
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir)
    with pytest.raises(InvalidArgument, match="expected a column name or a pyspark Column"):
        udf("a", 2)
    three = Schema([ColSpec(DataType.double, n) for n in ("a", "b", "c")])
    wide = _custom_model(tmp_path / "wide", ModelSignature(three))
    with pytest.raises(InvalidArgument, match=r"needs 3 inputs \['a', 'b', 'c'\].*got 2 columns"):
        runwell.pyfunc.spark_udf(spark, wide)("a", "b")


def test_a_lone_column_short_of_the_signature_fails_in_the_task(
    spark: SparkSession, small: DataFrame, sklearn_dir: str
) -> None:
    # One column may be a struct holding every input, so the signature checks it per batch.
    udf = runwell.pyfunc.spark_udf(spark, sklearn_dir)
    with pytest.raises(PythonException, match=r"Model is missing inputs \['b'\]"):
        small.withColumn("p", udf("a")).collect()


# ------------------------------------------------------------------ conversions, without Spark


@pytest.mark.parametrize(
    ("predictions", "kind", "expected"),
    [
        (np.array([1.0, 2.0, np.nan]), st.LongType(), [1, 2, None]),
        (np.array([1, 0, 1]), st.BooleanType(), [True, False, True]),
        (pd.Series(["a", None]), st.StringType(), ["a", None]),
        (np.array([[1, 2], [3, 4]]), st.LongType(), [1, 3]),  # the first column
        (np.array([[1, 2], [3, 4]]), st.ArrayType(st.DoubleType()), [[1.0, 2.0], [3.0, 4.0]]),
        (pd.Series([[1, 2], [3]]), st.ArrayType(st.LongType()), [[1, 2], [3]]),
        (np.zeros((1, 2, 1)), st.ArrayType(st.ArrayType(st.FloatType())), [[[0.0], [0.0]]]),
    ],
)
def test_predictions_convert_without_loss(predictions: Any, kind: Any, expected: Any) -> None:
    from runwell.pyfunc.spark_convert import to_spark

    out = to_spark(predictions, kind, len(expected))
    values = [v.tolist() if isinstance(v, np.ndarray) else v for v in out.tolist()]
    assert [None if v is pd.NA else v for v in values] == expected


def test_struct_results_take_columns_by_name_or_position() -> None:
    from runwell.pyfunc.spark_convert import to_spark

    kind = st.StructType([st.StructField("b", st.StringType()), st.StructField("a", st.LongType())])
    by_name = to_spark({"a": np.array([1, 2]), "b": np.array(["x", "y"])}, kind, 2)
    assert by_name.to_dict("list") == {"b": ["x", "y"], "a": [1, 2]}
    by_position = to_spark(np.array([[1, 2], [3, 4]]), kind, 2)
    assert by_position.to_dict("list") == {"b": ["1", "3"], "a": [2, 4]}


@pytest.mark.parametrize(
    ("predictions", "kind", "rows", "message"),
    [
        (np.array([1.5, 2.0]), st.IntegerType(), 2, "value 1.5 is not a whole number"),
        (np.array([2, 0]), st.BooleanType(), 2, "only bools or 0/1 convert to boolean"),
        (np.array([3_000_000_000]), st.IntegerType(), 1, "overflow it"),
        (pd.Series(["1", "x"]), st.DoubleType(), 2, "value 'x' is not a number"),
        (pd.Series([1, 2]), st.BinaryType(), 2, "value 1 is not bytes"),
        (np.array([1.0, 2.0]), st.ArrayType(st.DoubleType()), 2, "one value per row"),
        (pd.Series([np.zeros(2)]), st.DoubleType(), 1, "pass an array<...> result_type"),
        (np.array([1.0, 2.0]), st.DoubleType(), 3, "2 predictions for a batch of 3 rows"),
        (
            pd.DataFrame({"a": [1]}),
            st.StructType([st.StructField("z", st.LongType())]),
            1,
            "no column 'z'",
        ),
    ],
)
def test_an_impossible_conversion_is_refused(
    predictions: Any, kind: Any, rows: int, message: str
) -> None:
    from runwell.pyfunc.spark_convert import to_spark

    with pytest.raises(InvalidArgument, match=re.escape(message)):
        to_spark(predictions, kind, rows)
