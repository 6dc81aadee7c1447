"""The rollup engine: materialized buckets unioned with the not-yet-materialized tail.

For each segment answered by a rollup level, rows come from
- the rollup table, except buckets holding an event PATCHed after the watermark (dirty), plus
- raw events of that segment received after the watermark (the tail), except dirty buckets, plus
- every raw event of the dirty buckets;
segments answered by raw events read them all. Every matching event is counted exactly once, in
one statement (one snapshot) that also reads the watermark. Events received or PATCHed after the
watermark are read once (``recent``, through the received_at/updated_at indexes) for both the
tail and the dirty buckets.
"""

# SQL here is composed from fixed fragments of this package; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from dataclasses import dataclass

from .levels import bucket_sql
from .params import AggregateQuery
from .planner import Segment
from .refresh import SKETCH_KEY_SQL
from .sqlparts import ROLLUP_DIMENSIONS, Params, dimension_filters, output_bucket_expr


@dataclass(frozen=True)
class RollupPlan:
    dims: tuple[str, ...]  # rollup columns kept in the partial rows (group keys + extras)
    sketch: bool
    totals: bool  # only eventType (or nothing) needed: read the per-(bucket, eventType) totals


def rollup_plan(query: AggregateQuery) -> RollupPlan:
    metrics = query.computed_metrics
    dims = [ROLLUP_DIMENSIONS[key] for key in query.group_by]
    if "dominant_status" in metrics and "status" not in dims:
        dims.append("status")
    if "unique_sources" in metrics and "source" not in dims:
        dims.append("source")
    sketch = query.approximate and any(m.startswith("p") and m[1].isdigit() for m in metrics)
    f = query.filters
    totals = set(dims) <= {"event_type"} and not (f.sources or f.statuses)
    return RollupPlan(tuple(dims), sketch, totals)


def segment_ranges(segments: list[Segment], params: Params, column: str) -> str:
    if not segments:
        return "false"
    parts = [
        f"({column} >= {params.add(s.start)} AND {column} < {params.add(s.end)})" for s in segments
    ]
    return "(" + " OR ".join(parts) + ")"


def recent_tail_ctes(
    *, acc: str, start: str, end: str, columns: str, segments: list[Segment], params: Params
) -> str:
    """The CTEs every rollup read shares: ``recent`` (events received or PATCHed after the
    watermark), ``dirty`` (their PATCHed timestamps) and ``dirty_ranges`` (the materialized
    buckets of ``segments`` those PATCHes touched, recomputed from raw events)."""
    dirty_ranges = [
        f"SELECT DISTINCT {bucket_sql(s.level.size)} AS lo,"
        f" {bucket_sql(s.level.size)} + interval '{s.level.sql_interval}' AS hi"
        f" FROM dirty WHERE ts >= {params.add(s.start)} AND ts < {params.add(s.end)}"
        for s in segments
    ] or ["SELECT NULL::timestamptz AS lo, NULL::timestamptz AS hi WHERE false"]
    return f"""WITH st AS (SELECT watermark AS w FROM events_rollup_state WHERE id = 1),
recent AS MATERIALIZED (
    SELECT {columns}
    FROM events e, st WHERE e.account_id = {acc} AND e.ts >= {start} AND e.ts < {end}
    AND (e.received_at > st.w OR e.updated_at > st.w)
),
dirty AS MATERIALIZED (
    SELECT DISTINCT e.ts FROM recent e, st WHERE e.updated_at > st.w AND e.received_at <= st.w
),
dirty_ranges AS MATERIALIZED ({" UNION ".join(dirty_ranges)})"""


def _raw_select(plan: RollupPlan, ob: str | None) -> str:
    cols = [f"{ob} AS ob" if ob else "NULL::timestamptz AS ob"]
    cols += [f"e.{dim}" for dim in plan.dims]
    cols += [
        "1::bigint AS n",
        "(e.duration IS NOT NULL)::int::bigint AS dn",
        "coalesce(e.duration, 0) AS ds",
        "e.duration AS mn",
        "e.duration AS mx",
    ]
    if plan.sketch:
        cols += [
            f"CASE WHEN e.duration IS NULL THEN '{{}}'::int[] ELSE ARRAY[{SKETCH_KEY_SQL}] END"
            " AS sk",
            "CASE WHEN e.duration IS NULL THEN '{}'::int[] ELSE ARRAY[1] END AS sc",
        ]
    return ", ".join(cols)


def rollup_sql(
    account_id, query: AggregateQuery, segments: list[Segment], plan: RollupPlan
) -> tuple[str, Params]:
    params = Params()
    acc = params.add(account_id)
    start, end = params.add(query.filters.start), params.add(query.filters.end)
    rollup_segments = [s for s in segments if s.level is not None]
    raw_segments = [s for s in segments if s.level is None]
    ctes = recent_tail_ctes(
        acc=acc,
        start=start,
        end=end,
        columns="e.account_id, e.ts, e.event_type, e.source, e.status, e.duration,"
        " e.received_at, e.updated_at",
        segments=rollup_segments,
        params=params,
    )
    raw_where = " AND ".join(
        ["e.account_id = " + acc, *dimension_filters(query.filters, params, "e")]
    )
    raw_ob = output_bucket_expr("e.ts", query.interval, query.timezone, params)
    raw_cols = _raw_select(plan, raw_ob)
    branches = []
    for seg in rollup_segments:
        ob = output_bucket_expr("r.bucket", query.interval, query.timezone, params)
        cols = [f"{ob} AS ob" if ob else "NULL::timestamptz AS ob"]
        cols += [f"r.{dim}" for dim in plan.dims]
        cols += [
            "r.event_count",
            "r.duration_count",
            "r.duration_sum",
            "r.duration_min",
            "r.duration_max",
        ]
        if plan.sketch:
            cols += ["r.sketch_keys", "r.sketch_counts"]
        where = [
            f"r.account_id = {acc}",
            f"r.bucket >= {params.add(seg.start)}",
            f"r.bucket < {params.add(seg.end)}",
            *dimension_filters(query.filters, params, "r"),
            "NOT EXISTS (SELECT 1 FROM dirty_ranges x WHERE x.lo = r.bucket)",
        ]
        table = seg.level.total_table if plan.totals else seg.level.table
        branches.append(f"SELECT {', '.join(cols)} FROM {table} r WHERE {' AND '.join(where)}")
    if raw_segments:
        branches.append(
            f"SELECT {raw_cols} FROM events e WHERE {raw_where}"
            f" AND {segment_ranges(raw_segments, params, 'e.ts')}"
        )
    if rollup_segments:
        branches.append(
            f"SELECT {raw_cols} FROM recent e, st WHERE {raw_where} AND e.received_at > st.w"
            f" AND {segment_ranges(rollup_segments, params, 'e.ts')} AND NOT EXISTS"
            " (SELECT 1 FROM dirty_ranges x WHERE e.ts >= x.lo AND e.ts < x.hi)"
        )
        branches.append(
            f"SELECT {raw_cols} FROM dirty_ranges x JOIN events e ON e.ts >= x.lo"
            f" AND e.ts < x.hi WHERE {raw_where}"
        )
    if not branches:  # the whole range lies beyond every retention horizon
        branches.append(f"SELECT {raw_cols} FROM events e WHERE false")
    dims = ", ".join(["ob", *plan.dims])
    measures = "sum(n), sum(dn), sum(ds), min(mn), max(mx)"
    final = f"SELECT 0 AS kind, {dims}, {measures}, NULL::int AS k FROM parts GROUP BY {dims}"
    if plan.sketch:
        final += (
            f" UNION ALL SELECT 1, {dims}, sum(u.c), NULL, NULL, NULL, NULL, u.k"
            f" FROM parts, unnest(parts.sk, parts.sc) AS u(k, c) GROUP BY {dims}, u.k"
        )
    part_columns = ["ob", *plan.dims, "n", "dn", "ds", "mn", "mx"]
    if plan.sketch:
        part_columns += ["sk", "sc"]
    sql = f"""
{ctes},
parts ({", ".join(part_columns)}) AS ({" UNION ALL ".join(branches)})
{final}
"""
    return sql, params
