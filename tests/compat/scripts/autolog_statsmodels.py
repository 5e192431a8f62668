"""statsmodels autologging around an OLS fit."""

import mlflow
import numpy as np
import statsmodels.api as sm

mlflow.set_experiment("autolog-statsmodels")
mlflow.statsmodels.autolog()

rng = np.random.default_rng(0)
X = sm.add_constant(rng.normal(size=(50, 2)))
y = X @ np.array([1.0, 2.0, -0.5]) + rng.normal(scale=0.1, size=50)
with mlflow.start_run(run_name="ols"):
    sm.OLS(y, X).fit()
