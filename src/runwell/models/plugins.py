"""Third-party flavors: packages that register themselves under the ``runwell.flavors`` entry
point group, found by name next to the built-in ones.

A flavor is a module with ``FLAVOR_NAME``, ``save_model``, ``load_model`` and the pyfunc loader
``_load_pyfunc`` (``log_model`` too, usually). Its package declares, in its pyproject.toml::

    [project.entry-points."runwell.flavors"]
    polyfit = "runwell_polyfit"

Then ``runwell.models.get_flavor("polyfit")`` returns the module, ``list_flavors()`` shows it,
and ``runwell.pyfunc.load_model`` loads its models through the loader module their MLmodel
names (the module writes its own name there, as the built-in flavors do).
examples/custom_flavor is a complete, installable example.
"""

from __future__ import annotations

import importlib
from importlib import metadata
from types import ModuleType

from runwell.errors import InvalidArgument, NotFound

ENTRY_POINT_GROUP = "runwell.flavors"
REQUIRED = ("FLAVOR_NAME", "save_model", "load_model", "_load_pyfunc")
BUILT_IN = {
    name: f"runwell.{name}"
    for name in ("lightgbm", "onnx", "pytorch", "sklearn", "statsmodels", "xgboost")
} | {"python_function": "runwell.pyfunc"}


def list_flavors() -> dict[str, str]:
    """Flavor name -> module, the built-in ones and every installed plugin."""
    found = dict(BUILT_IN)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return dict(sorted(found.items()))


def get_flavor(name: str) -> ModuleType:
    """The module of flavor ``name``; NotFound naming the installed ones, InvalidArgument when
    a plugin lacks what a flavor must provide."""
    flavors = list_flavors()
    if name not in flavors:
        raise NotFound(
            f"No flavor named '{name}'. Installed flavors: {', '.join(flavors)}. A third-party "
            f"flavor registers itself under the '{ENTRY_POINT_GROUP}' entry point group."
        )
    try:
        module = importlib.import_module(flavors[name])
    except ImportError as exc:
        raise InvalidArgument(
            f"Flavor '{name}' is registered as module '{flavors[name]}', which cannot be "
            f"imported: {exc}"
        ) from None
    if name in BUILT_IN:
        return module
    missing = [attribute for attribute in REQUIRED if not hasattr(module, attribute)]
    if missing:
        raise InvalidArgument(
            f"Flavor '{name}' (module '{flavors[name]}') is incomplete: it lacks "
            f"{', '.join(missing)}."
        )
    return module
