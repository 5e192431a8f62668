"""runwell.sklearn: scikit-learn estimators as models (skops by default).

    import runwell.sklearn
    runwell.sklearn.save_model(clf, "clf", input_example=X[:5])
    runwell.sklearn.load_model("clf").predict(X)

This package is also the pyfunc loader of sklearn models (``_load_pyfunc``), whether runwell
or MLflow wrote them.
"""

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
    "load_model",
    "log_model",
    "save_model",
]
