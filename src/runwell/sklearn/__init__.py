"""runwell.sklearn: scikit-learn estimators as models (skops by default).

    import runwell.sklearn
    runwell.sklearn.save_model(clf, "clf", input_example=X[:5])
    runwell.sklearn.load_model("clf").predict(X)
    runwell.sklearn.autolog()  # log every fit: params, metrics, model (runwell.autologging)

This package is also the pyfunc loader of sklearn models (``_load_pyfunc``), whether runwell
or MLflow wrote them.
"""

# The module and the function share the name `autolog`: this import binds the function.
# scikit-learn itself loads only when it is called.
from runwell.sklearn.autolog import autolog
from runwell.sklearn.flavor import (
    FLAVOR_NAME,
    SklearnModelWrapper,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)
from runwell.sklearn.serialization import CLOUDPICKLE, PICKLE, SKOPS

__all__ = [
    "CLOUDPICKLE",
    "FLAVOR_NAME",
    "PICKLE",
    "SKOPS",
    "SklearnModelWrapper",
    "_load_pyfunc",
    "autolog",
    "load_model",
    "log_model",
    "save_model",
]
