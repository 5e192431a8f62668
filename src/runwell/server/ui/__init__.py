"""The web UI: server-rendered pages (Jinja2), small ES modules and Plotly.js from the plotly
wheel, served by ``runwell server`` at ``/`` (after ``--static-prefix``).

Pages read through the same stores as the REST routes; the scripts call the ``/ajax-api/2.0``
twin of the REST API and the UI's own JSON endpoints under ``/ajax-api/2.0/runwell/ui``.
"""

from runwell.server.ui.mount import UI_API_PREFIX, mount_ui

__all__ = ["UI_API_PREFIX", "mount_ui"]
