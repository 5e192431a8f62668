"""Compatibility with tools written for MLflow: ``import mlflow`` served by runwell (opt-in).

    from runwell.compat import install_mlflow_alias
    install_mlflow_alias()   # or RUNWELL_MLFLOW_ALIAS=1, read at interpreter start

``mlflow_alias`` says how names resolve and why a real mlflow always wins; ``mlflow/`` holds
the few modules of MLflow's layout that runwell has no twin of.
"""

from runwell.compat.mlflow_alias import (
    MlflowAliasWarning,
    install_mlflow_alias,
    mlflow_alias_installed,
    real_mlflow_spec,
    uninstall_mlflow_alias,
)

__all__ = [
    "MlflowAliasWarning",
    "install_mlflow_alias",
    "mlflow_alias_installed",
    "real_mlflow_spec",
    "uninstall_mlflow_alias",
]
