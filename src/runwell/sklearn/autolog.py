"""``runwell.sklearn.autolog()``: scikit-learn autologging (runwell.autologging.sklearn).

It does not import scikit-learn until it is called.
"""

from runwell.autologging.sklearn import autolog

__all__ = ["autolog"]
