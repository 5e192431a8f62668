"""The MLflow protocol version runwell's server implements.

MLflow's client reads ``GET /version`` as a PEP 440 version and gates features on it (for
example ``log_spans`` needs 3.4 or later), so the server answers with the MLflow release whose
REST protocol it follows, and carries its own version in the ``X-Runwell-Version`` header.
"""

from __future__ import annotations

MLFLOW_PROTOCOL_VERSION = "3.17.2"
RUNWELL_VERSION_HEADER = "X-Runwell-Version"
