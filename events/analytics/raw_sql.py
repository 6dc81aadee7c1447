"""The raw engine: every metric computed exactly over the raw events table."""

# SQL here is composed from fixed fragments of this package; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

from .metrics import PERCENTILES
from .params import AggregateQuery
from .sqlparts import Params, output_bucket_expr, raw_filters, raw_group_expr


def raw_aggregate_sql(account_id, query: AggregateQuery) -> tuple[str, Params, list[str]]:
    """SQL returning ``ob, <group keys>, <metric columns>`` and the metric column order."""
    params = Params()
    metrics = query.computed_metrics
    group_tags = "tags" in query.group_by
    # unique_tags counts every tag of the group's events (with groupBy tags too: the tags that
    # co-occur with the group's tag). With groupBy tags, tags are unnested once more in the same
    # scan (other metrics count each event once through the ordinality filter); otherwise they
    # are counted by a second, cheaper aggregate joined on the group keys.
    tag_rows = "unique_tags" in metrics and group_tags
    separate_tags = "unique_tags" in metrics and not group_tags
    once = " FILTER (WHERE t.i IS NULL OR t.i = 1)" if tag_rows else ""
    select: list[str] = []
    columns: list[str] = []
    for metric in metrics:
        if metric in PERCENTILES or (metric == "unique_tags" and separate_tags):
            continue
        columns.append(metric)
        select.append(
            {
                "count": f"count(*){once}",
                "unique_sources": "count(DISTINCT e.source)",
                "unique_users": "count(DISTINCT e.user_id)",
                "unique_sessions": "count(DISTINCT e.session_id)",
                "avg_duration": f"avg(e.duration){once}",
                "min_duration": "min(e.duration)",
                "max_duration": "max(e.duration)",
                "dominant_status": f"mode() WITHIN GROUP (ORDER BY e.status){once}",
                "unique_tags": "count(DISTINCT t.tag)",
            }[metric]
        )
    wanted = [m for m in metrics if m in PERCENTILES]
    if wanted:
        fractions = params.add([PERCENTILES[m] for m in wanted])
        select.append(
            f"percentile_cont({fractions}::float8[]) WITHIN GROUP (ORDER BY e.duration){once}"
        )
        columns.append("percentiles:" + ",".join(wanted))
    ob = output_bucket_expr("e.ts", query.interval, query.timezone, params)
    group_exprs = [raw_group_expr(key, params) for key in query.group_by]
    keys = [ob or "NULL::timestamptz", *group_exprs]
    joins = ""
    if group_tags:
        joins += (
            " CROSS JOIN LATERAL unnest(CASE WHEN cardinality(e.tags) = 0"
            " THEN ARRAY[NULL]::text[] ELSE e.tags END) AS g(tag)"
        )
    if tag_rows:
        joins += " LEFT JOIN LATERAL unnest(e.tags) WITH ORDINALITY AS t(tag, i) ON true"
    where = [
        f"e.account_id = {params.add(account_id)}",
        f"e.ts >= {params.add(query.filters.start)}",
        f"e.ts < {params.add(query.filters.end)}",
        *raw_filters(query.filters, params, "e"),
    ]
    group_positions = ", ".join(str(n + 1) for n in range(len(keys)))
    key_names = [f"k{n}" for n in range(len(keys))]
    keyed = [f"{expr} AS {name}" for expr, name in zip(keys, key_names, strict=True)]
    sql = (
        f"SELECT {', '.join([*keyed, *select])} FROM events e{joins}"
        f" WHERE {' AND '.join(where)} GROUP BY {group_positions}"
    )
    if separate_tags:
        tags_sql = (  # DISTINCT first: a hash aggregate, cheaper than count(DISTINCT)'s sort
            f"SELECT {', '.join(key_names)}, count(*) AS unique_tags FROM ("
            f"SELECT DISTINCT {', '.join(keyed)}, t.tag FROM events e{joins}"
            " CROSS JOIN LATERAL unnest(e.tags) AS t(tag)"
            f" WHERE {' AND '.join(where)}) d GROUP BY {group_positions}"
        )
        on = " AND ".join(f"m.{k} IS NOT DISTINCT FROM tg.{k}" for k in key_names)
        sql = (
            f"SELECT m.*, coalesce(tg.unique_tags, 0) FROM ({sql}) m"
            f" LEFT JOIN ({tags_sql}) tg ON {on}"
        )
        columns.append("unique_tags")
    return sql, params, columns
