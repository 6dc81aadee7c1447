"""Range partitions of the rollup tables (``events_rollup_<level>_pYYYYMMDD``).

Each level has a fixed partition span (levels.py), aligned to the rollup origin, so retention
drops whole partitions of rollups exactly as it does for raw events.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from django.db import connection

from .levels import LEVELS, ORIGIN, Level

_BOUND_RE = re.compile(r"'([^']+)'")


def _span_start(level: Level, value: datetime) -> datetime:
    return value - (value - ORIGIN) % level.partition_span


def partition_name(level: Level, start: datetime, table: str | None = None) -> str:
    return f"{table or level.table}_p{start:%Y%m%d}"


def rollup_partitions_ensure(
    level: Level, first: datetime, last: datetime, table: str | None = None
) -> list[str]:
    """Partitions of ``level`` covering buckets ``first``..``last`` (inclusive) exist.

    Call inside the refresh transaction, which holds the refresh advisory lock: rollup partitions
    are created by nobody else.
    """
    created = []
    table = table or level.table
    start = _span_start(level, first)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = %s::regclass",
            [table],
        )
        existing = {row[0] for row in cursor.fetchall()}
        while start <= last:
            name = partition_name(level, start, table)
            if name not in existing:
                # Names and bounds derive from dates, never from user input.
                cursor.execute(
                    f'CREATE TABLE "{name}" PARTITION OF {table}'
                    " FOR VALUES FROM (%s) TO (%s) WITH (fillfactor = 90)",
                    [start, start + level.partition_span],
                )
                created.append(name)
            start += level.partition_span
    return created


def rollup_partitions_list(
    level: Level, table: str | None = None
) -> list[tuple[str, datetime, datetime]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = %s::regclass",
            [table or level.table],
        )
        rows = []
        for name, expr in cursor.fetchall():
            bounds = _BOUND_RE.findall(expr)
            if len(bounds) < 2:
                continue
            start, end = (datetime.fromisoformat(b).astimezone(UTC) for b in bounds[:2])
            rows.append((name, start, end))
    return sorted(rows, key=lambda row: row[1])


def rollup_partition_drop(level: Level, name: str, table: str | None = None) -> None:
    if name not in {row[0] for row in rollup_partitions_list(level, table)}:
        raise ValueError(f"{name!r} is not a partition of {table or level.table}")
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{name}"')


def all_levels() -> tuple[Level, ...]:
    return LEVELS
