"""``import mlflow`` served by runwell, for tools that import mlflow themselves.

Lightning's ``MLFlowLogger``, Hugging Face's ``MLflowCallback`` and Optuna's ``MLflowCallback``
do ``import mlflow`` (and ``from mlflow.entities import Param``, ...) inside their own code, so
``import runwell as mlflow`` in the user's script does not reach them. With the alias on,
those imports get runwell:

    from runwell.compat import install_mlflow_alias
    install_mlflow_alias()           # or RUNWELL_MLFLOW_ALIAS=1 in the environment
    import mlflow                    # runwell, under MLflow's module names
    mlflow.log_param("alpha", 0.5)

How a name resolves. ``mlflow.a.b`` is a module of its own (an ``_AliasModule``) whose
attributes come from, in order, ``runwell.compat.mlflow.a.b`` (the few modules of MLflow's
layout that runwell has no twin of: ``mlflow.utils.validation``, ``mlflow.utils.mlflow_tags``,
``mlflow.version``, ...) and ``runwell.a.b`` (``mlflow.entities`` -> ``runwell.entities``,
``mlflow.tracking`` -> ``runwell.tracking``, ``mlflow.exceptions`` -> ``runwell.exceptions``).
A name neither has is not importable. Everything is resolved when first imported or read, so
installing the alias imports nothing of runwell's beyond this module. The objects are
runwell's own: ``mlflow.entities.Param is runwell.entities.Param``.

Never a shadow. The finder goes last on ``sys.meta_path``, so a real mlflow anywhere on
``sys.path`` is found before it, even one that appears after the alias was installed; and
``install_mlflow_alias`` does nothing, with one ``MlflowAliasWarning``, when a real mlflow is
importable already. The alias adds no distribution metadata: ``importlib.metadata.version
("mlflow")`` still raises, so installers and dependency checks see no mlflow.

The variable. RUNWELL_MLFLOW_ALIAS acts through ``runwell_mlflow_alias.pth``, which the wheel
(and an editable install: pyproject's force-include) puts at the top of site-packages. Python
runs its one line at every start; the line reads only the variable, and imports runwell to
call ``install_from_env`` only when it is true, so tools get the alias without importing
runwell first. ``import runwell`` itself never installs it.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
import types
import warnings
from collections.abc import Sequence
from typing import Any

from runwell import env

_ROOT = "mlflow"
# Where MLflow-only modules live; runwell's own modules are the fallback.
_SHIMS = "runwell.compat.mlflow"
_warned = False


class MlflowAliasWarning(UserWarning):
    """The mlflow alias was asked for but stays off (a real mlflow is importable)."""


class _AliasModule(types.ModuleType):
    """``mlflow`` or ``mlflow.x``: reads its attributes from the runwell modules behind it."""

    _runwell_targets: tuple[types.ModuleType, ...]

    def __getattr__(self, name: str) -> Any:
        # A name the runwell module defines as something other than a module wins over a
        # submodule of the same name: `runwell.sklearn.autolog` is a function, though
        # `runwell/sklearn/autolog.py` exists too.
        for target in () if name.startswith("_") else self.__dict__.get("_runwell_targets", ()):
            defined = vars(target).get(name)
            if defined is not None and not isinstance(defined, types.ModuleType):
                return defined
        # Then submodules, so that `mlflow.utils.validation.X` works without an import, as
        # it does after a real `import mlflow`, and `mlflow.sklearn` is the alias module.
        if not name.startswith("_") and _serves(f"{self.__name__}.{name}"):
            try:
                return importlib.import_module(f"{self.__name__}.{name}")
            except ImportError as error:  # e.g. mlflow.sklearn without scikit-learn
                # An AttributeError, so that hasattr() and getattr(..., default) still work.
                raise AttributeError(
                    f"module {self.__name__!r} has no attribute {name!r} ({error})"
                ) from error
        # A module's own dunders (__file__, __all__, ...) are not the alias's; its version is.
        if not (name.startswith("__") and name != "__version__"):
            for target in self.__dict__.get("_runwell_targets", ()):
                try:
                    return getattr(target, name)
                except AttributeError:
                    continue
        raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")

    def __repr__(self) -> str:
        names = ", ".join(t.__name__ for t in self.__dict__.get("_runwell_targets", ()))
        return f"<module {self.__name__!r} (runwell's mlflow alias: {names})>"

    def __dir__(self) -> list[str]:
        names = set(self.__dict__)
        for target in self.__dict__.get("_runwell_targets", ()):
            names.update(dir(target))
        return sorted(names)


def _candidates(fullname: str) -> tuple[str, ...]:
    """The runwell modules that may stand behind ``fullname`` (``mlflow`` or ``mlflow.x``)."""
    rest = fullname[len(_ROOT) :]  # "" or ".a.b"
    own = f"runwell{rest}"
    if own == "runwell.compat" or own.startswith("runwell.compat."):
        return (f"{_SHIMS}{rest}",)  # runwell.compat itself is not part of MLflow's layout
    return (f"{_SHIMS}{rest}", own)


def _exists(module: str) -> bool:
    if module in sys.modules:
        return True
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent that is missing or not a package
        return False


_served: dict[str, bool] = {}


def _serves(fullname: str) -> bool:
    """Whether the alias can import ``fullname``; cached, since attribute reads ask it."""
    known = _served.get(fullname)
    if known is None:
        known = _served[fullname] = any(_exists(name) for name in _candidates(fullname))
    return known


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _AliasModule(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        targets = [
            importlib.import_module(name) for name in _candidates(module.__name__) if _exists(name)
        ]
        module.__dict__["_runwell_targets"] = tuple(targets)
        names = ", ".join(target.__name__ for target in targets)
        module.__doc__ = f"runwell's {module.__name__} (runwell.compat mlflow alias): {names}."


class _AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``mlflow`` and ``mlflow.*``, last on ``sys.meta_path``."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != _ROOT and not fullname.startswith(_ROOT + "."):
            return None
        if fullname != _ROOT and not isinstance(sys.modules.get(_ROOT), _AliasModule):
            return None  # a real mlflow was imported: its submodules are its own business
        if not _serves(fullname):
            return None
        # Every alias module is a package (an empty __path__), so that `mlflow.a.b` comes
        # back here rather than to a file search.
        return importlib.machinery.ModuleSpec(fullname, _LOADER, is_package=True)


_LOADER = _AliasLoader()
_FINDER = _AliasFinder()


def real_mlflow_spec() -> importlib.machinery.ModuleSpec | None:
    """Where a real ``mlflow`` would be imported from (None: nowhere; the alias is not real).

    A module already imported counts: a real ``mlflow`` in ``sys.modules`` answers with its
    spec, the alias's own module with None.
    """
    loaded = sys.modules.get(_ROOT)
    if loaded is not None:
        return None if isinstance(loaded, _AliasModule) else _spec_of(loaded)
    for finder in sys.meta_path:
        find_spec = getattr(finder, "find_spec", None)
        if finder is _FINDER or find_spec is None:
            continue
        spec: importlib.machinery.ModuleSpec | None = find_spec(_ROOT, None)
        if spec is not None:
            return spec
    return None


def _spec_of(module: types.ModuleType) -> importlib.machinery.ModuleSpec:
    spec = getattr(module, "__spec__", None)
    if isinstance(spec, importlib.machinery.ModuleSpec):
        return spec
    return importlib.machinery.ModuleSpec(_ROOT, None, origin=getattr(module, "__file__", None))


def _where(spec: importlib.machinery.ModuleSpec) -> str:
    if spec.origin and spec.origin != "namespace":
        return spec.origin
    return ", ".join(spec.submodule_search_locations or ()) or "an import hook"


def install_mlflow_alias() -> bool:
    """Make ``import mlflow`` resolve to runwell, unless a real mlflow is importable.

    Idempotent. It adds one finder at the end of ``sys.meta_path`` and imports nothing else;
    the modules load when the tools import them.

    Returns:
        True when the alias is on (now or already), False when a real mlflow is importable:
        then nothing changes and one ``MlflowAliasWarning`` (per process) says where it is.
    """
    global _warned
    if mlflow_alias_installed():
        return True
    spec = real_mlflow_spec()
    if spec is not None:
        if not _warned:
            _warned = True
            warnings.warn(
                f"A real mlflow is importable ({_where(spec)}), so runwell's mlflow alias "
                "stays off and `import mlflow` gets that one. Uninstall it (or unset "
                "RUNWELL_MLFLOW_ALIAS) to silence this.",
                MlflowAliasWarning,
                stacklevel=2,
            )
        return False
    sys.meta_path.append(_FINDER)
    return True


def uninstall_mlflow_alias() -> None:
    """Take the alias out: the finder, and every ``mlflow`` module it made."""
    while _FINDER in sys.meta_path:
        sys.meta_path.remove(_FINDER)
    for name, module in list(sys.modules.items()):
        if (name == _ROOT or name.startswith(_ROOT + ".")) and isinstance(module, _AliasModule):
            del sys.modules[name]
    _served.clear()


def mlflow_alias_installed() -> bool:
    """Whether the alias's finder is on ``sys.meta_path``."""
    return _FINDER in sys.meta_path


def install_from_env() -> bool:
    """``install_mlflow_alias()`` if RUNWELL_MLFLOW_ALIAS is true (runwell_mlflow_alias.pth)."""
    if not env.flag(env.MLFLOW_ALIAS, False):
        return False
    return install_mlflow_alias()
