"""A custom PythonModel with a context artifact, logged and loaded back."""

import tempfile
from pathlib import Path

import mlflow
import pandas as pd
from mlflow.models import infer_signature


class AddN(mlflow.pyfunc.PythonModel):
    def load_context(self, context):
        self.n = int(Path(context.artifacts["offset"]).read_text())

    def predict(self, context, model_input, params=None):
        return model_input.apply(lambda column: column + self.n)


mlflow.set_experiment("models-pyfunc-custom")
frame = pd.DataFrame({"x": [1, 2, 3]})

with tempfile.TemporaryDirectory() as tmp:
    offset = Path(tmp, "offset.txt")
    offset.write_text("5")
    with mlflow.start_run(run_name="add-n") as run:
        model_info = mlflow.pyfunc.log_model(
            name="add_n",
            python_model=AddN(),
            artifacts={"offset": str(offset)},
            signature=infer_signature(frame, frame + 5),
        )

loaded = mlflow.pyfunc.load_model(model_info.model_uri)
result = loaded.predict(frame)
with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_dict({"x": result["x"].tolist()}, "observed.json")
