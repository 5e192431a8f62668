"""runwell.lightgbm: LightGBM boosters and scikit-learn-API models as models.

    import runwell.lightgbm
    runwell.lightgbm.save_model(booster, "lgb", input_example=X[:5])
    runwell.lightgbm.load_model("lgb").predict(X)
    runwell.lightgbm.autolog()  # log every training: params, metrics, model (runwell.autologging)

A Booster is stored in LightGBM's text format (``model.lgb``); a scikit-learn API model
(``LGBMClassifier`` ...) with skops by default (``model.skops``), or cloudpickle/pickle on
request (``model.pkl``). This package is also the pyfunc loader of LightGBM models
(``_load_pyfunc``), whether runwell or MLflow wrote them.
"""

# The module and the function share the name `autolog`: this import binds the function.
# LightGBM itself loads only when it is called.
from runwell.lightgbm.autolog import autolog
from runwell.lightgbm.flavor import (
    FLAVOR_NAME,
    LightGBMModelWrapper,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "LightGBMModelWrapper",
    "_load_pyfunc",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
]
