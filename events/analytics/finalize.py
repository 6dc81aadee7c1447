"""Turning engine rows into response rows: merging partials, percentiles from sketches,
zero-filled buckets, having, ordering and limit."""

from __future__ import annotations

import math
import operator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from .metrics import PERCENTILES, SKETCH_GAMMA, SKETCH_SUB_MS_KEY, field_name
from .params import AggregateQuery

_OPS = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "=": operator.eq,
    "!=": operator.ne,
}


def sketch_value(key: int) -> float:
    if key == SKETCH_SUB_MS_KEY:
        return 0.5
    return 2 * SKETCH_GAMMA**key / (SKETCH_GAMMA + 1)


def sketch_quantile(sketch: dict[int, int], q: float, low: float, high: float) -> float | None:
    """percentile_cont-style estimate: the two neighbouring order statistics, interpolated."""
    total = sum(sketch.values())
    if total == 0:
        return None
    rank = q * (total - 1)
    lower = math.floor(rank)
    wanted = {lower, min(lower + 1, total - 1)}
    found: dict[int, float] = {}
    seen = 0
    for key in sorted(sketch):
        count = sketch[key]
        for r in wanted:
            if r not in found and seen <= r < seen + count:
                found[r] = min(max(sketch_value(key), low), high)
        seen += count
        if len(found) == len(wanted):
            break
    a, b = found[lower], found[min(lower + 1, total - 1)]
    return a + (b - a) * (rank - lower)


def _empty_metrics(metrics) -> dict:
    return {m: (0 if m == "count" or m.startswith("unique_") else None) for m in metrics}


def merge_rollup_rows(rows, query: AggregateQuery, n_dims: int, dims: tuple[str, ...]) -> dict:
    """Engine rows ``(kind, ob, *dims, n, dn, ds, mn, mx, k)`` -> {group key: metric dict}."""
    group_dims = [i for i, dim in enumerate(dims) if i < len(query.group_by)]
    status_at = dims.index("status") if "status" in dims else None
    source_at = dims.index("source") if "source" in dims else None
    acc: dict[tuple, dict] = {}
    for row in rows:
        kind, ob = row[0], row[1]
        values = row[2 : 2 + n_dims]
        n, dn, ds, mn, mx, key = row[2 + n_dims :]
        group = (ob, *(values[i] for i in group_dims))
        a = acc.setdefault(
            group,
            {"n": 0, "dn": 0, "ds": 0.0, "mn": None, "mx": None, "st": {}, "src": set(), "sk": {}},
        )
        if kind == 1:
            a["sk"][key] = a["sk"].get(key, 0) + int(n)
            continue
        a["n"] += int(n)
        a["dn"] += int(dn)
        a["ds"] += float(ds or 0)
        if mn is not None:
            a["mn"] = mn if a["mn"] is None else min(a["mn"], mn)
            a["mx"] = mx if a["mx"] is None else max(a["mx"], mx)
        if status_at is not None:
            status = values[status_at]
            a["st"][status] = a["st"].get(status, 0) + int(n)
        if source_at is not None:
            a["src"].add(values[source_at])
    result = {}
    metrics = query.computed_metrics
    for group, a in acc.items():
        if a["n"] == 0:
            continue
        out = {}
        for metric in metrics:
            if metric == "count":
                out[metric] = a["n"]
            elif metric == "unique_sources":
                out[metric] = len(a["src"])
            elif metric == "avg_duration":
                out[metric] = a["ds"] / a["dn"] if a["dn"] else None
            elif metric == "min_duration":
                out[metric] = a["mn"]
            elif metric == "max_duration":
                out[metric] = a["mx"]
            elif metric == "dominant_status":
                out[metric] = min(a["st"].items(), key=lambda kv: (-kv[1], kv[0]))[0]
            elif metric in PERCENTILES:
                out[metric] = sketch_quantile(a["sk"], PERCENTILES[metric], a["mn"], a["mx"])
        result[group] = out
    return result


def merge_raw_rows(rows, query: AggregateQuery, columns: list[str]) -> dict:
    width = 1 + len(query.group_by)
    result = {}
    for row in rows:
        group, values = tuple(row[:width]), row[width:]
        out = {}
        for column, value in zip(columns, values, strict=True):
            if column.startswith("percentiles:"):
                names = column.split(":", 1)[1].split(",")
                for name, pct in zip(names, value or [None] * len(names), strict=True):
                    out[name] = pct
            elif column == "avg_duration" and value is not None:
                out[column] = float(value)
            else:
                out[column] = value
        result[group] = out
    return result


def format_bucket(value: datetime, query: AggregateQuery) -> str:
    if query.interval == "1d" and query.timezone != "UTC":
        return value.astimezone(ZoneInfo(query.timezone)).isoformat()
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _sort(rows: list[dict], order_by) -> list[dict]:
    for key, descending in reversed(order_by):
        if descending:
            rows.sort(
                key=lambda r: (r[key] is not None, r[key] if r[key] is not None else 0),
                reverse=True,
            )
        else:
            rows.sort(key=lambda r: (r[key] is None, r[key] if r[key] is not None else 0))
    return rows


def shape_rows(groups: dict, query: AggregateQuery, zero_fill: list[datetime] | None) -> list:
    if zero_fill is not None:
        empty = _empty_metrics(query.computed_metrics)
        for bucket in zero_fill:
            if (bucket,) not in groups:
                groups[(bucket,)] = dict(empty)
    rows = []
    for group, metrics in groups.items():
        row = {"bucket": group[0]} if query.interval else {}
        row.update(dict(zip(query.group_by, group[1:], strict=True)))
        if any(
            metrics.get(h.metric) is None or not _OPS[h.op](metrics[h.metric], h.value)
            for h in query.having
        ):
            continue
        row.update(metrics)
        rows.append(row)
    rows = _sort(rows, query.order_by)
    if query.limit is not None:
        rows = rows[: query.limit]
    shaped = []
    fields = [(metric, field_name(metric)) for metric in query.metrics]
    for row in rows:
        out = {}
        if query.interval:
            out["bucket"] = format_bucket(row["bucket"], query)
        for key in query.group_by:
            out[key] = row[key]
        for metric, name in fields:
            out[name] = row[metric]
        shaped.append(out)
    return shaped
