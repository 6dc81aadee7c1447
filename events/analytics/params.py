"""The one query-string parser shared by /raw, /aggregated, /analytics (and the exports).

It turns a ``QueryDict`` into a frozen, normalized query object or raises ``ValidationFailed``
whose details name every bad parameter and what would be valid. Normalized means two requests
asking the same thing produce equal objects (and equal cache keys): lists are de-duplicated and
sorted, times are UTC.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from eventstream.core.errors import ValidationFailed

from .metrics import (
    DEFAULT_AGGREGATED_METRICS,
    DEFAULT_ANALYTICS_METRICS,
    METRICS,
    field_name,
    is_numeric,
)

DEFAULT_WINDOW = timedelta(hours=24)
INTERVALS: dict[str, timedelta] = {
    "1m": timedelta(minutes=1),
    "5m": timedelta(minutes=5),
    "15m": timedelta(minutes=15),
    "1h": timedelta(hours=1),
    "1d": timedelta(days=1),
}
MAX_BUCKETS = 50_000
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000
MAX_OFFSET_WINDOW = 10_000  # page * pageSize; deeper paging uses the cursor
DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_LIST_VALUES = 100
MAX_GROUP_BY = 5
SIMPLE_GROUP_KEYS = ("eventType", "source", "status", "userId", "sessionId", "tags")
_JSON_KEY = re.compile(r"^(data|metadata)\.([A-Za-z0-9_\-]{1,64}(\.[A-Za-z0-9_\-]{1,64}){0,4})$")
_HAVING = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>=|<=|!=|=|>|<)\s*(.+?)\s*$")

FILTER_PARAMS = (
    "startTime",
    "endTime",
    "eventType",
    "source",
    "userId",
    "sessionId",
    "status",
    "tags",
    "tagsAll",
    "minPriority",
)
RAW_PARAMS = (*FILTER_PARAMS, "page", "pageSize", "cursor", "order")
AGGREGATED_PARAMS = (*FILTER_PARAMS, "interval", "timezone", "metrics", "approximate")
ANALYTICS_PARAMS = (*AGGREGATED_PARAMS, "groupBy", "having", "orderBy", "limit")


@dataclass(frozen=True)
class Filters:
    start: datetime
    end: datetime
    event_types: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    user_ids: tuple[str, ...] = ()
    session_ids: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    tags_any: tuple[str, ...] = ()
    tags_all: tuple[str, ...] = ()
    min_priority: int | None = None

    @property
    def only_rollup_dimensions(self) -> bool:
        """True when every filter is on a rollup dimension (eventType, source, status)."""
        return not (
            self.user_ids
            or self.session_ids
            or self.tags_any
            or self.tags_all
            or self.min_priority is not None
        )


@dataclass(frozen=True)
class RawQuery:
    filters: Filters
    page: int
    page_size: int
    cursor: tuple[datetime, str] | None
    ascending: bool


@dataclass(frozen=True)
class Having:
    metric: str
    op: str
    value: float | str


@dataclass(frozen=True)
class AggregateQuery:
    """/aggregated (group_by empty, interval set) and /analytics."""

    filters: Filters
    interval: str | None
    timezone: str
    metrics: tuple[str, ...]
    approximate: bool = False
    group_by: tuple[str, ...] = ()
    having: tuple[Having, ...] = ()
    order_by: tuple[tuple[str, bool], ...] = ()  # (key, descending)
    limit: int | None = None

    @property
    def computed_metrics(self) -> tuple[str, ...]:
        """Requested metrics plus those only named in ``having``."""
        extra = [h.metric for h in self.having if h.metric not in self.metrics]
        return tuple(dict.fromkeys((*self.metrics, *extra)))

    def cache_key(self) -> str:
        return repr(self)


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.fields.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed("Invalid query parameters", details={"fields": self.fields})


def _values(params: Mapping, name: str) -> list[str]:
    """Every value of a parameter, from repeats and comma lists, de-duplicated, sorted."""
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    values = {part.strip() for item in raw if item for part in item.split(",") if part.strip()}
    return sorted(values)


def _one(params: Mapping, name: str) -> str | None:
    raw = params.getlist(name) if hasattr(params, "getlist") else [params.get(name)]
    raw = [r for r in raw if r is not None]
    return raw[-1] if raw else None


def parse_time(value: str) -> datetime:
    """ISO 8601 with or without offset (no offset means UTC); ``Z`` accepted."""
    parsed = datetime.fromisoformat(value.strip().replace(" ", "+", 1) if "T" in value else value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _check_unknown(params: Mapping, allowed: Iterable[str], errors: _Errors) -> None:
    allowed = tuple(allowed)
    for name in params:
        if name not in allowed:
            errors.add(name, f"Unknown parameter. Valid parameters: {', '.join(allowed)}")


def _int(params, name, errors, *, default, low, high) -> int:
    value = _one(params, name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError:
        errors.add(name, f"Must be an integer between {low} and {high}")
        return default
    if not low <= number <= high:
        errors.add(name, f"Must be an integer between {low} and {high}")
    return number


def parse_filters(params: Mapping, errors: _Errors, *, now: datetime | None = None) -> Filters:
    now = now or datetime.now(UTC)
    times: dict[str, datetime | None] = {}
    for name in ("startTime", "endTime"):
        value = _one(params, name)
        times[name] = None
        if value:
            try:
                times[name] = parse_time(value)
            except ValueError:
                errors.add(name, "Must be an ISO 8601 timestamp, e.g. 2024-03-20T10:00:00Z")
    end = times["endTime"] or now
    start = times["startTime"] or end - DEFAULT_WINDOW
    if start >= end:
        errors.add("endTime", "Must be after startTime")
    lists = {}
    for name in ("eventType", "source", "userId", "sessionId", "status", "tags", "tagsAll"):
        lists[name] = tuple(_values(params, name))
        if len(lists[name]) > MAX_LIST_VALUES:
            errors.add(name, f"At most {MAX_LIST_VALUES} values")
    min_priority = None
    if _one(params, "minPriority") not in (None, ""):
        min_priority = _int(params, "minPriority", errors, default=0, low=-32768, high=32767)
    return Filters(
        start=start,
        end=end,
        event_types=lists["eventType"],
        sources=lists["source"],
        user_ids=lists["userId"],
        session_ids=lists["sessionId"],
        statuses=lists["status"],
        tags_any=lists["tags"],
        tags_all=lists["tagsAll"],
        min_priority=min_priority,
    )


def parse_raw(params: Mapping, *, now: datetime | None = None) -> RawQuery:
    from .cursor import decode_cursor  # the cursor format lives with the raw selector

    errors = _Errors()
    _check_unknown(params, RAW_PARAMS, errors)
    filters = parse_filters(params, errors, now=now)
    page_size = _int(
        params, "pageSize", errors, default=DEFAULT_PAGE_SIZE, low=1, high=MAX_PAGE_SIZE
    )
    page = _int(params, "page", errors, default=1, low=1, high=MAX_OFFSET_WINDOW)
    if page * page_size > MAX_OFFSET_WINDOW and "page" not in errors.fields:
        errors.add(
            "page",
            f"page * pageSize may not exceed {MAX_OFFSET_WINDOW}; use the cursor "
            "(nextCursor) to read deeper",
        )
    order = (_one(params, "order") or "desc").lower()
    if order not in ("asc", "desc"):
        errors.add("order", "Must be one of: asc, desc")
    cursor = None
    raw_cursor = _one(params, "cursor")
    if raw_cursor:
        try:
            cursor_order, cursor = decode_cursor(raw_cursor)
            if _one(params, "order") is None:
                order = cursor_order
            elif cursor_order != order:
                errors.add("cursor", "This cursor was issued for the other order")
        except ValueError:
            errors.add("cursor", "Invalid cursor; pass nextCursor from a previous response")
        if page != 1:
            errors.add("page", "Use either page or cursor, not both")
    errors.raise_if_any()
    return RawQuery(filters, page, page_size, cursor, order == "asc")


def _parse_metrics(params, errors, default: tuple[str, ...]) -> tuple[str, ...]:
    requested = _values(params, "metrics")
    if not requested:
        return default
    bad = [m for m in requested if m not in METRICS]
    if bad:
        errors.add(
            "metrics", f"Unknown metric(s) {', '.join(bad)}. Valid metrics: {', '.join(METRICS)}"
        )
    return tuple(sorted(m for m in requested if m in METRICS))


def _parse_common_aggregate(params, errors, *, default_interval, default_metrics, now):
    filters = parse_filters(params, errors, now=now)
    interval = _one(params, "interval") or default_interval
    if interval is not None and interval not in INTERVALS:
        errors.add("interval", f"Must be one of: {', '.join(INTERVALS)}")
        interval = None
    tz_name = _one(params, "timezone") or "UTC"
    try:
        ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        errors.add("timezone", "Must be an IANA time zone name, e.g. Europe/Paris or UTC")
        tz_name = "UTC"
    approximate = (_one(params, "approximate") or "false").lower()
    if approximate not in ("true", "false", "1", "0"):
        errors.add("approximate", "Must be true or false")
    if interval and not errors.fields.get("endTime"):
        buckets = (filters.end - filters.start) / INTERVALS[interval]
        if buckets > MAX_BUCKETS:
            errors.add(
                "interval",
                f"{interval} over this time range gives {int(buckets)} buckets; "
                f"at most {MAX_BUCKETS} are allowed: use a larger interval or a shorter range",
            )
    metrics = _parse_metrics(params, errors, default_metrics)
    return filters, interval, tz_name, approximate in ("true", "1"), metrics


def parse_aggregated(params: Mapping, *, now: datetime | None = None) -> AggregateQuery:
    errors = _Errors()
    _check_unknown(params, AGGREGATED_PARAMS, errors)
    filters, interval, tz, approximate, metrics = _parse_common_aggregate(
        params, errors, default_interval="1h", default_metrics=DEFAULT_AGGREGATED_METRICS, now=now
    )
    errors.raise_if_any()
    return AggregateQuery(
        filters, interval, tz, metrics, approximate, order_by=(("bucket", False),)
    )


def _parse_group_by(params, errors) -> tuple[str, ...]:
    keys = []
    for item in (_one(params, "groupBy") or "").split(","):
        key = item.strip()
        if not key or key in keys:
            continue
        if key in SIMPLE_GROUP_KEYS or _JSON_KEY.match(key):
            keys.append(key)
        else:
            errors.add(
                "groupBy",
                f"Unknown field {key!r}. Valid: {', '.join(SIMPLE_GROUP_KEYS)}, data.<key>, "
                "metadata.<key> (the time bucket is added when interval is given)",
            )
    if len(keys) > MAX_GROUP_BY:
        errors.add("groupBy", f"At most {MAX_GROUP_BY} fields")
    return tuple(keys)


def _metric_name(name: str) -> str | None:
    for metric in METRICS:
        if name in (metric, field_name(metric)):
            return metric
    return None


def _parse_having(params, errors) -> tuple[Having, ...]:
    conditions = []
    for item in (_one(params, "having") or "").split(","):
        if not item.strip():
            continue
        match = _HAVING.match(item)
        metric = _metric_name(match.group(1)) if match else None
        if not match or metric is None:
            errors.add(
                "having",
                f"Invalid condition {item.strip()!r}: expected <metric><op><value> with op one "
                f"of > >= < <= = != and metric one of {', '.join(METRICS)}",
            )
            continue
        op, value = match.group(2), match.group(3)
        if is_numeric(metric):
            try:
                value = float(value)
            except ValueError:
                errors.add("having", f"{metric} compares with a number, not {value!r}")
                continue
        elif op not in ("=", "!="):
            errors.add("having", f"{metric} supports only = and !=")
            continue
        conditions.append(Having(metric, op, value))
    return tuple(conditions)


def _parse_order_by(params, errors, valid: list[str]) -> tuple[tuple[str, bool], ...]:
    order = []
    for item in (_one(params, "orderBy") or "").split(","):
        item = item.strip()
        if not item:
            continue
        descending = item.startswith("-")
        name = item.lstrip("-+")
        key = _metric_name(name) or name
        if key not in valid:
            errors.add("orderBy", f"Unknown field {name!r}. Valid: {', '.join(valid)}")
            continue
        order.append((key, descending))
    return tuple(order)


def parse_analytics(params: Mapping, *, now: datetime | None = None) -> AggregateQuery:
    errors = _Errors()
    _check_unknown(params, ANALYTICS_PARAMS, errors)
    filters, interval, tz, approximate, metrics = _parse_common_aggregate(
        params, errors, default_interval=None, default_metrics=DEFAULT_ANALYTICS_METRICS, now=now
    )
    group_by = _parse_group_by(params, errors)
    having = _parse_having(params, errors)
    metric_set = tuple(dict.fromkeys((*metrics, *(h.metric for h in having))))
    valid_order = [*(["bucket"] if interval else []), *group_by, *metric_set]
    order_by = _parse_order_by(params, errors, valid_order)
    limit = _int(params, "limit", errors, default=DEFAULT_LIMIT, low=1, high=MAX_LIMIT)
    errors.raise_if_any()
    if not order_by:
        order_by = (("bucket", False),) if interval else ()
        if metrics:
            first = "count" if "count" in metrics else metrics[0]
            order_by = (*order_by, (first, True))
    # ties are broken by every grouping key, so the order is total and reproducible
    tie_break = [("bucket", False)] if interval else []
    tie_break += [(key, False) for key in group_by]
    order_by = (*order_by, *[t for t in tie_break if t[0] not in {k for k, _ in order_by}])
    return AggregateQuery(
        filters, interval, tz, metrics, approximate, group_by, having, order_by, limit
    )
