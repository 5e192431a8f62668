"""The server fixtures of tests/server (a live server, one with ``--auth``) for the fuzzer."""

from tests.server.auth.conftest import secured, start_secured
from tests.server.conftest import live, start_live, template_db

__all__ = ["live", "secured", "start_live", "start_secured", "template_db"]
