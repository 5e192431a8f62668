"""Autologging: ``runwell.autolog()`` logs training runs of the libraries a script uses.

    import runwell
    runwell.autolog()                       # every installed library, patched on import
    model = LogisticRegression().fit(X, y)  # a run with params, metrics, model, dataset
    runwell.autologging.flush()             # wait for the model and dataset to be stored
    runwell.autolog(disable=True)           # every patch undone

``runwell.sklearn.autolog(...)`` turns one library on with its own options. The package is
called ``autologging`` (not ``autolog``) so that ``runwell.autolog`` stays the function: a
submodule of that name would replace the attribute once imported.

How an integration is built (adding XGBoost, LightGBM, PyTorch...)
------------------------------------------------------------------
1. A module ``runwell/autologging/<library>.py`` with a subclass of
   ``integrations.Integration``: ``name`` (settings key, ``mlflow.autologging`` tag value),
   ``library`` (import name), ``extra_defaults`` (its own options; ``check`` validates them)
   and ``install(patches, module)``, which calls ``patches.wrap(owner, "method", hook)`` for
   each function to patch. Expose the instance as ``INTEGRATION``, declare the tested versions
   with ``versions.set_supported_range(library, minimum, maximum)`` at import, add the module
   to ``integrations.MODULES``, and give the flavor package an ``autolog(**options)`` calling
   ``integrations.configure(name, options)`` (see sklearn.py and runwell/sklearn/autolog.py).
2. A hook is ``hook(original, *args, **kwargs)``: do autolog's work around one call of
   ``original(*args, **kwargs)`` and return its result. patching.py makes it safe: the
   original's exceptions propagate untouched, the hook's own exceptions become one warning
   and the call still returns the original's result, and calls nested inside a patched call
   (any integration, same thread) are not autologged. ``config.get_config(name)`` gives the
   settings (``settings.option("x")`` for an extra one).
3. Runs: ``session.begin(name, settings)`` gives the ``RunScope`` to log into (the active run,
   or a new one autolog ends with ``session.end(scope, failed=...)``; None under
   ``exclusive`` with a user run). ``deferred=True`` records a new run after the call, in the
   background, for libraries whose training never logs by itself (sklearn). Keep the
   hook's own work small (the overhead budget is a fifth of a small model's fit): take what
   the logging needs (a copy of the model, the data) and queue the logging with
   ``worker.submit(name, "what", job, settings.synchronous)`` after ``session.end``. A job
   logs by run id through ``scope.client``, never through the thread's active run
   (``models.log_model_to_run`` logs a model that way with any flavor's ``save_model``); see
   sklearn.py/sklearn_data.py.
4. Per-iteration metrics (boosting rounds, epochs) are logged while training runs, through
   ``scope.client.log_batch`` with their steps (from a callback the hook adds), one batch
   per iteration or fewer; the end-of-training part (model, importance plots) is a job.
5. Tests: real library, real model, the test SQLite store; ``flush()`` before reading what
   the background thread logs; ``versions.set_supported_range`` to simulate an unsupported
   version.
"""

from runwell.autologging.config import AutologConfig, get_config
from runwell.autologging.entry import autolog
from runwell.autologging.versions import SupportedRange, set_supported_range, supported_range
from runwell.autologging.worker import flush

__all__ = [
    "AutologConfig",
    "SupportedRange",
    "autolog",
    "flush",
    "get_config",
    "set_supported_range",
    "supported_range",
]
