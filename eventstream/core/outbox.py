"""A transactional outbox in PostgreSQL and a tiny registry of its consumers.

A service writes an outbox row in the same transaction as the data it describes
(:func:`outbox_put`), and after commit nudges a worker (:func:`outbox_nudge_on_commit`). The
worker drains the outbox (:func:`outbox_drain`), handing each row to every consumer registered
for its topic. If Redis or the workers are down at commit time, the row waits in PostgreSQL and
the periodic drain (beat) processes it later: the hand-off is as durable as the data.

Consumers register from their app's ``AppConfig.ready``::

    outbox.register_consumer("events.ingested", "webhooks.fanout", handle_batch)

A handler receives a list of :class:`OutboxEntry` of its topic and must be idempotent: delivery
is at least once (a row whose handler raised is retried on the next drain). This module imports
no app; the table is created by ``events/migrations/0001``.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from django.db import connection, transaction

log = logging.getLogger("eventstream.outbox")

MAX_ATTEMPTS = 10
NUDGE_FLAG_TTL_SECONDS = 30
NUDGE_DEBOUNCE_SECONDS = 0.25


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    topic: str
    account_id: uuid.UUID | None
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[list[OutboxEntry]], None]
_consumers: dict[str, dict[str, Handler]] = {}
_nudge: Callable[[], None] | None = None


def register_consumer(topic: str, name: str, handler: Handler) -> None:
    """Register ``handler`` (under a unique ``name``) for rows of ``topic``. Idempotent."""
    _consumers.setdefault(topic, {})[name] = handler


def unregister_consumer(topic: str, name: str) -> None:
    _consumers.get(topic, {}).pop(name, None)


def consumers_for(topic: str) -> dict[str, Handler]:
    return dict(_consumers.get(topic, {}))


def set_nudge(func: Callable[[], None]) -> None:
    """The function that asks a worker to drain (a Celery ``delay``), set by the owning app."""
    global _nudge
    _nudge = func


def outbox_put(*, topic: str, payload: dict[str, Any], account_id=None) -> None:
    """Insert one row; call inside the transaction that writes the data it announces."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO outbox (topic, account_id, payload) VALUES (%s, %s, %s::jsonb)",
            [topic, account_id, orjson.dumps(payload).decode()],
        )


def outbox_nudge_on_commit() -> None:
    """After commit, ask for a drain once (a failure to reach the broker is logged, not raised:
    the periodic drain picks the rows up)."""
    transaction.on_commit(_safe_nudge)


class _Debouncer:
    """At most one nudge per ``interval`` per process: a commit inside the interval arms one
    trailing nudge at its end instead, so no committed row waits longer than ``interval``."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._last = 0.0
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __call__(self) -> None:
        now = time.monotonic()
        with self._lock:
            if now - self._last >= self.interval:
                self._last = now
                fire = True
            else:
                fire = False
                if self._timer is None:
                    delay = self.interval - (now - self._last)
                    self._timer = threading.Timer(delay, self._trailing)
                    self._timer.daemon = True
                    self._timer.start()
        if fire:
            _call_nudge()

    def _trailing(self) -> None:
        with self._lock:
            self._timer = None
            self._last = time.monotonic()
        _call_nudge()


def _call_nudge() -> None:
    if _nudge is None:
        return
    try:
        _nudge()
    except Exception:  # the broker being down must not fail a committed request
        log.warning("outbox_nudge_failed", exc_info=True)


_safe_nudge = _Debouncer(NUDGE_DEBOUNCE_SECONDS)


def _claim(cursor, batch_size: int) -> list[OutboxEntry]:
    cursor.execute(
        "SELECT id, topic, account_id, payload, created_at FROM outbox"
        " WHERE processed_at IS NULL AND attempts < %s ORDER BY id LIMIT %s"
        " FOR UPDATE SKIP LOCKED",
        [MAX_ATTEMPTS, batch_size],
    )
    entries = []
    for row_id, topic, account_id, payload, created_at in cursor.fetchall():
        if isinstance(payload, (str, bytes)):
            payload = orjson.loads(payload)
        entries.append(OutboxEntry(row_id, topic, account_id, payload, created_at))
    return entries


def _dispatch(entries: list[OutboxEntry]) -> tuple[list[int], dict[int, str]]:
    by_topic: dict[str, list[OutboxEntry]] = {}
    for entry in entries:
        by_topic.setdefault(entry.topic, []).append(entry)
    done: list[int] = []
    failed: dict[int, str] = {}
    for topic, group in by_topic.items():
        error = None
        for name, handler in consumers_for(topic).items():
            try:
                with transaction.atomic():
                    handler(group)
            except Exception as exc:
                log.exception("outbox_consumer_failed", extra={"consumer": name})
                error = f"{name}: {type(exc).__name__}: {exc}"[:1000]
        ids = [entry.id for entry in group]
        if error is None:
            done.extend(ids)
        else:
            failed.update(dict.fromkeys(ids, error))
    return done, failed


def outbox_drain(*, batch_size: int = 500, max_batches: int = 100) -> int:
    """Process pending rows in id order; returns how many were marked processed.

    Rows are claimed with ``FOR UPDATE SKIP LOCKED``, so concurrent drains never process the
    same row at the same time.
    """
    processed = 0
    for _ in range(max_batches):
        with transaction.atomic(), connection.cursor() as cursor:
            entries = _claim(cursor, batch_size)
            if not entries:
                break
            done, failed = _dispatch(entries)
            if done:
                cursor.execute(
                    "UPDATE outbox SET processed_at = now(), attempts = attempts + 1"
                    " WHERE id = ANY(%s)",
                    [done],
                )
            for row_id, error in failed.items():
                cursor.execute(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = %s WHERE id = %s",
                    [error, row_id],
                )
            processed += len(done)
            if failed or len(entries) < batch_size:
                break
    return processed


def outbox_purge(*, older_than: datetime) -> int:
    """Delete processed rows older than ``older_than``."""
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM outbox WHERE processed_at IS NOT NULL AND processed_at < %s",
            [older_than],
        )
        return cursor.rowcount
