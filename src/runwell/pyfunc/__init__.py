"""runwell.pyfunc: one ``predict`` for every model, and custom Python models.

import runwell.pyfunc

class AddN(runwell.pyfunc.PythonModel):
    def predict(self, context, model_input, params=None):
        return model_input + (params or {}).get("n", 1)

runwell.pyfunc.save_model("add_n", python_model=AddN())
runwell.pyfunc.load_model("add_n").predict(df)

# on Spark: one load per Python worker, a predict per Arrow batch
udf = runwell.pyfunc.spark_udf(spark, "add_n")
spark_df.withColumn("prediction", udf("a", "b"))
"""

from runwell.pyfunc.dependencies import get_model_dependencies
from runwell.pyfunc.model import PythonModel, PythonModelContext
from runwell.pyfunc.pyfunc_model import PyFuncModel, load_model
from runwell.pyfunc.save import log_model, save_model
from runwell.pyfunc.spark import spark_udf

__all__ = [
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "get_model_dependencies",
    "load_model",
    "log_model",
    "save_model",
    "spark_udf",
]
