"""Retention: per-level horizons (global default + per-account overrides), enforced by dropping
whole partitions of ``events`` and of the rollup tables, never by deleting rows.

Partitions are shared by every account, so a partition goes once it is older than the longest
horizon in force for its level; an account with a shorter horizon stops seeing older data at
read time (:func:`account_horizons`) until then.

The refresh-window guard: a raw partition is kept while any of its events is not yet in the
rollups (received or PATCHed after the watermark), whatever its age.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction

from events import partitions as raw_partitions

from .levels import LEVELS
from .models import DEFAULT_DAYS, RetentionPolicy
from .rollup_partitions import rollup_partition_drop, rollup_partitions_list

log = logging.getLogger("eventstream.analytics")


def _global_days() -> dict[str, int]:
    policy = RetentionPolicy.objects.filter(account__isnull=True).first()
    return policy.days() if policy else dict(DEFAULT_DAYS)


def effective_days(account_id) -> dict[str, int]:
    policy = RetentionPolicy.objects.filter(account_id=account_id).first()
    return policy.days() if policy else _global_days()


def longest_days() -> dict[str, int]:
    days = _global_days()
    for policy in RetentionPolicy.objects.filter(account__isnull=False):
        for name, value in policy.days().items():
            days[name] = max(days[name], value)
    return days


def account_horizons(account_id, now: datetime) -> tuple[dict[str, datetime], datetime]:
    """Oldest instant each rollup level and raw events answer for, for this account."""
    days = effective_days(account_id)
    levels = {lv.name: now - timedelta(days=days[f"rollup_{lv.name}_days"]) for lv in LEVELS}
    return levels, now - timedelta(days=days["raw_days"])


@dataclass
class RetentionResult:
    dropped: list[str] = field(default_factory=list)
    kept_for_refresh: list[str] = field(default_factory=list)


def _partition_unmaterialized(name: str) -> bool:
    """True while some event of the partition is not reflected in the rollups yet."""
    with connection.cursor() as cursor:
        # Locked first, so no late event can slip in between this check and the drop.
        cursor.execute(f'LOCK TABLE "{name}" IN ACCESS EXCLUSIVE MODE')
        cursor.execute(
            f'SELECT EXISTS (SELECT 1 FROM "{name}" e, events_rollup_state s'  # noqa: S608
            " WHERE s.id = 1 AND (e.received_at > s.watermark OR e.updated_at > s.watermark))"
        )
        return cursor.fetchone()[0]


def retention_enforce(*, now: datetime | None = None) -> RetentionResult:
    now = now or datetime.now(UTC)
    days = longest_days()
    result = RetentionResult()
    raw_horizon = now - timedelta(days=days["raw_days"])
    for name, _start, end in raw_partitions.partitions_list():
        if end > raw_horizon:
            continue
        with transaction.atomic():
            if _partition_unmaterialized(name):
                log.warning("retention_kept_partition_for_refresh", extra={"partition": name})
                result.kept_for_refresh.append(name)
                continue
            raw_partitions.partition_drop(name)
        result.dropped.append(name)
    for level in LEVELS:
        horizon = now - timedelta(days=days[f"rollup_{level.name}_days"])
        for table in level.tables:
            for name, _start, end in rollup_partitions_list(level, table):
                if end <= horizon:
                    with transaction.atomic():
                        rollup_partition_drop(level, name, table)
                    result.dropped.append(name)
    if result.dropped:
        log.info("retention_dropped", extra={"partitions": result.dropped})
    return result
