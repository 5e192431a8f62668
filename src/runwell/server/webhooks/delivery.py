"""Sending webhook deliveries: the envelope, the signature, retries, and the background queue.

A delivery is a POST of ``{"entity", "action", "timestamp", "data"}`` (JSON; the timestamp
ISO 8601 in UTC) with MLflow's headers (mlflow/webhooks/constants.py, delivery.py):

- ``X-MLflow-Delivery-Id``: a UUID, the same on every retry of one delivery;
- ``X-MLflow-Timestamp``: Unix seconds when the delivery was made;
- ``X-MLflow-Signature``: ``v1,`` + base64 of HMAC-SHA256(secret,
  ``"<delivery id>.<timestamp>.<body>"``), only when the webhook has a secret.

A 429, 5xx, timeout or connection error is retried RUNWELL_WEBHOOK_REQUEST_MAX_RETRIES times
(3), waiting RUNWELL_WEBHOOK_BACKOFF_S (1 s), then twice as long each time (at most 60 s; a
``Retry-After`` of seconds wins); each attempt may take RUNWELL_WEBHOOK_REQUEST_TIMEOUT (30 s).
Every attempt resolves and checks the host again (targets.py) and connects to a checked
address; a refused host is not retried.

Registry routes call ``fire``: it queues the event and returns. Daemon worker threads look up
the subscribed webhooks and send, so a slow or dead receiver never holds a request; a full
queue drops the event with a warning rather than blocking.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.client
import json
import logging
import queue
import socket
import ssl
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from runwell import env
from runwell.entities.webhook import Webhook, WebhookEvent, WebhookTestResult
from runwell.errors import RunwellError
from runwell.server.webhooks.targets import Target, check_target

logger = logging.getLogger("runwell.server.webhooks")

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_ID_HEADER = "X-MLflow-Delivery-Id"
SIGNATURE_VERSION = "v1"
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF_S = 60.0
# What /test reports of a receiver's answer; the rest is not read.
MAX_RESPONSE_BODY = 64 * 1024
WORKERS = 4
QUEUE_SIZE = 10_000


def sign(secret: str, delivery_id: str, timestamp: str, body: str) -> str:
    """MLflow's signature header value for one delivery."""
    signed = f"{delivery_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return f"{SIGNATURE_VERSION},{base64.b64encode(digest).decode('ascii')}"


@dataclass(frozen=True)
class Policy:
    """Timeout and retries, from the environment at the time of the delivery."""

    timeout_s: float = 30.0
    max_retries: int = 3
    backoff_s: float = 1.0

    @classmethod
    def from_env(cls) -> Policy:
        return cls(
            # A socket timeout of 0 would mean non-blocking, not "no time at all".
            timeout_s=max(env.number(env.WEBHOOK_TIMEOUT, 30.0), 0.01),
            max_retries=env.whole_number(env.WEBHOOK_MAX_RETRIES, 3, 0),
            backoff_s=max(env.number(env.WEBHOOK_BACKOFF, 1.0), 0.0),
        )

    def wait_s(self, retry: int, retry_after: str | None) -> float:
        if retry_after is not None and retry_after.strip().isdigit():
            return min(float(retry_after), MAX_BACKOFF_S)
        return float(min(self.backoff_s * 2 ** (retry - 1), MAX_BACKOFF_S))


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    retry_after: str | None = None


class _PinnedHTTP(http.client.HTTPConnection):
    """An HTTP connection to ``address`` that still says ``Host: <host>``."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        super().__init__(target.host, target.port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """An HTTPS connection to ``address``; TLS checks the certificate against the host name."""

    def __init__(self, target: Target, address: str, timeout: float) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(target.host, target.port, timeout=timeout, context=self._tls)
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._tls.wrap_socket(raw, server_hostname=self.host)


def _connected(target: Target, timeout: float) -> http.client.HTTPConnection:
    """A connection to the first checked address that accepts one."""
    kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
    failure: OSError = OSError(f"No address to connect to for {target.host!r}")
    for address in target.addresses:
        connection = kind(target, address, timeout)
        try:
            connection.connect()
        except OSError as exc:  # refused, unreachable, TLS: try the next address
            connection.close()
            failure = exc
            continue
        return connection
    raise failure


def _post_once(url: str, body: bytes, headers: dict[str, str], timeout: float) -> Answer:
    target = check_target(url)  # RunwellError: refused, not retried
    connection = _connected(target, timeout)
    # Once the request is out, a failure is this attempt's: another address of the same host
    # might otherwise receive the same delivery twice.
    try:
        connection.request("POST", target.path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read(MAX_RESPONSE_BODY).decode("utf-8", "replace")
        return Answer(response.status, text, response.getheader("Retry-After"))
    except http.client.HTTPException as exc:  # a malformed answer: retried like a reset
        raise OSError(f"Invalid HTTP answer from {target.host!r}: {exc!r}") from exc
    finally:
        connection.close()


def envelope(event: WebhookEvent, payload: dict[str, Any]) -> str:
    return json.dumps(
        {
            "entity": event.entity,
            "action": event.action,
            "timestamp": datetime.now(timezone.utc).isoformat(),
            "data": payload,
        }
    )


def send(
    webhook: Webhook, event: WebhookEvent, payload: dict[str, Any], policy: Policy | None = None
) -> Answer:
    """Deliver one event to one webhook, retrying as the policy says; the last answer.

    Raises:
        RunwellError: the host is refused (or does not resolve).
        OSError: every attempt failed to connect or timed out.
    """
    policy = policy or Policy.from_env()
    body = envelope(event, payload)
    delivery_id = str(uuid.uuid4())
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        DELIVERY_ID_HEADER: delivery_id,
        TIMESTAMP_HEADER: timestamp,
    }
    if webhook.secret:
        headers[SIGNATURE_HEADER] = sign(webhook.secret, delivery_id, timestamp, body)
    encoded = body.encode("utf-8")
    retry = 0
    while True:
        try:
            answer = _post_once(webhook.url, encoded, headers, policy.timeout_s)
        except OSError:
            if retry >= policy.max_retries:
                raise
            retry_after = None
        else:
            if answer.status not in RETRY_STATUSES or retry >= policy.max_retries:
                return answer
            retry_after = answer.retry_after
        retry += 1
        time.sleep(policy.wait_s(retry, retry_after))


def test(webhook: Webhook, event: WebhookEvent, payload: dict[str, Any]) -> WebhookTestResult:
    """Send ``payload`` now (the caller waits) and report what the receiver answered."""
    try:
        answer = send(webhook, event, payload)
    except (RunwellError, OSError) as exc:
        return WebhookTestResult(success=False, error_message=f"Failed to test webhook: {exc}")
    return WebhookTestResult(
        success=answer.status < 400, response_status=answer.status, response_body=answer.body
    )


class Subscribers(Protocol):
    """Where the workers find the webhooks of an event (SqlWebhookStore is one)."""

    def active_webhooks_for(self, event: WebhookEvent) -> list[Webhook]: ...


@dataclass
class Deliveries:
    """The background queue and its daemon workers (started on the first event)."""

    workers: int = WORKERS
    _queue: queue.Queue[tuple[Subscribers, WebhookEvent, dict[str, Any]]] = field(
        default_factory=lambda: queue.Queue(QUEUE_SIZE)
    )
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fire(self, subscribers: Subscribers, event: WebhookEvent, payload: dict[str, Any]) -> None:
        """Queue ``event``; never blocks and never raises."""
        self._start()
        try:
            self._queue.put_nowait((subscribers, event, payload))
        except queue.Full:
            logger.warning("Webhook queue is full: event %s dropped", event)

    def _start(self) -> None:
        if self._threads:
            return
        with self._lock:
            while len(self._threads) < self.workers:
                thread = threading.Thread(
                    target=self._work, name=f"runwell-webhook-{len(self._threads)}", daemon=True
                )
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while True:
            subscribers, event, payload = self._queue.get()
            try:
                for webhook in subscribers.active_webhooks_for(event):
                    self._deliver(webhook, event, payload)
            except Exception:  # a worker must outlive any one event
                logger.exception("Webhook delivery of %s failed", event)
            finally:
                self._queue.task_done()

    @staticmethod
    def _deliver(webhook: Webhook, event: WebhookEvent, payload: dict[str, Any]) -> None:
        try:
            answer = send(webhook, event, payload)
        except (RunwellError, OSError) as exc:
            logger.warning(
                "Webhook %s (%s) for %s failed: %s", webhook.name, webhook.url, event, exc
            )
            return
        if answer.status >= 400:
            logger.warning(
                "Webhook %s (%s) for %s answered %d",
                webhook.name,
                webhook.url,
                event,
                answer.status,
            )
