"""Redis cache of /aggregated and /analytics answers, per account and normalized query.

An entry is stored with a *validity mark*: an instant such that every event committed after the
answer was computed has ``received_at`` (or, when PATCHed, ``updated_at``) after it. A lookup
serves the entry only if no event of the account with ``ts`` in the query's range was received
or PATCHed after that mark — so a cached answer is never older than the latest ingest that
touched its time range, without any hook in the ingest path. The check is one indexed query on
``(account_id, received_at)`` / ``(account_id, updated_at)``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import orjson
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from prometheus_client import Counter, Gauge

from .params import AggregateQuery

log = logging.getLogger("eventstream.analytics")

CACHE_TTL_SECONDS = 3600
CACHE_REQUESTS = Counter(
    "eventstream_analytics_cache_requests_total",
    "Lookups of the analytics result cache",
    ["endpoint", "result"],
)
CACHE_HIT_RATIO = Gauge(
    "eventstream_analytics_cache_hit_ratio",
    "Share of analytics cache lookups served from the cache (this process, since start)",
    ["endpoint"],
)
_counts: dict[str, list[int]] = {}


def _record(endpoint: str, hit: bool) -> None:
    CACHE_REQUESTS.labels(endpoint=endpoint, result="hit" if hit else "miss").inc()
    counts = _counts.setdefault(endpoint, [0, 0])
    counts[0 if hit else 1] += 1
    CACHE_HIT_RATIO.labels(endpoint=endpoint).set(counts[0] / (counts[0] + counts[1]))


def cache_key(account_id, endpoint: str, query: AggregateQuery) -> str:
    digest = hashlib.sha256(f"{endpoint}|{query.cache_key()}".encode()).hexdigest()[:40]
    return f"analytics:v1:{account_id}:{digest}"


def validity_mark(cursor) -> datetime:
    margin = timedelta(seconds=getattr(settings, "ANALYTICS_COMMIT_MARGIN_SECONDS", 2))
    cursor.execute(
        "SELECT now(), clock_timestamp(), (SELECT min(xact_start) FROM pg_stat_activity"
        " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        " AND xact_start IS NOT NULL AND backend_type = 'client backend')"
    )
    xact_now, clock, oldest = cursor.fetchone()
    return min(xact_now, clock, oldest or clock) - margin


def changed_since(cursor, account_id, query: AggregateQuery, mark: datetime) -> bool:
    args = {"a": account_id, "m": mark, "s": query.filters.start, "e": query.filters.end}
    # Planned with the actual values every time (not prepared): a generic plan cannot tell how
    # selective ``received_at > mark`` is and was seen to seq-scan every partition (3 s).
    cursor.execute(CHANGED_SQL, args)
    return cursor.fetchone()[0]


CHANGED_SQL = (
    "SELECT EXISTS (SELECT 1 FROM events WHERE account_id = %(a)s AND received_at > %(m)s"
    " AND ts >= %(s)s AND ts < %(e)s)"
    " OR EXISTS (SELECT 1 FROM events WHERE account_id = %(a)s AND updated_at > %(m)s"
    " AND ts >= %(s)s AND ts < %(e)s)"
)


def _get(key: str):
    try:
        return cache.get(key)
    except Exception:  # Redis down: answer from the database
        log.warning("analytics_cache_unavailable", exc_info=True)
        return None


def _set(key: str, value) -> None:
    try:
        cache.set(key, value, CACHE_TTL_SECONDS)
    except Exception:
        log.warning("analytics_cache_unavailable", exc_info=True)


def _mark_cached(body: bytes) -> bytes:
    """Flip meta.cached without re-parsing: meta is the body's last key, and a quote inside a
    JSON string is escaped, so the last unescaped ``"cached":false`` is that flag."""
    at = body.rfind(b'"cached":false')
    return body[:at] + b'"cached":true' + body[at + len(b'"cached":false') :]


def cached_answer(
    *, account_id, endpoint: str, query: AggregateQuery, compute: Callable[[], dict]
) -> bytes:
    """The JSON body for ``query``: from the cache when still valid, else computed and stored."""
    key = cache_key(account_id, endpoint, query)
    entry = _get(key)
    with connection.cursor() as cursor:
        if entry is not None:
            mark = datetime.fromisoformat(entry["mark"])
            if not changed_since(cursor, account_id, query, mark):
                _record(endpoint, True)
                return _mark_cached(entry["body"])
        mark = validity_mark(cursor)
    _record(endpoint, False)
    body = orjson.dumps(compute())
    _set(key, {"mark": mark.isoformat(), "body": body})
    return body
