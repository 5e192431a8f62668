"""``runwell.xgboost.autolog()``: XGBoost autologging (runwell.autologging.xgboost).

It does not import XGBoost until it is called.
"""

from runwell.autologging.xgboost import autolog

__all__ = ["autolog"]
