"""Celery tasks of the ingest side: outbox draining, partitions ahead, housekeeping."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from celery import shared_task
from django.core.cache import cache

from events import partitions
from events.ingest.idempotency import idempotency_expire
from eventstream.core import outbox

NUDGE_FLAG = "outbox:drain-pending"


@shared_task(name="events.outbox_drain", ignore_result=True)
def outbox_drain_task() -> int:
    # Commits after this point nudge again; with Redis down the periodic drain still runs.
    with contextlib.suppress(Exception):
        cache.delete(NUDGE_FLAG)
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
    if not cache.add(NUDGE_FLAG, 1, timeout=outbox.NUDGE_FLAG_TTL_SECONDS):
        return
    try:
        outbox_drain_task.apply_async(retry=False)
    except Exception:
        cache.delete(NUDGE_FLAG)
        raise
