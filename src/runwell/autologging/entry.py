"""``runwell.autolog()``: the options every integration shares, for every installed library."""

from __future__ import annotations

from typing import Any

from runwell.autologging import integrations


def autolog(
    log_input_examples: bool = False,
    log_model_signatures: bool = True,
    log_models: bool = True,
    log_datasets: bool = True,
    disable: bool = False,
    exclusive: bool = False,
    silent: bool = False,
    extra_tags: dict[str, Any] | None = None,
    synchronous: bool = False,
) -> None:
    """Turn autologging on (or off) for every supported library that is installed.

    A library already imported is patched now; the others right after their first import,
    so this imports nothing the script does not use. Per-library options:
    ``runwell.sklearn.autolog(...)``.

    Args:
        log_input_examples: save the first rows of the training input with each model.
        log_model_signatures: infer and save each model's signature.
        log_models: log fitted models.
        log_datasets: record training data as run inputs.
        disable: undo every patch; nothing is logged any more.
        exclusive: never log into runs the user started (only into runs autolog starts).
        silent: no warnings or log records from autolog itself.
        extra_tags: tags for every run autolog starts.
        synchronous: log models, datasets and child runs before the training call returns
            (by default autolog's background thread does; ``runwell.autologging.flush()``
            waits for it).
    """
    integrations.autolog_all(dict(locals()))
