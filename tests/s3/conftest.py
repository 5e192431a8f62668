"""Fixtures for the S3 artifact tests: a real RADOS Gateway, a fresh bucket per test.

``ceph`` starts one single-node Ceph cluster per test session (per xdist worker), on free
loopback ports in a temporary directory (see ``tests/s3/ceph.py``), and stops its daemons by
pid at the end. Without the Ceph packages the tests skip locally with the install command as
the reason; in CI (CI=true) they fail, because CI installs the packages
(``scripts/install-system-deps.sh``).

``s3`` creates a bucket for one test and points the environment at the gateway the way a user
would: RUNWELL_S3_ENDPOINT_URL plus the standard AWS_* credentials, with the user's own AWS
configuration files hidden so that nothing outside the test changes the outcome.
"""

from __future__ import annotations

import dataclasses
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped]
import pytest

from runwell.store.artifacts import s3 as s3_module
from tests.s3.ceph import CephCluster, CephUnavailable, start_cluster

_AWS_NAMES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_S3",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "MLFLOW_S3_ENDPOINT_URL",
    "RUNWELL_S3_ENDPOINT_URL",
)


@dataclasses.dataclass(frozen=True)
class S3Bucket:
    """One test's bucket on the gateway, and an admin client to check what landed in it."""

    name: str
    endpoint_url: str
    access_key: str
    secret_key: str
    admin: Any

    def uri(self, prefix: str = "") -> str:
        return f"s3://{self.name}/{prefix}" if prefix else f"s3://{self.name}"

    def keys(self, prefix: str = "") -> list[str]:
        paginator = self.admin.get_paginator("list_objects_v2")
        pages = paginator.paginate(Bucket=self.name, Prefix=prefix)
        return sorted(item["Key"] for page in pages for item in page.get("Contents", ()))


@pytest.fixture(scope="session")
def ceph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CephCluster]:
    """A running single-node cluster with a gateway; skipped locally when Ceph is missing."""
    try:
        cluster = start_cluster(tmp_path_factory.mktemp("ceph"))
    except CephUnavailable as exc:
        message = f"Ceph RADOS Gateway not available: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI requires it)")
        pytest.skip(message)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def s3_admin(ceph: CephCluster) -> Any:
    """A plain boto3 client with the test user's keys, for setting up and checking buckets."""
    admin = boto3.session.Session().client(
        "s3",
        endpoint_url=ceph.endpoint_url,
        aws_access_key_id=ceph.access_key,
        aws_secret_access_key=ceph.secret_key,
        region_name="us-east-1",
    )
    # The gateway creates its data pools on the first write (~2 s): pay that here, not in a test.
    admin.create_bucket(Bucket="warm-up")
    admin.put_object(Bucket="warm-up", Key="k", Body=b"x")
    _remove_bucket(admin, "warm-up")
    return admin


def point_environment_at(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, endpoint_url: str, key: str, secret: str
) -> None:
    """Configure S3 through the environment alone, hiding the user's AWS files."""
    for name in _AWS_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RUNWELL_S3_ENDPOINT_URL", endpoint_url)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def s3(
    ceph: CephCluster, s3_admin: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[S3Bucket]:
    """A fresh bucket, with the environment pointing at the gateway; emptied and removed after."""
    name = f"rw-{uuid.uuid4().hex[:20]}"
    s3_admin.create_bucket(Bucket=name)
    point_environment_at(monkeypatch, tmp_path, ceph.endpoint_url, ceph.access_key, ceph.secret_key)
    yield S3Bucket(name, ceph.endpoint_url, ceph.access_key, ceph.secret_key, s3_admin)
    s3_module.forget_clients()
    _remove_bucket(s3_admin, name)


def _remove_bucket(admin: Any, name: str) -> None:
    # The OSD keeps objects in memory: free them, including half-done multipart uploads.
    for upload in admin.list_multipart_uploads(Bucket=name).get("Uploads", ()):
        admin.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    paginator = admin.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=name):
        objects = [{"Key": item["Key"]} for item in page.get("Contents", ())]
        if objects:
            admin.delete_objects(Bucket=name, Delete={"Objects": objects, "Quiet": True})
    admin.delete_bucket(Bucket=name)
