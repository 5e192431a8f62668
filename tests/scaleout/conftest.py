"""The S3 fixtures of ``tests/s3`` (a real Ceph RADOS Gateway, a bucket per test), for the
scale-out tests with an ``s3://`` artifacts destination.

Importing a fixture into a conftest makes it available to the tests below it. ``ceph`` is
session-scoped per defining conftest, so a session that runs both tests/s3 and tests/scaleout
starts one cluster for each directory (about 12 s more).
"""

from __future__ import annotations

from tests.s3.conftest import ceph, s3, s3_admin

__all__ = ["ceph", "s3", "s3_admin"]
