"""State dicts (weights, checkpoints) as plain artifacts: ``<dir>/state_dict.pth``.

Not a model directory (no MLmodel): the file MLflow's ``save_state_dict`` writes, so either
tool reads the other's. Loading uses ``torch.load(weights_only=True)`` unless told otherwise:
tensors and plain containers only, so no code runs from the file.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from typing import Any

from runwell.errors import InvalidArgument
from runwell.models import trust
from runwell.pytorch.serialization import STATE_DICT_FILE


def save_state_dict(state_dict: Mapping[str, Any], path: str, **torch_save_kwargs: Any) -> None:
    """Write ``state_dict`` (``model.state_dict()``, or a checkpoint dict) to
    ``<path>/state_dict.pth``; ``path`` is created when missing."""
    import torch

    if isinstance(state_dict, torch.nn.Module):
        raise InvalidArgument(
            f"Invalid state_dict: got the model ({type(state_dict).__name__}) itself; pass "
            "model.state_dict(), or save the model with save_model."
        )
    if not isinstance(state_dict, dict):
        raise InvalidArgument(
            f"Invalid state_dict: expected a dict (model.state_dict()), got "
            f"{type(state_dict).__name__}."
        )
    os.makedirs(path, exist_ok=True)
    torch.save(state_dict, os.path.join(path, STATE_DICT_FILE), **torch_save_kwargs)


def log_state_dict(state_dict: Mapping[str, Any], artifact_path: str, **kwargs: Any) -> None:
    """Save ``state_dict`` as the active run's artifact ``<artifact_path>/state_dict.pth``."""
    from runwell.tracking.fluent_artifacts import log_artifacts

    with tempfile.TemporaryDirectory(prefix="runwell-state-dict-") as tmp:
        save_state_dict(state_dict, tmp, **kwargs)
        log_artifacts(tmp, artifact_path)


def load_state_dict(
    state_dict_uri: str, *, allow_pickle: bool | None = None, **torch_load_kwargs: Any
) -> Any:
    """The state dict in a directory (path, ``runs:/<run_id>/<path>`` or artifact URI).

    ``torch_load_kwargs`` go to ``torch.load``; ``weights_only=False`` unpickles any object,
    which runs code from the file: for a state dict from a server or a registry it also needs
    ``allow_pickle=True`` (or RUNWELL_ALLOW_PICKLE=1; see runwell.models.trust).
    """
    import pickle

    import torch

    directory, decision = trust.fetch(state_dict_uri, allow_pickle=allow_pickle)
    path = os.path.join(directory, STATE_DICT_FILE)
    if not os.path.isfile(path):
        raise InvalidArgument(
            f"No state dict at '{state_dict_uri}': expected a directory holding "
            f"{STATE_DICT_FILE} (what save_state_dict writes)."
        )
    torch_load_kwargs.setdefault("weights_only", True)
    if not torch_load_kwargs["weights_only"]:
        decision.require_pickle(path, "torch.load")
    try:
        return torch.load(path, **torch_load_kwargs)
    except pickle.UnpicklingError as exc:
        raise InvalidArgument(
            f"Cannot load '{path}' with weights_only=True: it holds objects other than tensors "
            f"and plain containers ({str(exc).splitlines()[0]}). Pass weights_only=False to "
            "unpickle it (that runs code from the file)."
        ) from exc
