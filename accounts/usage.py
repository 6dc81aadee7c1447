"""API key usage without a database write per request.

Each authenticated request adds ``HINCRBY`` of a counter and ``HSET`` of a last-used time (two
hashes) to Redis: in the rate limiter's one command on views with
:class:`~accounts.ratelimit.RateLimitMixin` (authentication defers the use to it, see
:func:`defer`), else in one command of its own (:mod:`accounts.counters`). A beat task
(:func:`flush_api_key_usage`, every minute) moves the hashes aside atomically and adds them to
``ApiKey.usage_count`` / ``last_used_at`` in one ``UPDATE``. If the database write fails the
counts are merged back for the next flush.
"""

from __future__ import annotations

import time
import uuid

import structlog
from django.core.cache import cache
from django.db import connection, transaction

from accounts.counters import bump

log = structlog.get_logger("eventstream.accounts.usage")


def _redis():
    return cache._cache.get_client(write=True)


def _keys() -> tuple[str, str]:
    return cache.make_key("apikey-usage:count"), cache.make_key("apikey-usage:last")


_DEFER_ATTR = "_eventstream_defer_key_use"
_PENDING_ATTR = "_eventstream_pending_key_use"


def usage_hashes() -> tuple[str, str]:
    """The Redis hashes (count, last-used) in the default cache, for :mod:`accounts.counters`."""
    return _keys()


def record_api_key_use(api_key_id: uuid.UUID) -> None:
    try:
        bump(_redis(), [], _keys(), api_key_id)
    except Exception as exc:  # usage statistics must never fail a request
        log.warning("api_key_usage_not_recorded", error=str(exc))


def defer(request) -> None:
    """Authentication on this request leaves the use pending for the rate limiter."""
    setattr(request, _DEFER_ATTR, True)


def use_api_key(request, api_key_id: uuid.UUID) -> None:
    """Called by authentication: record now, or leave pending when the request defers it."""
    if getattr(request, _DEFER_ATTR, False):
        setattr(request, _PENDING_ATTR, api_key_id)
    else:
        record_api_key_use(api_key_id)


def take_pending(request) -> uuid.UUID | None:
    pending = getattr(request, _PENDING_ATTR, None)
    if pending is not None:
        setattr(request, _PENDING_ATTR, None)
    return pending


def record_pending(request) -> None:
    pending = take_pending(request)
    if pending is not None:
        record_api_key_use(pending)


def pending_usage(api_key_ids: list[uuid.UUID]) -> dict[str, tuple[int, float | None]]:
    """Counts and last-used times recorded since the last flush (for the key list)."""
    if not api_key_ids:
        return {}
    counts, last = _keys()
    ids = [str(i) for i in api_key_ids]
    try:
        pipe = _redis().pipeline(transaction=False)
        pipe.hmget(counts, ids)
        pipe.hmget(last, ids)
        count_values, last_values = pipe.execute()
    except Exception:
        return {}
    return {
        key_id: (int(c or 0), float(t) if t else None)
        for key_id, c, t in zip(ids, count_values, last_values, strict=True)
        if c
    }


def _take() -> tuple[dict[str, int], dict[str, float]]:
    counts, last = _keys()
    suffix = uuid.uuid4().hex
    client = _redis()
    taken: dict[str, dict] = {}
    for name in (counts, last):
        aside = f"{name}:flushing:{suffix}"
        try:
            client.rename(name, aside)
        except Exception:  # nothing recorded since the last flush
            taken[name] = {}
            continue
        taken[name] = client.hgetall(aside)
        client.delete(aside)
    count_map = {k.decode(): int(v) for k, v in taken[counts].items()}
    last_map = {k.decode(): float(v) for k, v in taken[last].items()}
    return count_map, last_map


def _merge_back(count_map: dict[str, int], last_map: dict[str, float]) -> None:
    counts, last = _keys()
    pipe = _redis().pipeline(transaction=False)
    for key_id, n in count_map.items():
        pipe.hincrby(counts, key_id, n)
    for key_id, ts in last_map.items():
        pipe.hset(last, key_id, f"{ts:.3f}")
    pipe.execute()


_UPDATE_SQL = """
UPDATE accounts_apikey AS k
   SET usage_count = k.usage_count + u.n,
       last_used_at = GREATEST(k.last_used_at, to_timestamp(u.ts))
  FROM unnest(%s::uuid[], %s::bigint[], %s::double precision[]) AS u(id, n, ts)
 WHERE k.id = u.id
"""


def flush_api_key_usage() -> int:
    """Write pending usage to the database; returns how many keys were updated."""
    count_map, last_map = _take()
    ids = sorted(set(count_map) | set(last_map))
    if not ids:
        return 0
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                _UPDATE_SQL,
                [
                    ids,
                    [count_map.get(i, 0) for i in ids],
                    [last_map.get(i, time.time()) for i in ids],
                ],
            )
            updated = cursor.rowcount
    except Exception:
        _merge_back(count_map, last_map)
        raise
    log.info("api_key_usage_flushed", keys=updated)
    return updated
