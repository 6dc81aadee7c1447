"""Reads behind /aggregated and /analytics: pick an engine, run it in one snapshot, shape it."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime

from django.conf import settings
from django.db import connection, transaction

from .finalize import merge_rollup_rows, shape_rows
from .hll import hll_applies, hll_exactness, hll_groups, hll_in_snapshot
from .metrics import (
    PERCENTILES,
    ROLLUP_EXACT,
    ROLLUP_SKETCH,
    SKETCH_ALPHA,
    field_name,
)
from .parallel import _executor, raw_groups_split
from .params import AggregateQuery
from .planner import candidate_levels, output_buckets, plan_segments
from .retention import account_horizons
from .rollup_sql import RollupPlan, rollup_plan, rollup_sql
from .sqlparts import ROLLUP_DIMENSIONS

ANALYTICS_WORK_MEM = "64MB"


@contextmanager
def snapshot():
    """One REPEATABLE READ transaction: the watermark, rollups and raw rows agree. Yields the
    cursor and whether the transaction is ours (not an outer one, as in some tests)."""
    nested = connection.in_atomic_block
    with transaction.atomic(), connection.cursor() as cursor:
        if not nested:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute(f"SET LOCAL work_mem = '{ANALYTICS_WORK_MEM}'")
            # JIT compiles for ~40 ms and these queries run in 5-500 ms: not worth it
            cursor.execute("SET LOCAL jit = off")
        yield cursor, not nested


RAW_DISTINCT = frozenset({"unique_users", "unique_sessions", "unique_tags"})


def uses_rollups(query: AggregateQuery) -> bool:
    return engine_for(query)[0] != "raw"


def engine_for(query: AggregateQuery) -> tuple[str, frozenset[str]]:
    """("rollup" | "hybrid" | "raw", metrics the raw table must compute in a hybrid).

    Hybrid: with approximate=true, everything the rollups hold comes from them (percentiles
    from sketches) and only the distinct counts of users/sessions/tags, which have no sketch,
    are computed exactly over raw events."""
    allowed = ROLLUP_EXACT | (ROLLUP_SKETCH if query.approximate else frozenset())
    if not (
        query.filters.only_rollup_dimensions
        and all(key in ROLLUP_DIMENSIONS for key in query.group_by)
    ):
        return "raw", frozenset()
    rest = frozenset(m for m in query.computed_metrics if m not in allowed)
    if not rest:
        return "rollup", rest
    if query.approximate and rest <= RAW_DISTINCT:
        return "hybrid", rest
    return "raw", frozenset()


def _exactness(
    query: AggregateQuery, engine: str, raw_metrics: frozenset[str], sketched=frozenset()
) -> dict:
    result = {}
    for metric in query.metrics:
        if metric in sketched:
            result[field_name(metric)] = hll_exactness()
        elif metric in raw_metrics:
            result[field_name(metric)] = {"exact": True, "method": "raw"}
        elif engine != "raw" and metric in PERCENTILES:
            result[field_name(metric)] = {
                "exact": False,
                "method": "ddsketch",
                "relativeError": SKETCH_ALPHA,
                "errorBound": (
                    f"within {SKETCH_ALPHA:.0%} of the exact percentile_cont value for "
                    "durations >= 1 ms; within 0.5 ms below 1 ms"
                ),
            }
        else:
            method = "rollup" if engine != "raw" else "raw"
            result[field_name(metric)] = {"exact": True, "method": method}
    return result


def _rollup_rows(cursor, account_id, query, segments, plan: RollupPlan) -> list:
    """Engine rows. When percentiles need sketches but other metrics need the source/status
    dimensions, the sketches come from the per-eventType totals (far fewer to merge) and the
    rest from the dimension rollups without sketches: two statements, one snapshot."""
    group_dims = tuple(ROLLUP_DIMENSIONS[key] for key in query.group_by)
    f = query.filters
    split = (
        plan.sketch
        and not plan.totals
        and set(group_dims) <= {"event_type"}
        and not (f.sources or f.statuses)
    )
    if not split:
        sql, params = rollup_sql(account_id, query, segments, plan)
        cursor.execute(sql, params)
        return cursor.fetchall()
    sql, params = rollup_sql(account_id, query, segments, replace(plan, sketch=False))
    cursor.execute(sql, params)
    rows = cursor.fetchall()
    sketch_plan = RollupPlan(group_dims, sketch=True, totals=True)
    sql, params = rollup_sql(account_id, query, segments, sketch_plan)
    cursor.execute(sql, params)
    pad = (None,) * (len(plan.dims) - len(group_dims))
    cut = 2 + len(group_dims)
    rows += [row[:cut] + pad + row[cut:] for row in cursor.fetchall() if row[0] == 1]
    return rows


def _raw_groups(cursor, account_id, query: AggregateQuery, raw_horizon: datetime, own) -> dict:
    clamped = query
    if query.filters.start < raw_horizon:
        start = min(raw_horizon, query.filters.end)
        clamped = replace(query, filters=replace(query.filters, start=start))
    return raw_groups_split(
        cursor, account_id, clamped, own_transaction=own, work_mem=ANALYTICS_WORK_MEM
    )


def aggregate_select(*, account_id, query: AggregateQuery, zero_fill: bool) -> dict:
    now = datetime.now(UTC)
    horizons, raw_horizon = account_horizons(account_id, now)
    engine, raw_metrics = engine_for(query)
    sketched = raw_metrics if hll_applies(query, raw_metrics) else frozenset()
    with snapshot() as (cursor, own):
        cursor.execute("SELECT watermark FROM events_rollup_state WHERE id = 1")
        watermark = cursor.fetchone()[0]
        if engine != "raw":
            levels = candidate_levels(
                query.filters.start, query.filters.end, query.interval, query.timezone
            )
            segments = plan_segments(
                query.filters.start, query.filters.end, levels, horizons, raw_horizon
            )
            rollup_query = replace(
                query,
                metrics=tuple(m for m in query.computed_metrics if m not in raw_metrics),
                having=(),
            )
            plan = rollup_plan(rollup_query)
            hll_future = None
            if sketched and own and getattr(settings, "ANALYTICS_SPLIT", True):
                cursor.execute("SELECT pg_export_snapshot()")
                hll_future = _executor.submit(
                    hll_in_snapshot,
                    cursor.fetchone()[0],
                    account_id,
                    query,
                    segments,
                    sorted(sketched),
                    ANALYTICS_WORK_MEM,
                )
            rows = _rollup_rows(cursor, account_id, rollup_query, segments, plan)
            groups = merge_rollup_rows(rows, rollup_query, len(plan.dims), plan.dims)
            levels_used = sorted({s.level.name if s.level else "raw" for s in segments})
            if sketched:
                extra = (
                    hll_future.result()
                    if hll_future
                    else hll_groups(cursor, account_id, query, segments, sorted(sketched))
                )
                empty = dict.fromkeys(raw_metrics, 0)
                for group, values in groups.items():
                    values.update(extra.get(group, empty))
                if any(s.level is None or s.level.name not in ("1h", "1d") for s in segments):
                    levels_used = sorted({*levels_used, "raw"})
            elif raw_metrics:
                raw_query = replace(query, metrics=tuple(sorted(raw_metrics)), having=())
                extra = _raw_groups(cursor, account_id, raw_query, raw_horizon, own)
                empty = dict.fromkeys(raw_metrics, 0)
                for group, values in groups.items():
                    values.update(extra.get(group, empty))
                levels_used = sorted({*levels_used, "raw"})
        else:
            groups = _raw_groups(cursor, account_id, query, raw_horizon, own)
            levels_used = ["raw"]
    buckets = None
    if zero_fill and query.interval:
        buckets = output_buckets(
            query.filters.start, query.filters.end, query.interval, query.timezone
        )
    data = shape_rows(groups, query, buckets)
    return {
        "data": data,
        "meta": {
            "startTime": iso_utc(query.filters.start),
            "endTime": iso_utc(query.filters.end),
            "interval": query.interval,
            "timezone": query.timezone,
            "groupBy": list(query.group_by),
            "metrics": list(query.metrics),
            "approximate": query.approximate,
            "rows": len(data),
            "freshness": {
                "materializedThrough": iso_utc(watermark),
                "asOf": iso_utc(now),
                "includesUnmaterialized": True,
                "source": levels_used,
            },
            "exactness": _exactness(query, engine, raw_metrics, sketched),
            "cached": False,
        },
    }


def iso_utc(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
