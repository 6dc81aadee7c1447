"""Incremental refresh of the rollups from a ``received_at`` watermark.

Invariant (what the query side relies on): after a refresh to watermark ``W`` each rollup row
aggregates exactly the events with ``received_at <= W`` of its bucket, except buckets holding an
event PATCHed after ``W`` (``updated_at > W``), which queries treat as dirty and read raw.

One refresh, in one REPEATABLE READ transaction under an advisory lock:
1. ``W_new = least(now() - lag, start of the oldest running transaction - margin)``, so no
   transaction that is still running can later commit an event at or below ``W_new``.
2. Events received in ``(W_old, W_new]`` are added to every level (``INSERT .. ON CONFLICT``
   merging counts, sums, min/max and the DDSketch) — late events touch exactly their buckets.
3. Buckets holding an event received before ``W_old`` and PATCHed in ``(W_old, W_new]`` are
   recomputed from raw events.
4. The watermark moves to ``W_new``.
Buckets older than a level's longest retention horizon are not materialized.
"""

# SQL here is composed from fixed fragments of this package; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction

from .levels import LEVELS, Level, bucket_sql
from .metrics import SKETCH_GAMMA, SKETCH_SUB_MS_KEY
from .rollup_partitions import rollup_partitions_ensure

log = logging.getLogger("eventstream.analytics")

REFRESH_LOCK_KEY = 0x524F4C4C  # "ROLL"
SKETCH_KEY_SQL = (
    f"CASE WHEN duration IS NULL THEN NULL WHEN duration < 1 THEN {SKETCH_SUB_MS_KEY}"
    f" ELSE ceil(ln(duration) / ln({SKETCH_GAMMA!r}))::integer END"
)
COLUMNS = (
    "account_id, bucket, event_type, source, status, event_count, duration_count,"
    " duration_sum, duration_min, duration_max, sketch_keys, sketch_counts"
)
MERGE = """
ON CONFLICT (account_id, bucket, event_type, source, status) DO UPDATE SET
    event_count = r.event_count + EXCLUDED.event_count,
    duration_count = r.duration_count + EXCLUDED.duration_count,
    duration_sum = r.duration_sum + EXCLUDED.duration_sum,
    duration_min = least(r.duration_min, EXCLUDED.duration_min),
    duration_max = greatest(r.duration_max, EXCLUDED.duration_max),
    (sketch_keys, sketch_counts) = (
        SELECT keys, counts FROM events_sketch_merge(
            r.sketch_keys, r.sketch_counts, EXCLUDED.sketch_keys, EXCLUDED.sketch_counts))
"""


@dataclass(frozen=True)
class RefreshResult:
    refreshed: bool
    watermark: datetime | None
    previous: datetime | None = None
    events: int = 0
    patched_events: int = 0


def aggregate_sql(level: Level, source_sql: str) -> str:
    """Rollup rows of ``level`` from ``source_sql`` (columns account_id, ts, event_type, source,
    status, duration)."""
    return f"""
WITH src AS (
    SELECT account_id, {bucket_sql(level.size)} AS bucket, event_type, source, status, duration
    FROM ({source_sql}) s
), k AS (
    SELECT account_id, bucket, event_type, source, status, {SKETCH_KEY_SQL} AS sk,
           count(*) AS n, count(duration) AS dn, sum(duration) AS ds,
           min(duration) AS mn, max(duration) AS mx
    FROM src GROUP BY 1, 2, 3, 4, 5, 6
)
SELECT account_id, bucket, event_type, source, status, sum(n), sum(dn), coalesce(sum(ds), 0),
       min(mn), max(mx),
       coalesce(array_agg(sk ORDER BY sk) FILTER (WHERE sk IS NOT NULL), '{{}}'),
       coalesce(array_agg(dn::integer ORDER BY sk) FILTER (WHERE sk IS NOT NULL), '{{}}')
FROM k GROUP BY 1, 2, 3, 4, 5
"""


def level_horizons(now: datetime) -> dict[str, datetime]:
    """Oldest bucket worth materializing per level: the longest retention in force."""
    from .retention import longest_days

    days = longest_days()
    return {level.name: now - timedelta(days=days[f"rollup_{level.name}_days"]) for level in LEVELS}


def _new_watermark(cursor, upto: datetime | None) -> datetime:
    lag = timedelta(seconds=getattr(settings, "ANALYTICS_REFRESH_LAG_SECONDS", 10))
    margin = timedelta(seconds=getattr(settings, "ANALYTICS_COMMIT_MARGIN_SECONDS", 2))
    cursor.execute(
        "SELECT now(), (SELECT min(xact_start) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND xact_start IS NOT NULL AND backend_type = 'client backend')"
    )
    now, oldest = cursor.fetchone()
    candidate = upto if upto is not None else now - lag
    if oldest is not None:
        candidate = min(candidate, oldest - margin)
    return min(candidate, now)


TOTALS_SQL = """
WITH r AS (
    SELECT r.* FROM {table} r
    JOIN {touched} x ON r.account_id = x.account_id AND r.bucket = x.bucket
), m AS (
    SELECT account_id, bucket, event_type, sum(event_count) AS n, sum(duration_count) AS dn,
           sum(duration_sum) AS ds, min(duration_min) AS mn, max(duration_max) AS mx
    FROM r GROUP BY 1, 2, 3
), k AS (
    SELECT account_id, bucket, event_type, u.k, sum(u.c)::integer AS c
    FROM r, unnest(r.sketch_keys, r.sketch_counts) AS u(k, c) GROUP BY 1, 2, 3, 4
), ka AS (
    SELECT account_id, bucket, event_type, array_agg(k ORDER BY k) AS keys,
           array_agg(c ORDER BY k) AS counts
    FROM k GROUP BY 1, 2, 3
)
INSERT INTO {total} (account_id, bucket, event_type, event_count, duration_count, duration_sum,
                     duration_min, duration_max, sketch_keys, sketch_counts)
SELECT m.account_id, m.bucket, m.event_type, m.n, m.dn, m.ds, m.mn, m.mx,
       coalesce(ka.keys, '{{}}'), coalesce(ka.counts, '{{}}')
FROM m LEFT JOIN ka ON ka.account_id = m.account_id AND ka.bucket = m.bucket
                   AND ka.event_type = m.event_type
"""


def _refresh_totals(cursor, level: Level, horizon: datetime, first, last, w_new) -> None:
    """Recompute the per-eventType rows of every bucket this refresh touched at ``level``."""
    touched = f"_touched_{level.name}"
    cursor.execute(f"DROP TABLE IF EXISTS {touched}")
    cursor.execute(
        f"CREATE TEMP TABLE {touched} ON COMMIT DROP AS"
        f" SELECT account_id, {bucket_sql(level.size)} AS bucket FROM _rollup_delta"
        f" WHERE ts >= %s UNION SELECT account_id, bucket FROM _patched_{level.name}",
        [horizon],
    )
    rollup_partitions_ensure(level, first, last, level.total_table)
    from .hll import HLL_LEVELS, refresh_save_old, refresh_sketches

    sketched = level.name in HLL_LEVELS
    if sketched:
        refresh_save_old(cursor, level, touched)
    cursor.execute(
        f"DELETE FROM {level.total_table} t USING {touched} x"
        " WHERE t.account_id = x.account_id AND t.bucket = x.bucket"
    )
    cursor.execute(TOTALS_SQL.format(table=level.table, total=level.total_table, touched=touched))
    if sketched:
        refresh_sketches(cursor, level, horizon, w_new)


def _refresh_level(cursor, level: Level, horizon: datetime, w_new: datetime) -> None:
    bucket = bucket_sql(level.size)
    cursor.execute(f"DROP TABLE IF EXISTS _patched_{level.name}")
    cursor.execute(
        f"CREATE TEMP TABLE _patched_{level.name} ON COMMIT DROP AS"
        f" SELECT DISTINCT account_id, {bucket} AS bucket FROM _rollup_patched"
        f" WHERE {bucket} >= %s",
        [horizon],
    )
    cursor.execute(
        f"SELECT min(b), max(b) FROM (SELECT {bucket} AS b FROM _rollup_delta"
        f" UNION ALL SELECT bucket FROM _patched_{level.name}) u WHERE b >= %s",
        [horizon],
    )
    first, last = cursor.fetchone()
    if first is None:
        return
    rollup_partitions_ensure(level, first, last)
    cursor.execute(
        f"DELETE FROM {level.table} r USING _patched_{level.name} p"
        " WHERE r.account_id = p.account_id AND r.bucket = p.bucket"
    )
    recompute = (
        "SELECT e.account_id, e.ts, e.event_type, e.source, e.status, e.duration"
        f" FROM events e JOIN _patched_{level.name} p ON e.account_id = p.account_id"
        f" AND e.ts >= p.bucket AND e.ts < p.bucket + interval '{level.sql_interval}'"
        " WHERE e.received_at <= %(w_new)s"
    )
    cursor.execute(
        f"INSERT INTO {level.table} ({COLUMNS}) {aggregate_sql(level, recompute)}",
        {"w_new": w_new},
    )
    delta = (
        "SELECT d.account_id, d.ts, d.event_type, d.source, d.status, d.duration"
        " FROM _rollup_delta d WHERE d.ts >= %(horizon)s AND NOT EXISTS ("
        f" SELECT 1 FROM _patched_{level.name} p WHERE p.account_id = d.account_id"
        f" AND p.bucket = {bucket_sql(level.size, 'd.ts')})"
    )
    cursor.execute(
        f"INSERT INTO {level.table} AS r ({COLUMNS}) {aggregate_sql(level, delta)} {MERGE}",
        {"horizon": horizon},
    )
    _refresh_totals(cursor, level, horizon, first, last, w_new)


def rollup_refresh(*, upto: datetime | None = None) -> RefreshResult:
    """Advance every rollup level to a new watermark (see the module docstring)."""
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not nested:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET LOCAL work_mem = '128MB'")  # a big backlog sorts in memory
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
        if not cursor.fetchone()[0]:
            return RefreshResult(False, None)
        cursor.execute("SELECT watermark FROM events_rollup_state WHERE id = 1 FOR UPDATE")
        w_old = cursor.fetchone()[0]
        w_new = _new_watermark(cursor, upto)
        if w_new <= w_old:
            return RefreshResult(False, w_old, w_old)
        cursor.execute("SELECT coalesce(array_agg(id), '{}') FROM accounts_account")
        accounts = cursor.fetchone()[0]
        params = {"accounts": accounts, "w_old": w_old, "w_new": w_new}
        cursor.execute("DROP TABLE IF EXISTS _rollup_delta, _rollup_patched")
        cursor.execute(
            "CREATE TEMP TABLE _rollup_delta ON COMMIT DROP AS"
            " SELECT account_id, ts, event_type, source, status, duration, user_id, session_id,"
            " tags FROM events WHERE account_id = ANY(%(accounts)s)"
            " AND received_at > %(w_old)s AND received_at <= %(w_new)s",
            params,
        )
        events = cursor.rowcount
        cursor.execute(
            "CREATE TEMP TABLE _rollup_patched ON COMMIT DROP AS"
            " SELECT account_id, ts FROM events WHERE account_id = ANY(%(accounts)s)"
            " AND updated_at > %(w_old)s AND updated_at <= %(w_new)s"
            " AND received_at <= %(w_old)s",
            params,
        )
        patched = cursor.rowcount
        horizons = level_horizons(datetime.now(UTC))
        for level in LEVELS:
            _refresh_level(cursor, level, horizons[level.name], w_new)
        cursor.execute(
            "UPDATE events_rollup_state SET watermark = %s, refreshed_at = now() WHERE id = 1",
            [w_new],
        )
    log.info("rollup_refreshed", extra={"watermark": w_new.isoformat(), "events": events})
    return RefreshResult(True, w_new, w_old, events, patched)


def rollup_totals_rebuild(*, sketches: bool = True) -> None:
    """Recompute every per-eventType total row from the rollups (after migration 0011 on a
    database that already had rollups), and their HyperLogLog sketches unless told not to
    (migration 0011 runs before the sketch columns exist)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
        cursor.execute("SET LOCAL work_mem = '128MB'")
        for level in LEVELS:
            touched = f"_touched_{level.name}"
            cursor.execute(f"DROP TABLE IF EXISTS {touched}")
            cursor.execute(
                f"CREATE TEMP TABLE {touched} ON COMMIT DROP AS"
                f" SELECT DISTINCT account_id, bucket FROM {level.table}"
            )
            cursor.execute(f"SELECT min(bucket), max(bucket) FROM {touched}")
            first, last = cursor.fetchone()
            if first is None:
                continue
            rollup_partitions_ensure(level, first, last, level.total_table)
            cursor.execute(f"DELETE FROM {level.total_table}")
            cursor.execute(
                TOTALS_SQL.format(table=level.table, total=level.total_table, touched=touched)
            )
    if sketches:
        from .hll import hll_rebuild

        hll_rebuild()


def rollup_watermark() -> datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT watermark FROM events_rollup_state WHERE id = 1")
        return cursor.fetchone()[0]
