"""Celery tasks of the ingest side: outbox draining, partitions ahead, housekeeping."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import redis
from celery import shared_task
from django.conf import settings

from events import partitions
from events.ingest.idempotency import idempotency_expire
from eventstream.core import outbox

NUDGE_FLAG = "outbox:drain-pending"


_redis_client = None


def _redis():
    """One client (and connection pool) per process, shared by threads: the nudge may run in a
    timer thread, where Django's per-thread cache would open a new connection each time."""
    global _redis_client
    if _redis_client is None:
        _redis_client = redis.Redis.from_url(
            settings.REDIS_URL, socket_connect_timeout=1, socket_timeout=1
        )
    return _redis_client


def _flag() -> str:
    return f"{settings.CACHES['default'].get('KEY_PREFIX', '')}:{NUDGE_FLAG}"


@shared_task(name="events.outbox_drain", ignore_result=True)
def outbox_drain_task() -> int:
    # Commits after this point nudge again; with Redis down the periodic drain still runs.
    with contextlib.suppress(Exception):
        _redis().delete(_flag())
    return outbox.outbox_drain()


@shared_task(name="events.partitions_ahead", ignore_result=True)
def partitions_ahead_task(days: int = 7) -> list[str]:
    return partitions.partitions_create_ahead(days)


@shared_task(name="events.ingest_housekeeping", ignore_result=True)
def ingest_housekeeping_task() -> dict:
    return {
        "idempotency_keys_expired": idempotency_expire(),
        "outbox_purged": outbox.outbox_purge(older_than=datetime.now(UTC) - timedelta(days=7)),
    }


def nudge_drain() -> None:
    """One enqueue per committed request at most; none while a drain is already queued."""
    if not _redis().set(_flag(), 1, nx=True, ex=outbox.NUDGE_FLAG_TTL_SECONDS):
        return
    try:
        outbox_drain_task.apply_async(retry=False)
    except Exception:
        _redis().delete(_flag())
        raise
