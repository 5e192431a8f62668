"""The ``pytorch_lightning`` integration: Lightning's standalone package (see pytorch.py).

``integrations.MODULES`` names one module per integration; the Trainer of
``pytorch_lightning`` is patched by the same code as ``lightning.pytorch``'s, with the
settings ``runwell.pytorch.autolog`` gives both.
"""

from runwell.autologging.pytorch import PYTORCH_LIGHTNING as INTEGRATION

__all__ = ["INTEGRATION"]
