"""runwell.statsmodels: fitted statsmodels results as models.

    import runwell.statsmodels
    runwell.statsmodels.save_model(sm.OLS(y, X).fit(), "ols", input_example=X[:5])
    runwell.statsmodels.load_model("ols").predict(X)

statsmodels has no format of its own beyond pickle, so ``model.statsmodels`` is a pickle (as
MLflow writes it); loading logs the file being unpickled. This package is also the pyfunc
loader of statsmodels models (``_load_pyfunc``), whether runwell or MLflow wrote them.
"""

from runwell.statsmodels.flavor import (
    FLAVOR_NAME,
    StatsmodelsModelWrapper,
    _load_pyfunc,
    load_model,
    log_model,
    save_model,
)

__all__ = [
    "FLAVOR_NAME",
    "StatsmodelsModelWrapper",
    "_load_pyfunc",
    "load_model",
    "log_model",
    "save_model",
]
