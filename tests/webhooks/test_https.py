"""HTTPS deliveries: the connection goes to a checked address, and TLS still verifies the
certificate against the URL's host name (a certificate made here with the openssl tool)."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.webhooks.conftest import Receiver, Server

pytestmark = pytest.mark.usefixtures("allow_loopback")


def _certificate(directory: Path, name: str) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl tool is not installed")
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}",
         "-addext", f"subjectAltName=DNS:{name}"],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def _tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    return context


def test_https_delivery_verifies_the_host_name(
    server: Server,
    make_receiver: Callable[..., Receiver],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RUNWELL_WEBHOOK_ALLOWED_HOSTS", "localhost")
    monkeypatch.setenv("RUNWELL_WEBHOOK_REQUEST_MAX_RETRIES", "0")
    good_cert, good_key = _certificate(tmp_path, "localhost")
    bad_cert, bad_key = _certificate(tmp_path, "elsewhere.example")
    monkeypatch.setenv("SSL_CERT_FILE", str(good_cert))  # the one CA the sender trusts

    good = make_receiver(tls=_tls(good_cert, good_key))
    hook = server.create(good.url, [("REGISTERED_MODEL", "CREATED")], secret="k", name="good")
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})["result"]
    assert result["success"] is True, result
    (delivery,) = good.wait_for(1)
    assert delivery.headers["host"].startswith("localhost:")
    assert delivery.signature_is_valid("k")

    # A certificate for another name, trusted or not, is refused.
    monkeypatch.setenv("SSL_CERT_FILE", str(bad_cert))
    bad = make_receiver(tls=_tls(bad_cert, bad_key))
    hook = server.create(bad.url, [("REGISTERED_MODEL", "CREATED")], name="bad")
    result = server.ok("POST", f"/webhooks/{hook['webhook_id']}/test", {})["result"]
    assert result["success"] is False
    assert "certificate" in result["error_message"].lower()
    assert bad.deliveries == []
