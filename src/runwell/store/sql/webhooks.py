"""SqlWebhookStore: registry webhooks in the registry's database.

The store keeps MLflow's rules for what a webhook may hold (a name of letters, digits, ``.``,
``_`` and ``-``, at most 63 characters, starting and ending with a letter or digit; a
non-empty list of events; an http(s) URL with a host). Which hosts a URL may reach is the
server's policy (server/webhooks/targets.py), checked before the store is called.
Deleting a webhook removes it (MLflow keeps a soft-deleted row no API can read).
"""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from runwell.entities import Page
from runwell.entities.webhook import Webhook, WebhookEvent, WebhookStatus
from runwell.errors import InvalidArgument, NotFound
from runwell.store.page_tokens import decode_page_token, encode_page_token
from runwell.store.sql import migrate
from runwell.store.sql.engine import get_engine, transaction
from runwell.store.sql.webhook_rows import webhook_events, webhooks

_NAME = re.compile(r"(?=.{1,63}\Z)[a-z0-9]([a-z0-9._-]*[a-z0-9])?\Z", re.IGNORECASE)
MAX_URL_LENGTH = 2048
MAX_SECRET_LENGTH = 1024
MAX_DESCRIPTION_LENGTH = 5000
DEFAULT_MAX_RESULTS = 100
MAX_RESULTS = 1000


def _now() -> int:
    return int(time.time() * 1000)


def _missing(webhook_id: str) -> NotFound:
    return NotFound(f"Webhook with ID {webhook_id} not found.")


def check_name(name: str) -> None:
    if not _NAME.match(name):
        raise InvalidArgument(
            f"Webhook name {name!r} is invalid. It must start and end with a letter or digit, "
            "be less than 63 characters long, and contain only letters, digits, dots (.), "
            "underscores (_), and hyphens (-)."
        )


def check_url(url: str) -> None:
    """The URL's shape: http(s), a host, at most MAX_URL_LENGTH characters."""
    if not url.strip():
        raise InvalidArgument(f"Webhook URL cannot be empty or just whitespace: {url!r}")
    if len(url) > MAX_URL_LENGTH:
        raise InvalidArgument(f"Webhook URL is longer than {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        raise InvalidArgument(f"Invalid webhook URL {url!r}: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidArgument(
            f"Invalid webhook URL scheme: {parts.scheme!r}. Allowed schemes are: http, https."
        )
    if not parts.hostname:
        raise InvalidArgument(f"Webhook URL must include a hostname: {url!r}")


def _check_events(events: Sequence[WebhookEvent] | None) -> None:
    if not events:
        raise InvalidArgument("Webhook events must be a non-empty list of events.")


def _check_lengths(description: str | None, secret: str | None) -> None:
    if description is not None and len(description) > MAX_DESCRIPTION_LENGTH:
        raise InvalidArgument(
            f"Webhook description is longer than {MAX_DESCRIPTION_LENGTH} characters."
        )
    if secret is not None and len(secret) > MAX_SECRET_LENGTH:
        raise InvalidArgument(f"Webhook secret is longer than {MAX_SECRET_LENGTH} characters.")


class SqlWebhookStore:
    """Webhooks in the database at ``db_url`` (the schema created or checked on open)."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.engine = get_engine(db_url)
        migrate.ensure_schema(self.engine, db_url)

    def create_webhook(
        self,
        name: str,
        url: str,
        events: Sequence[WebhookEvent],
        description: str | None = None,
        secret: str | None = None,
        status: WebhookStatus | None = None,
    ) -> Webhook:
        check_name(name)
        check_url(url)
        _check_events(events)
        _check_lengths(description, secret)
        webhook_id = str(uuid.uuid4())
        now = _now()
        with transaction(self.engine, write=True) as conn:
            conn.execute(
                webhooks.insert().values(
                    webhook_id=webhook_id,
                    name=name,
                    description=description,
                    url=url,
                    secret=secret,
                    status=(status or WebhookStatus.ACTIVE).value,
                    creation_timestamp=now,
                    last_updated_timestamp=now,
                )
            )
            self._insert_events(conn, webhook_id, events)
            return self._load(conn, [self._row(conn, webhook_id)])[0]

    def get_webhook(self, webhook_id: str) -> Webhook:
        with transaction(self.engine, write=False) as conn:
            return self._load(conn, [self._row(conn, webhook_id)])[0]

    def list_webhooks(
        self, max_results: int | None = None, page_token: str | None = None
    ) -> Page[Webhook]:
        """Newest first, ``max_results`` (1 to 1000, default 100) a page."""
        limit = max_results or DEFAULT_MAX_RESULTS
        if not 1 <= limit <= MAX_RESULTS:
            raise InvalidArgument(f"max_results must be between 1 and {MAX_RESULTS}.")
        offset = decode_page_token(page_token)
        query = (
            sa.select(webhooks)
            .order_by(webhooks.c.creation_timestamp.desc(), webhooks.c.webhook_id)
            .limit(limit + 1)
            .offset(offset)
        )
        with transaction(self.engine, write=False) as conn:
            rows = list(conn.execute(query))
            more = len(rows) > limit
            items = self._load(conn, rows[:limit])
        return Page(items, encode_page_token(offset + limit) if more else None)

    def active_webhooks_for(self, event: WebhookEvent) -> list[Webhook]:
        """The ACTIVE webhooks subscribed to ``event``, with their secrets (for delivery)."""
        query = (
            sa.select(webhooks)
            .join(webhook_events, webhook_events.c.webhook_id == webhooks.c.webhook_id)
            .where(
                webhook_events.c.entity == event.entity,
                webhook_events.c.action == event.action,
                webhooks.c.status == WebhookStatus.ACTIVE.value,
            )
            .order_by(webhooks.c.creation_timestamp, webhooks.c.webhook_id)
        )
        with transaction(self.engine, write=False) as conn:
            return self._load(conn, list(conn.execute(query)))

    def update_webhook(
        self,
        webhook_id: str,
        name: str | None = None,
        description: str | None = None,
        url: str | None = None,
        events: Sequence[WebhookEvent] | None = None,
        secret: str | None = None,
        status: WebhookStatus | None = None,
    ) -> Webhook:
        """Change the fields given (not None); ``secret=""`` stops signing."""
        values: dict[str, Any] = {}
        if name is not None:
            check_name(name)
            values["name"] = name
        if url is not None:
            check_url(url)
            values["url"] = url
        if events is not None:
            _check_events(events)
        _check_lengths(description, secret)
        if description is not None:
            values["description"] = description
        if secret is not None:
            values["secret"] = secret or None
        if status is not None:
            values["status"] = status.value
        with transaction(self.engine, write=True) as conn:
            row = self._row(conn, webhook_id, lock=True)
            values["last_updated_timestamp"] = max(_now(), row.last_updated_timestamp)
            conn.execute(
                webhooks.update().where(webhooks.c.webhook_id == webhook_id).values(**values)
            )
            if events is not None:
                conn.execute(
                    webhook_events.delete().where(webhook_events.c.webhook_id == webhook_id)
                )
                self._insert_events(conn, webhook_id, events)
            return self._load(conn, [self._row(conn, webhook_id)])[0]

    def delete_webhook(self, webhook_id: str) -> None:
        with transaction(self.engine, write=True) as conn:
            self._row(conn, webhook_id, lock=True)
            conn.execute(webhook_events.delete().where(webhook_events.c.webhook_id == webhook_id))
            conn.execute(webhooks.delete().where(webhooks.c.webhook_id == webhook_id))

    # ---------------------------------------------------------------- rows

    @staticmethod
    def _row(conn: Connection, webhook_id: str, *, lock: bool = False) -> Any:
        query = sa.select(webhooks).where(webhooks.c.webhook_id == webhook_id)
        row = conn.execute(query.with_for_update() if lock else query).first()
        if row is None:
            raise _missing(webhook_id)
        return row

    @staticmethod
    def _insert_events(conn: Connection, webhook_id: str, events: Sequence[WebhookEvent]) -> None:
        unique = dict.fromkeys(events)
        conn.execute(
            webhook_events.insert(),
            [{"webhook_id": webhook_id, "entity": e.entity, "action": e.action} for e in unique],
        )

    @staticmethod
    def _load(conn: Connection, rows: Sequence[Any]) -> list[Webhook]:
        if not rows:
            return []
        ids = [row.webhook_id for row in rows]
        found: dict[str, list[WebhookEvent]] = {i: [] for i in ids}
        query = (
            sa.select(webhook_events)
            .where(webhook_events.c.webhook_id.in_(ids))
            .order_by(webhook_events.c.entity, webhook_events.c.action)
        )
        for event in conn.execute(query):
            found[event.webhook_id].append(WebhookEvent(event.entity, event.action))
        return [
            Webhook(
                webhook_id=row.webhook_id,
                name=row.name,
                url=row.url,
                events=tuple(found[row.webhook_id]),
                status=WebhookStatus(row.status),
                creation_timestamp=row.creation_timestamp,
                last_updated_timestamp=row.last_updated_timestamp,
                description=row.description,
                secret=row.secret,
            )
            for row in rows
        ]
