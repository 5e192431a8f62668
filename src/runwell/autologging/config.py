"""Per-integration autolog settings: what ``autolog(...)`` was called with, per library.

One frozen ``AutologConfig`` per integration name (``sklearn``, ``xgboost``...), kept in a
process-wide table. The patched functions read it on every call (one dict lookup), so calling
``autolog`` again with other settings takes effect at the next ``fit`` without re-patching.
Options only one library understands live in ``extra`` and are checked by that integration.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from runwell.errors import InvalidArgument

# Options every integration takes, with MLflow's defaults (``mlflow.<flavor>.autolog``).
COMMON_DEFAULTS: dict[str, Any] = {
    "disable": False,
    "log_models": True,
    "log_input_examples": False,
    "log_model_signatures": True,
    "log_datasets": True,
    "silent": False,
    "exclusive": False,
    "synchronous": False,
}


@dataclass(frozen=True)
class AutologConfig:
    """The settings of one integration.

    Attributes:
        disable: patches are removed and nothing is logged.
        log_models: log the fitted model (``model``) on the run.
        log_input_examples: save the first rows of the training input with the model.
        log_model_signatures: infer and save the model signature.
        log_datasets: record the training data as a run input (``context=train``).
        silent: no warnings or log records from autolog itself.
        exclusive: never log into a run the user started; only into runs autolog starts.
        synchronous: do the slow part (model files, datasets, search child runs) before the
            patched call returns, instead of in autolog's background thread.
        extra_tags: tags set on every run autolog starts.
        extra: the integration's own options (``max_tuning_runs`` for scikit-learn...).
    """

    disable: bool = False
    log_models: bool = True
    log_input_examples: bool = False
    log_model_signatures: bool = True
    log_datasets: bool = True
    silent: bool = False
    exclusive: bool = False
    synchronous: bool = False
    extra_tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def option(self, name: str) -> Any:
        """An integration-specific option (KeyError when the integration did not declare it)."""
        return self.extra[name]


def build(
    integration: str,
    options: Mapping[str, Any],
    extra_defaults: Mapping[str, Any],
) -> AutologConfig:
    """Check ``options`` (common ones and the integration's ``extra_defaults``) into a config.

    Raises:
        InvalidArgument: an unknown option, or a value of the wrong type.
    """
    common: dict[str, Any] = {}
    extra = dict(extra_defaults)
    tags: Mapping[str, Any] = {}
    for name, value in options.items():
        if name in COMMON_DEFAULTS:
            if not isinstance(value, bool):
                raise InvalidArgument(
                    f"Invalid autolog option '{name}' for {integration}: expected True or "
                    f"False, got {value!r}."
                )
            common[name] = value
        elif name == "extra_tags":
            if value is not None and not isinstance(value, Mapping):
                raise InvalidArgument(
                    f"Invalid autolog option 'extra_tags' for {integration}: expected a "
                    f"mapping of tag names to values, got {type(value).__name__}."
                )
            tags = value or {}
        elif name in extra:
            extra[name] = value
        else:
            known = sorted({*COMMON_DEFAULTS, "extra_tags", *extra_defaults})
            raise InvalidArgument(
                f"Unknown autolog option '{name}' for {integration}: expected one of "
                f"{', '.join(known)}."
            )
    return AutologConfig(
        **common, extra_tags={str(k): str(v) for k, v in tags.items()}, extra=extra
    )


_lock = threading.Lock()
_configs: dict[str, AutologConfig] = {}


def set_config(integration: str, config: AutologConfig) -> None:
    with _lock:
        _configs[integration] = config


def get_config(integration: str) -> AutologConfig | None:
    """The integration's settings, or None when autolog was never turned on for it."""
    return _configs.get(integration)


def is_enabled(integration: str) -> bool:
    found = _configs.get(integration)
    return found is not None and not found.disable


def forget(integration: str) -> None:
    with _lock:
        _configs.pop(integration, None)
