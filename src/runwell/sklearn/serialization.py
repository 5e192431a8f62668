"""Writing and reading scikit-learn estimators: skops (default), cloudpickle or pickle.

skops stores an estimator without pickle, and loading it checks each type against a trusted
list, so it is the default wherever the estimator allows. An estimator skops cannot write, or
one holding types skops does not trust (custom classes) that the caller did not list in
``skops_trusted_types``, is stored with cloudpickle instead, and a log line says why.

Loading follows the decision of the load in progress (runwell.models.trust): a pickle is read
only for the user's own model or with ``allow_pickle``, and skops may build, beyond its own
list, the flavor's fixed types, the user's types, and the types the MLmodel records only where
pickles would be read too (a hostile file cannot trust itself).
"""

from __future__ import annotations

import logging
import os
import pickle
import sys
import types
from collections.abc import Sequence
from typing import Any

from runwell import env
from runwell.errors import InvalidArgument
from runwell.models import trust

_logger = logging.getLogger(__name__)

SKOPS = "skops"
CLOUDPICKLE = "cloudpickle"
PICKLE = "pickle"
FORMATS = (SKOPS, CLOUDPICKLE, PICKLE)
FILE_NAMES = {SKOPS: "model.skops", CLOUDPICKLE: "model.pkl", PICKLE: "model.pkl"}


# Building its list of trusted types, skops walks every scikit-learn package, and the walk imports
# the array-API shims for torch, CuPy and Dask, which import those libraries: seconds where
# torch is installed, before any model is read. No estimator lives in them, so stand-ins keep the
# walk out and are removed once skops is loaded (a later real use imports the real shims).
_ARRAY_API_SHIMS = tuple(
    f"sklearn.externals.array_api_compat.{name}" for name in ("torch", "cupy", "dask")
)


def _skops_io() -> Any:
    """``skops.io``, imported without the array-API shims (ImportError when not installed)."""
    loaded = sys.modules.get("skops.io")
    if loaded is not None:
        return loaded
    stand_ins = {
        name: types.ModuleType(name) for name in _ARRAY_API_SHIMS if name not in sys.modules
    }
    sys.modules.update(stand_ins)
    try:
        import skops.io  # type: ignore[import-untyped]
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return skops.io


def check_format(serialization_format: str) -> str:
    if serialization_format not in FORMATS:
        raise InvalidArgument(
            f"Invalid serialization_format {serialization_format!r}: expected one of "
            f"{', '.join(FORMATS)}."
        )
    return serialization_format


def _skops_bytes(estimator: Any, trusted: Sequence[str]) -> tuple[bytes | None, str]:
    """The skops encoding, or None and the reason it cannot be used."""
    try:
        skops_io = _skops_io()
    except ImportError:
        return None, "skops is not installed"
    try:
        data: bytes = skops_io.dumps(estimator)
        untrusted = skops_io.get_untrusted_types(data=data)
    except Exception as exc:  # skops raises many types for objects it cannot encode
        return None, f"skops cannot serialize it ({type(exc).__name__}: {exc})"
    refused = sorted(set(untrusted) - set(trusted))
    if refused:
        return None, (
            f"it holds types skops does not trust: {refused} (list them in "
            "skops_trusted_types to keep the skops format)"
        )
    return data, ""


def dump(
    estimator: Any, directory: str, serialization_format: str, trusted: Sequence[str] = ()
) -> tuple[str, str]:
    """Write the estimator into ``directory``; (format actually used, file name)."""
    fmt = check_format(serialization_format)
    if fmt == SKOPS:
        data, reason = _skops_bytes(estimator, trusted)
        if data is not None:
            with open(os.path.join(directory, FILE_NAMES[SKOPS]), "wb") as handle:
                handle.write(data)
            return SKOPS, FILE_NAMES[SKOPS]
        _logger.warning("Saving the model with cloudpickle instead of skops: %s.", reason)
        fmt = CLOUDPICKLE
    path = os.path.join(directory, FILE_NAMES[fmt])
    with open(path, "wb") as handle:
        if fmt == CLOUDPICKLE:
            import cloudpickle  # type: ignore[import-untyped]

            cloudpickle.dump(estimator, handle)
        else:
            pickle.dump(estimator, handle)
    return fmt, FILE_NAMES[fmt]


def load(
    path: str,
    serialization_format: str,
    recorded_types: Sequence[str] | None = None,
    flavor_types: Sequence[str] = (),
) -> Any:
    """Read an estimator; skops files must hold only trusted types.

    Args:
        path: the model file.
        serialization_format: ``skops``, ``cloudpickle`` or ``pickle``.
        recorded_types: the ``skops_trusted_types`` the model's MLmodel lists (its own claim).
        flavor_types: types the flavor's code trusts (LightGBM's classes).

    Raises:
        PickleRefused: a pickle of a model that is not the user's own, without an opt-in.
        InvalidArgument: the file is missing, or holds types no one trusts.
    """
    fmt = check_format(serialization_format)
    if not os.path.isfile(path):
        raise InvalidArgument(f"The model file '{path}' is missing from the model directory.")
    decision = trust.current()
    if fmt == SKOPS:
        try:
            skops_io = _skops_io()
        except ImportError:
            raise InvalidArgument(
                f"Cannot load '{path}': it is in the skops format and skops is not installed "
                "(pip install skops)."
            ) from None
        untrusted = skops_io.get_untrusted_types(file=path)
        trusted = {*flavor_types, *decision.skops_trusted(recorded_types)}
        refused = sorted(set(untrusted) - trusted)
        if refused:
            raise InvalidArgument(_untrusted_message(path, refused, recorded_types, decision))
        return skops_io.load(path, trusted=list(untrusted) or None)
    decision.require_pickle(path, fmt)
    with open(path, "rb") as handle:
        if fmt == CLOUDPICKLE:
            import cloudpickle

            return cloudpickle.load(handle)
        return pickle.load(handle)


def _untrusted_message(
    path: str, refused: list[str], recorded: Sequence[str] | None, decision: trust.ModelTrust
) -> str:
    message = f"Refusing to load '{path}': it holds types that skops does not trust: {refused}."
    if recorded and set(refused) <= {str(name) for name in recorded}:
        why = f"it comes from {decision.foreign}" if decision.foreign else "allow_pickle=False"
        message += (
            " The model's MLmodel lists them, but that list is the file's own claim: it counts "
            f"only for your own models or with allow_pickle=True ({why})."
        )
    return message + (
        f" If you trust them, pass skops_trusted_types={refused} to load_model or list them in "
        f"{env.SKOPS_TRUSTED_TYPES}."
    )
