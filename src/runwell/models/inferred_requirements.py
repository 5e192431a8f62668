"""Which installed packages a model needs, read from what it references rather than guessed.

A flavor knows its own library (scikit-learn, xgboost ...), but a model often needs more: a
Pipeline step from another package, a PythonModel that calls torch, helpers in ``code_paths``.
This module finds those without loading or running anything:

- pickles in the model directory (``*.pkl``, ``*.pickle``, the pickles inside ``*.pt``/``*.pth``
  archives) are walked opcode by opcode for the modules their classes and functions come from,
  including modules cloudpickle records by name for functions pickled by value;
- skops files list the module of every object they hold;
- Python sources (``code/`` and a PythonModel's own file) are parsed for their imports.

The top-level module names found are mapped to installed distributions
(``sklearn`` -> ``scikit-learn``); standard-library modules, runwell itself and modules that
no installed distribution provides (local code) are left out.
"""

from __future__ import annotations

import ast
import functools
import io
import json
import logging
import os
import pickletools
import sys
import zipfile
from collections.abc import Iterable, Iterator
from importlib import metadata
from typing import IO, Any

_logger = logging.getLogger(__name__)

PICKLE_SUFFIXES = (".pkl", ".pickle")
ARCHIVE_SUFFIXES = (".pt", ".pth")  # torch.save: a zip archive holding pickles
SKOPS_SUFFIX = ".skops"
# A pickle is walked in Python; past this many opcodes (a huge object graph) stop and keep what
# was found: the classes come first in practice, the bulk is data.
MAX_OPCODES = 2_000_000
_STRING_OPS = frozenset(
    {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING"}
)
_STRING_OPS |= {"STRING"}
_GET_OPS = frozenset({"BINGET", "LONG_BINGET", "GET"})
_PUT_OPS = frozenset({"BINPUT", "LONG_BINPUT", "PUT"})
# Modules that are never a requirement: the interpreter's own, and the pickle machinery's names.
_NEVER = frozenset({"__main__", "__mp_main__", "__builtin__", "runwell", "mlflow"})


def modules_in_pickle(stream: IO[bytes]) -> set[str]:
    """Top-level modules named by the globals (classes, functions) of one pickle."""
    found: set[str] = set()
    strings: list[str] = []  # strings pushed so far, for STACK_GLOBAL's two operands
    memo: dict[Any, Any] = {}
    top: Any = None  # the object last pushed, when it was a string (memo needs it)
    subimport_next = False  # cloudpickle's subimport(name): the next string is a module
    for count, (opcode, arg, _position) in enumerate(pickletools.genops(stream)):
        if count >= MAX_OPCODES:
            break
        name = opcode.name
        pushed: Any = None
        if name in _STRING_OPS:
            pushed = arg
        elif name in _GET_OPS:
            pushed = memo.get(arg)
        elif name in _PUT_OPS:
            memo[arg] = top
        elif name == "MEMOIZE":
            memo[len(memo)] = top
        elif name in ("GLOBAL", "INST"):
            module, _, attribute = str(arg).partition(" ")
            found.add(module)
            subimport_next = attribute == "subimport"
        elif name == "STACK_GLOBAL" and len(strings) >= 2:
            found.add(strings[-2])
            subimport_next = strings[-1] == "subimport"
        if isinstance(pushed, str):
            strings.append(pushed)
            if subimport_next:
                found.add(pushed)
                subimport_next = False
        if name not in _PUT_OPS and name != "MEMOIZE":
            top = pushed
    return {module.split(".", 1)[0] for module in found if module}


def modules_in_source(source: str, filename: str = "<source>") -> set[str]:
    """Top-level modules a Python source imports (absolute imports, at any depth)."""
    try:
        tree = ast.parse(source, filename=filename)
    except SyntaxError as exc:
        _logger.warning("Not scanning %s for imports: %s", filename, exc)
        return set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".", 1)[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".", 1)[0])
    return found


def _skops_modules(path: str) -> set[str]:
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    found: set[str] = set()
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            module = node.get("__module__")
            if isinstance(module, str):
                found.add(module.split(".", 1)[0])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _archive_modules(path: str) -> set[str]:
    found: set[str] = set()
    with zipfile.ZipFile(path) as archive:
        for member in archive.namelist():
            if member.endswith(PICKLE_SUFFIXES):
                found |= modules_in_pickle(io.BytesIO(archive.read(member)))
    return found


def _files(directory: str) -> Iterator[str]:
    for root, _dirs, files in os.walk(directory):
        for name in files:
            yield os.path.join(root, name)


def _local_names(directory: str) -> set[str]:
    """Modules a code directory defines itself: never a distribution to install."""
    names: set[str] = set()
    for entry in os.listdir(directory):
        stem, suffix = os.path.splitext(entry)
        if suffix == ".py" or os.path.isdir(os.path.join(directory, entry)):
            names.add(stem)
    return names


def modules_in_model_dir(directory: str, code_dir: str | None = None) -> set[str]:
    """Top-level modules the files of a model directory reference (see the module)."""
    found: set[str] = set()
    local: set[str] = set()
    for path in _files(directory):
        try:
            if path.endswith(PICKLE_SUFFIXES):
                with open(path, "rb") as handle:
                    found |= modules_in_pickle(handle)
            elif path.endswith(ARCHIVE_SUFFIXES) and zipfile.is_zipfile(path):
                found |= _archive_modules(path)
            elif path.endswith(SKOPS_SUFFIX) and zipfile.is_zipfile(path):
                found |= _skops_modules(path)
            elif path.endswith(".py"):
                with open(path, encoding="utf-8", errors="replace") as source:
                    found |= modules_in_source(source.read(), path)
        except (OSError, ValueError, KeyError, zipfile.BadZipFile, EOFError) as exc:
            # Not the format its name says (or truncated): it adds nothing to infer from.
            _logger.debug("Not scanning %s for requirements: %s", path, exc)
    if code_dir and os.path.isdir(code_dir):
        local = _local_names(code_dir)
    return found - local


def modules_of_object(obj: Any) -> set[str]:
    """Imports of the source file that defines ``obj``'s class, unless it is an installed
    package (whose own distribution is found from the class's module instead)."""
    import inspect

    cls = type(obj)
    found = {cls.__module__.split(".", 1)[0]}
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        return found
    if path is None or not os.path.isfile(path) or _is_installed_path(path):
        return found
    with open(path, encoding="utf-8", errors="replace") as source:
        return found | modules_in_source(source.read(), path)


def _is_installed_path(path: str) -> bool:
    import sysconfig

    roots = {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    real = os.path.realpath(path)
    return any(root and real.startswith(os.path.realpath(root) + os.sep) for root in roots)


@functools.lru_cache(maxsize=1)
def _module_distributions() -> dict[str, list[str]]:
    return dict(metadata.packages_distributions())


def distributions(modules: Iterable[str]) -> list[str]:
    """The installed distributions providing ``modules`` (top-level names), sorted."""
    stdlib = sys.stdlib_module_names
    provided = _module_distributions()
    found: set[str] = set()
    for module in modules:
        if module in _NEVER or module in stdlib or module.startswith("_"):
            continue
        found.update(provided.get(module, ()))
    return sorted(found, key=str.lower)
