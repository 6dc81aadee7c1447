"""An independent, plain-Python computation of what the query endpoints must answer.

It shares nothing with the implementation but the documented semantics: filters, [start, end),
UTC epoch-aligned buckets (local midnights for 1d in a time zone), percentile_cont-style
percentiles, dominant status = most frequent (ties: smallest), groupBy tags = one row per tag.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

SIZES = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def matches(e: dict, q: dict) -> bool:
    if not (q["start"] <= e["ts"] < q["end"]):
        return False
    for key, column in (
        ("eventType", "event_type"),
        ("source", "source"),
        ("userId", "user_id"),
        ("sessionId", "session_id"),
        ("status", "status"),
    ):
        if q.get(key) and e[column] not in q[key]:
            return False
    if q.get("tags") and not set(q["tags"]) & set(e["tags"]):
        return False
    if q.get("tagsAll") and not set(q["tagsAll"]) <= set(e["tags"]):
        return False
    minimum = q.get("minPriority")
    return minimum is None or (e["priority"] is not None and e["priority"] >= minimum)


def bucket_of(ts: datetime, interval: str, tz: str) -> datetime:
    if interval == "1d" and tz != "UTC":
        local = ts.astimezone(ZoneInfo(tz))
        return datetime(local.year, local.month, local.day, tzinfo=ZoneInfo(tz)).astimezone(UTC)
    size = SIZES[interval]
    return ts - (ts - EPOCH) % size


def all_buckets(start: datetime, end: datetime, interval: str, tz: str) -> list[datetime]:
    out = []
    current = bucket_of(start, interval, tz)
    while current < end:
        out.append(current)
        if interval == "1d" and tz != "UTC":
            local = current.astimezone(ZoneInfo(tz)) + timedelta(days=1, hours=3)
            current = datetime(local.year, local.month, local.day, tzinfo=ZoneInfo(tz))
            current = current.astimezone(UTC)
        else:
            current += SIZES[interval]
    return out


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    rank = q * (len(values) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (rank - lo)


def metric(name: str, events: list[dict]):
    durations = [e["duration"] for e in events if e["duration"] is not None]
    if name == "count":
        return len(events)
    if name == "unique_sources":
        return len({e["source"] for e in events})
    if name == "unique_users":
        return len({e["user_id"] for e in events if e["user_id"] is not None})
    if name == "unique_sessions":
        return len({e["session_id"] for e in events if e["session_id"] is not None})
    if name == "unique_tags":
        return len({t for e in events for t in e["tags"]})
    if name == "avg_duration":
        return sum(durations) / len(durations) if durations else None
    if name == "min_duration":
        return min(durations) if durations else None
    if name == "max_duration":
        return max(durations) if durations else None
    if name == "dominant_status":
        if not events:
            return None
        counts: dict[str, int] = {}
        for e in events:
            counts[e["status"]] = counts.get(e["status"], 0) + 1
        return min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
    fraction = {"p50": 0.5, "p90": 0.9, "p95": 0.95, "p99": 0.99}[name.split("_")[0]]
    return percentile(durations, fraction)


def group_values(e: dict, key: str) -> list:
    if key == "tags":
        return list(dict.fromkeys(e["tags"])) or [None]
    simple = {
        "eventType": "event_type",
        "source": "source",
        "status": "status",
        "userId": "user_id",
        "sessionId": "session_id",
    }
    if key in simple:
        return [e[simple[key]]]
    column, _, path = key.partition(".")
    value = e[column]
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return [None if value is None else str(value)]


def grouped(events: list[dict], q: dict) -> dict[tuple, list[dict]]:
    groups: dict[tuple, list[dict]] = {}
    for e in events:
        keys = [()]
        if q.get("interval"):
            keys = [(bucket_of(e["ts"], q["interval"], q.get("timezone", "UTC")),)]
        for key in q.get("groupBy", []):
            keys = [(*k, v) for k in keys for v in group_values(e, key)]
        for k in keys:
            groups.setdefault(k, []).append(e)
    return groups


def aggregated(events: list[dict], q: dict) -> dict[datetime, dict]:
    chosen = [e for e in events if matches(e, q)]
    groups = grouped(chosen, q)
    tz = q.get("timezone", "UTC")
    return {
        b: {m: metric(m, groups.get((b,), [])) for m in q["metrics"]}
        for b in all_buckets(q["start"], q["end"], q["interval"], tz)
    }


def analytics(events: list[dict], q: dict) -> dict[tuple, dict]:
    chosen = [e for e in events if matches(e, q)]
    return {
        key: {m: metric(m, rows) for m in q["metrics"]} for key, rows in grouped(chosen, q).items()
    }


def raw_order(events: list[dict], q: dict, ascending: bool) -> list:
    chosen = [e for e in events if matches(e, q)]
    chosen.sort(key=lambda e: (e["ts"], str(e["id"])), reverse=not ascending)
    return [str(e["id"]) for e in chosen]
