"""``runwell.lightgbm.autolog()``: LightGBM autologging (runwell.autologging.lightgbm).

It does not import LightGBM until it is called.
"""

from runwell.autologging.lightgbm import autolog

__all__ = ["autolog"]
