"""runwell.xgboost: XGBoost boosters and scikit-learn-API models as models.

    import runwell.xgboost
    runwell.xgboost.save_model(booster, "xgb", input_example=X[:5])
    runwell.xgboost.load_model("xgb").predict(xgboost.DMatrix(X))
    runwell.xgboost.autolog()  # log every training: params, metrics, model (runwell.autologging)

The model is stored in XGBoost's own format (``model.ubj`` by default), never pickled. This
package is also the pyfunc loader of XGBoost models (``_load_pyfunc``), whether runwell or
MLflow wrote them.
"""

# The module and the function share the name `autolog`: this import binds the function.
# XGBoost itself loads only when it is called.
from runwell.xgboost.autolog import autolog
from runwell.xgboost.flavor import (
    FLAVOR_NAME,
    MODEL_FORMATS,
    XGBoostModelWrapper,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "MODEL_FORMATS",
    "XGBoostModelWrapper",
    "_load_pyfunc",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
]
