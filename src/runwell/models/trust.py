"""Which model files a load may unpickle, and which types skops may build.

Unpickling runs whatever code the file holds: pickle and cloudpickle files (the sklearn flavor's
``model.pkl``, a PythonModel's ``python_model.pkl``, statsmodels, LightGBM's scikit-learn
models), and ``torch.load`` of a whole PyTorch model. So runwell unpickles a model's files only
when the model is the user's own, or the user said so:

- **the user's own** (loads as before, no opt-in): a local directory or ``file:`` URI, and
  ``runs:/`` / ``models:/`` URIs resolved through a store on this machine (an SQLite file or a
  local path) whose artifacts are on the local filesystem;
- **anything else needs an opt-in**: a model found through a tracking server or a registry
  over the network (``http(s)://``, and shared databases such as ``postgresql://``: another
  user may have registered it), or whose files come from a server or object store
  (``http(s)``, ``mlflow-artifacts:``, ``s3://``...). Opt in per call with
  ``allow_pickle=True`` (``runwell models serve/predict --allow-pickle``) or for the process
  with ``RUNWELL_ALLOW_PICKLE=1``; ``allow_pickle=False`` refuses pickles even of local models.

skops files are read without pickle, checking every type against a trusted list. A model's
MLmodel records the extra types it needs (``skops_trusted_types``); that list is the file's own
claim, so it counts only where the file's pickles would be loaded too (the user's own model or
an opt-in). Otherwise only skops' own list and the user's (``skops_trusted_types=`` of
load_model, ``RUNWELL_SKOPS_TRUSTED_TYPES``) apply.

``fetch`` decides for one load and downloads the model; the flavors' loaders read the decision
with ``current()`` (a context variable set around the load), so ``_load_pyfunc(path)`` keeps
its signature. A loader called directly with a path (a third-party caller, a Spark worker with
its own decision) gets the user's-own rule.

ONNX, XGBoost's and LightGBM's native formats, TorchScript and ``torch.export`` archives are
not pickles and load from anywhere. A third-party flavor (plugins.py) is its own code: it does
not go through these checks.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

from runwell import env
from runwell.errors import ErrorCode, InvalidArgument, RunwellError
from runwell.models.uri import ModelLocation, download_location, locate_model
from runwell.store import uri as uris
from runwell.tracking.client import resolve_registry_uri
from runwell.tracking.fluent import get_tracking_uri

_logger = logging.getLogger(__name__)


class PickleRefused(RunwellError):
    """The model's files are pickles and the model is not the user's own (see the module)."""

    default_code = ErrorCode.PERMISSION_DENIED


@dataclass(frozen=True, slots=True)
class ModelTrust:
    """What one load may do with the model's files.

    Attributes:
        model_uri: the URI the user gave.
        allow_pickle: whether pickle files may be unpickled.
        foreign: where the model came from when it is not the user's own (None: it is).
        skops_types: the user's extra trusted skops types.
    """

    model_uri: str
    allow_pickle: bool
    foreign: str | None = None
    skops_types: tuple[str, ...] = ()

    def require_pickle(self, path: str, kind: str = "pickle") -> None:
        """Refuse to unpickle ``path`` unless allowed; log the file when allowed."""
        if not self.allow_pickle:
            origin = f"it comes from {self.foreign}" if self.foreign else "allow_pickle=False"
            raise PickleRefused(
                f"Refusing to unpickle '{path}' of the model '{self.model_uri}': {origin}, and "
                f"unpickling a {kind} file runs any code it holds. If you trust whoever wrote "
                f"this model, load it with allow_pickle=True (runwell models serve/predict "
                f"--allow-pickle) or set {env.ALLOW_PICKLE}=1."
            )
        _logger.info("Unpickling %s (%s runs code from this file).", path, kind)

    def skops_trusted(self, recorded: Sequence[str] | None = None) -> list[str]:
        """The extra types skops may build: the user's, and the model's own list (MLmodel's
        ``skops_trusted_types``, or a flavor's fixed list) only where pickles are allowed."""
        types = set(self.skops_types)
        if self.allow_pickle and recorded:
            types.update(str(name) for name in recorded)
        return sorted(types)


def user_skops_types(given: Sequence[str] | None = None) -> tuple[str, ...]:
    """``given`` plus RUNWELL_SKOPS_TRUSTED_TYPES (comma-separated ``module.Class`` names)."""
    if isinstance(given, str):
        raise InvalidArgument("Invalid skops_trusted_types: expected a list of type names.")
    names = [*(given or ()), *(env.get(env.SKOPS_TRUSTED_TYPES) or "").split(",")]
    return tuple(sorted({name.strip() for name in names if name.strip()}))


_current: contextvars.ContextVar[ModelTrust | None] = contextvars.ContextVar(
    "runwell_model_trust", default=None
)


def current() -> ModelTrust:
    """The decision for the load in progress; outside one, a path's (the user's own)."""
    found = _current.get()
    if found is not None:
        return found
    return ModelTrust("(a local path)", allow_pickle=True, skops_types=user_skops_types())


@contextlib.contextmanager
def loading(trust: ModelTrust) -> Iterator[ModelTrust]:
    """Make ``trust`` the decision the flavors' loaders read while the block runs."""
    token = _current.set(trust)
    try:
        yield trust
    finally:
        _current.reset(token)


def _is_local_path(uri: str) -> bool:
    try:
        return uris.local_path(uri) is not None
    except InvalidArgument:  # file://<host>/...
        return False


def _is_local_store(uri: str) -> bool:
    """An SQLite file or a local path: a store on this machine."""
    return uris.scheme_of(uri) == "sqlite" or _is_local_path(uri)


def foreign_source(
    model_uri: str, location: ModelLocation, tracking_uri: str | None = None
) -> str | None:
    """Why the model at ``location`` is not the user's own (None when it is)."""
    if location.local_dir is not None:
        return None  # a path the user gave
    scheme = urlparse(model_uri).scheme
    if scheme in ("runs", "models"):
        tracking = tracking_uri or get_tracking_uri()  # as locate_model resolves them
        stores = [("the tracking store", tracking)]
        if scheme == "models":
            stores.append(("the model registry", resolve_registry_uri(None, tracking)))
        for what, store_uri in stores:
            if not _is_local_store(store_uri):
                return f"{what} at {store_uri}"
    root = getattr(location.repo, "root_uri", None)
    if isinstance(root, str) and _is_local_path(root):
        return None  # files on this machine, found through a store on this machine
    return f"'{root or model_uri}'"


def decide(
    model_uri: str,
    foreign: str | None,
    allow_pickle: bool | None = None,
    skops_trusted_types: Sequence[str] | None = None,
) -> ModelTrust:
    """The decision for a model from ``foreign`` (None: the user's own), given the opt-ins."""
    if allow_pickle is None:
        allow_pickle = foreign is None or env.flag(env.ALLOW_PICKLE, False)
    return ModelTrust(
        model_uri,
        allow_pickle=bool(allow_pickle),
        foreign=foreign,
        skops_types=user_skops_types(skops_trusted_types),
    )


def fetch(
    model_uri: str,
    dst_path: str | None = None,
    tracking_uri: str | None = None,
    *,
    allow_pickle: bool | None = None,
    skops_trusted_types: Sequence[str] | None = None,
) -> tuple[str, ModelTrust]:
    """A local directory holding the model (``download_model``'s), and what loading it may do.

    Args:
        model_uri: a path or model URI.
        dst_path: where to download a remote model (a new temporary directory by default).
        tracking_uri: the store ``runs:/`` and ``models:/`` URIs are resolved in.
        allow_pickle: True/False decide; None: allowed for the user's own models (see the
            module docstring), else only with RUNWELL_ALLOW_PICKLE=1.
        skops_trusted_types: extra types skops may build (with RUNWELL_SKOPS_TRUSTED_TYPES).
    """
    location = locate_model(model_uri, tracking_uri)
    trust = decide(
        model_uri, foreign_source(model_uri, location, tracking_uri), allow_pickle,
        skops_trusted_types,
    )  # fmt: skip
    return download_location(location, dst_path), trust
