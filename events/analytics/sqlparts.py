"""SQL fragments built from a parsed query: filters, group expressions, output buckets.

Every value goes in as a named parameter; identifiers and intervals come from fixed tables in
this package, never from the request.
"""

from __future__ import annotations

from datetime import timedelta

from .params import INTERVALS, Filters

ROLLUP_DIMENSIONS = {"eventType": "event_type", "source": "source", "status": "status"}
RAW_GROUP_COLUMNS = {
    "eventType": "e.event_type",
    "source": "e.source",
    "status": "e.status",
    "userId": "e.user_id",
    "sessionId": "e.session_id",
}


class Params(dict):
    """Named parameters with generated names (``p0``, ``p1``, ...)."""

    def add(self, value) -> str:
        name = f"p{len(self)}"
        self[name] = value
        return f"%({name})s"


def dimension_filters(filters: Filters, params: Params, alias: str) -> list[str]:
    """Filters on eventType/source/status (valid on raw events and on rollup rows)."""
    clauses = []
    for values, column in (
        (filters.event_types, "event_type"),
        (filters.sources, "source"),
        (filters.statuses, "status"),
    ):
        if values:
            clauses.append(f"{alias}.{column} = ANY({params.add(list(values))})")
    return clauses


def raw_filters(filters: Filters, params: Params, alias: str = "e") -> list[str]:
    """Every filter except the time range, on raw events."""
    clauses = dimension_filters(filters, params, alias)
    if filters.user_ids:
        clauses.append(f"{alias}.user_id = ANY({params.add(list(filters.user_ids))})")
    if filters.session_ids:
        clauses.append(f"{alias}.session_id = ANY({params.add(list(filters.session_ids))})")
    if filters.tags_any:
        clauses.append(f"{alias}.tags && {params.add(list(filters.tags_any))}::text[]")
    if filters.tags_all:
        clauses.append(f"{alias}.tags @> {params.add(list(filters.tags_all))}::text[]")
    if filters.min_priority is not None:
        clauses.append(f"{alias}.priority >= {params.add(filters.min_priority)}")
    return clauses


def json_path(key: str) -> tuple[str, list[str]]:
    """``data.a.b`` -> (``data``, ``["a", "b"]``)."""
    column, _, path = key.partition(".")
    return column, path.split(".")


def raw_group_expr(key: str, params: Params, tag_alias: str = "g.tag") -> str:
    if key in RAW_GROUP_COLUMNS:
        return RAW_GROUP_COLUMNS[key]
    if key == "tags":
        return tag_alias
    column, path = json_path(key)
    return f"e.{column} #>> {params.add(path)}::text[]"


def output_bucket_expr(
    column: str, interval: str | None, timezone: str, params: Params
) -> str | None:
    """SQL for the output bucket of a timestamp column; ``None`` without an interval."""
    if interval is None:
        return None
    if interval == "1d" and timezone != "UTC":
        zone = params.add(timezone)
        return f"date_trunc('day', {column}, {zone})"
    seconds = int(INTERVALS[interval] / timedelta(seconds=1))
    return f"date_bin('{seconds} seconds'::interval, {column}, '2000-01-01T00:00:00Z')"
