"""The query shapes of the issue, and the naive SQL each is compared with."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

from events.analytics.cursor import encode_cursor

ALL_METRICS = (
    "count,unique_sources,unique_users,unique_sessions,avg_duration,min_duration,max_duration,"
    "dominant_status,unique_tags,p50_duration,p90_duration,p95_duration,p99_duration"
)
ROLLUP_METRICS = (
    "count,unique_sources,avg_duration,min_duration,max_duration,dominant_status,"
    "p50_duration,p90_duration,p95_duration,p99_duration"
)


@dataclass
class Shape:
    name: str
    path: str
    params: Callable[[int], dict]
    n: int
    target: str = ""
    baseline: str | None = None
    warmup: int = 2


@dataclass
class Baseline:
    sql: str
    params: Callable[[int], list]
    n: int


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _window(now: datetime, span: timedelta, i: int) -> dict:
    end = now - timedelta(seconds=i)  # a new endTime per request: never a cache hit
    return {"startTime": _iso(end - span), "endTime": _iso(end)}


def _cursors(dsn: str, account_id: str, count: int) -> list[str]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT ts, id FROM events TABLESAMPLE SYSTEM (0.5) WHERE account_id = %s LIMIT %s",
            [account_id, count * 5],
        ).fetchall()
    random.Random(7).shuffle(rows)
    return [encode_cursor(False, ts, event_id) for ts, event_id in rows[:count]]


def server_shapes(dsn: str, account_id: str, now: datetime) -> list[Shape]:
    day, month = timedelta(days=1), timedelta(days=30)
    cursors = _cursors(dsn, account_id, 200)
    fixed = _window(now, month, 0)
    fixed_day = _window(now, day, 0)
    return [
        Shape("/raw newest page (24 h, pageSize 50)", "/api/events/raw",
              lambda i: {**_window(now, day, i), "pageSize": 50}, 200, "<= 20 ms"),
        Shape("/raw cursor page at a random depth (30 days)", "/api/events/raw",
              lambda i: {**fixed, "pageSize": 50, "cursor": cursors[i % len(cursors)]},
              len(cursors), "<= 20 ms", "raw_offset_random"),
        Shape("/raw page=200 (offset 9,950, 30 days)", "/api/events/raw",
              lambda i: {**_window(now, month, i), "page": 200, "pageSize": 50}, 100,
              "<= 20 ms", "raw_offset_9950"),
        Shape("/raw eventType filter, newest page (30 days)", "/api/events/raw",
              lambda i: {**_window(now, month, i), "eventType": "event_07", "pageSize": 50},
              200, "<= 20 ms"),
        Shape("/aggregated 30 days @1h (count, avg, max)", "/api/events/aggregated",
              lambda i: {**_window(now, month, i), "interval": "1h"}, 100, "<= 50 ms",
              "agg_30d_1h"),
        Shape("/aggregated 24 h @1m (count, avg, max)", "/api/events/aggregated",
              lambda i: {**_window(now, day, i), "interval": "1m"}, 100, "<= 50 ms",
              "agg_24h_1m"),
        Shape("/analytics by eventType, 13 metrics, 24 h, exact", "/api/events/analytics",
              lambda i: {**_window(now, day, i), "groupBy": "eventType",
                         "metrics": ALL_METRICS}, 20, "<= 300 ms", "ana_24h"),
        Shape("/analytics by eventType, 10 rollup metrics, 30 days, approximate",
              "/api/events/analytics",
              lambda i: {**_window(now, month, i), "groupBy": "eventType",
                         "metrics": ROLLUP_METRICS, "approximate": "true"}, 50, "<= 300 ms"),
        Shape("/analytics by eventType, 13 metrics, 30 days, approximate=true",
              "/api/events/analytics",
              lambda i: {**_window(now, month, i), "groupBy": "eventType",
                         "metrics": ALL_METRICS, "approximate": "true"}, 50, "<= 300 ms"),
        Shape("/analytics by eventType, 13 metrics, 30 days, exact", "/api/events/analytics",
              lambda i: {**_window(now, month, i + 10), "groupBy": "eventType",
                         "metrics": ALL_METRICS}, 3, "measured", "ana_30d", warmup=0),
        Shape("/aggregated 30 days @1h, cached repeat", "/api/events/aggregated",
              lambda i: {**fixed, "interval": "1h"}, 200, "<= 5 ms"),
        Shape("/analytics 13 metrics 24 h, cached repeat", "/api/events/analytics",
              lambda i: {**fixed_day, "groupBy": "eventType", "metrics": ALL_METRICS},
              200, "<= 5 ms"),
    ]  # fmt: skip


NAIVE_ANALYTICS = """
SELECT e.event_type, count(*), count(DISTINCT source), count(DISTINCT user_id),
       count(DISTINCT session_id), avg(duration), min(duration), max(duration),
       mode() WITHIN GROUP (ORDER BY status),
       (SELECT count(DISTINCT t) FROM events e2, unnest(e2.tags) t
         WHERE e2.account_id = %(a)s AND e2.event_type = e.event_type
           AND e2.ts >= %(s)s AND e2.ts < %(e)s),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY duration),
       percentile_cont(0.9) WITHIN GROUP (ORDER BY duration),
       percentile_cont(0.95) WITHIN GROUP (ORDER BY duration),
       percentile_cont(0.99) WITHIN GROUP (ORDER BY duration)
FROM events e WHERE e.account_id = %(a)s AND e.ts >= %(s)s AND e.ts < %(e)s
GROUP BY e.event_type ORDER BY count(*) DESC
"""
NAIVE_AGG = (
    "SELECT date_trunc(%(unit)s, ts) AS b, count(*), avg(duration), max(duration) FROM events"
    " WHERE account_id = %(a)s AND ts >= %(s)s AND ts < %(e)s GROUP BY 1 ORDER BY 1"
)
NAIVE_PAGE = (
    "SELECT * FROM events WHERE account_id = %(a)s AND ts >= %(s)s AND ts < %(e)s"
    " ORDER BY ts DESC OFFSET %(o)s LIMIT 50"
)


def baseline_shapes(account_id: str, now: datetime) -> dict[str, Baseline]:
    day, month = timedelta(days=1), timedelta(days=30)

    def args(span: timedelta, i: int, **extra) -> dict:
        end = now - timedelta(seconds=i + 1000)
        return {"a": account_id, "s": end - span, "e": end, **extra}

    rng = random.Random(11)
    return {
        "raw_offset_random": Baseline(
            NAIVE_PAGE, lambda i: args(month, i, o=rng.randrange(0, 3_000_000)), 5
        ),
        "raw_offset_9950": Baseline(NAIVE_PAGE, lambda i: args(month, i, o=9950), 20),
        "agg_30d_1h": Baseline(NAIVE_AGG, lambda i: args(month, i, unit="hour"), 3),
        "agg_24h_1m": Baseline(NAIVE_AGG, lambda i: args(day, i, unit="minute"), 10),
        "ana_24h": Baseline(NAIVE_ANALYTICS, lambda i: args(day, i), 5),
        "ana_30d": Baseline(NAIVE_ANALYTICS, lambda i: args(month, i), 2),
    }
