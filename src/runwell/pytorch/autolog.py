"""``runwell.pytorch.autolog()``: PyTorch Lightning autologging (runwell.autologging.pytorch).

It imports neither torch nor Lightning until a Trainer is patched.
"""

from runwell.autologging.pytorch import autolog

__all__ = ["autolog"]
