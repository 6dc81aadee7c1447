"""Daily partitions of the ``events`` table (``events_pYYYYMMDD``, UTC days).

On TimescaleDB the table is a hypertable: chunks are created by the extension, so
:func:`partition_ensure_range` does nothing and the other two functions work on chunks.

Ingest calls :func:`partition_ensure_days` with the days of a batch; a per-process cache of known
days keeps that to a set lookup on the hot path. Partitions are created in their own short
transaction (an advisory lock serialises concurrent creators), never inside the ingest
transaction, so the lock on the parent table is held only for the DDL itself.
"""

from __future__ import annotations

import re
import threading
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction

PREFIX = "events_p"
_NAME_RE = re.compile(r"^events_p(\d{8})$")
_ADVISORY_KEY = 0x45564E54  # "EVNT"
_CHUNK = 32
_known_days: set[date] = set()
_lock = threading.Lock()
_timescale: bool | None = None


def _is_hypertable() -> bool:
    global _timescale
    if _timescale is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')"
            )
            has_extension = cursor.fetchone()[0]
            if has_extension:
                cursor.execute(
                    "SELECT EXISTS (SELECT 1 FROM timescaledb_information.hypertables"
                    " WHERE hypertable_name = 'events')"
                )
                has_extension = cursor.fetchone()[0]
        _timescale = bool(has_extension)
    return _timescale


def partition_name(day: date) -> str:
    return f"{PREFIX}{day:%Y%m%d}"


def _day(value: datetime) -> date:
    return value.astimezone(UTC).date()


def _days(start: datetime, end: datetime) -> list[date]:
    """UTC days overlapping ``[start, end)``."""
    first, last = _day(start), _day(end - timedelta(microseconds=1))
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def partition_ensure_range(start: datetime, end: datetime) -> list[str]:
    """Create the daily partitions covering ``[start, end)``; returns the names created."""
    if end <= start:
        return []
    return partition_ensure_days(_days(start, end), use_cache=False)


def partition_ensure_days(days, *, use_cache: bool = True) -> list[str]:
    """Make sure a partition exists for each UTC ``date`` in ``days``. Cheap when cached."""
    missing = [d for d in days if d not in _known_days] if use_cache else list(days)
    if not missing:
        return []
    if _is_hypertable():
        _known_days.update(missing)
        return []
    created: list[str] = []
    ordered = sorted(set(missing))
    # Chunks in their own transactions: each new partition holds a few locks until commit, and
    # a batch may span hundreds of days (max_locks_per_transaction is 64 by default).
    for n in range(0, len(ordered), _CHUNK):
        created.extend(_create_partitions(ordered[n : n + _CHUNK]))
    _known_days.update(missing)
    return created


def _create_partitions(days: list[date]) -> list[str]:
    created = []
    with _lock, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_KEY])
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'events'::regclass AND c.relname = ANY(%s)",
            [[partition_name(d) for d in days]],
        )
        existing = {row[0] for row in cursor.fetchall()}
        for day in days:
            name = partition_name(day)
            if name in existing:
                continue
            start = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # The identifier comes from a date, never from user input.
            cursor.execute(
                f'CREATE TABLE "{name}" PARTITION OF events FOR VALUES FROM (%s) TO (%s)',
                [start, start + timedelta(days=1)],
            )
            created.append(name)
    return created


def partitions_forget() -> None:
    """Drop the per-process cache (after a partition was dropped elsewhere)."""
    _known_days.clear()


def _parse_bound(expr: str) -> tuple[datetime, datetime]:
    start, end = re.findall(r"'([^']+)'", expr)[:2]
    return datetime.fromisoformat(start), datetime.fromisoformat(end)


def partitions_list() -> list[tuple[str, datetime, datetime]]:
    """``(name, start, end)`` of every partition (or chunk), oldest first."""
    with connection.cursor() as cursor:
        if _is_hypertable():
            cursor.execute(
                "SELECT chunk_schema || '.' || chunk_name, range_start, range_end"
                " FROM timescaledb_information.chunks WHERE hypertable_name = 'events'"
                " ORDER BY range_start"
            )
            return [(name, start, end) for name, start, end in cursor.fetchall()]
        cursor.execute(
            "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i"
            " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
        )
        rows = []
        for name, expr in cursor.fetchall():
            if "DEFAULT" in expr.upper():
                continue
            start, end = _parse_bound(expr)
            rows.append((name, start.astimezone(UTC), end.astimezone(UTC)))
    return sorted(rows, key=lambda row: row[1])


def partition_drop(name: str) -> None:
    """Drop one partition (or chunk) with all its events, and its client-id entries."""
    partitions = {row[0]: row for row in partitions_list()}
    if name not in partitions:
        raise ValueError(f"{name!r} is not a partition of events")
    _, start, end = partitions[name]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM event_client_ids WHERE ts >= %s AND ts < %s", [start, end])
        if _is_hypertable():
            cursor.execute(
                "SELECT drop_chunks('events', older_than => %s, newer_than => %s)", [end, start]
            )
        else:
            schema_name = name.replace('"', "")
            cursor.execute(f'DROP TABLE "{schema_name}"')
    _known_days.discard(_day(start))


def partitions_create_ahead(days: int = 7) -> list[str]:
    """The beat task's job: partitions from yesterday to ``days`` ahead exist."""
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return partition_ensure_range(today - timedelta(days=1), today + timedelta(days=days + 1))
