"""HyperLogLog sketches of distinct users, sessions and tags (``approximate=true``).

The hourly and daily per-eventType totals carry one sketch per kind (migration 0013: 1024
registers, thermometer-coded in a ``bit varying``, merged with ``bit_or``). A query merges the
sketches of the materialized, clean buckets of its 1h/1d segments with sketches built on the
fly from raw events of everything else: finer segments, the tail received after the watermark
and dirty (PATCHed) buckets. Adding a value twice changes nothing, so overlaps are harmless.
"""

# SQL here is composed from fixed fragments of this package; every value is a bound parameter.
# ruff: noqa: S608

from __future__ import annotations

import math

from django.db import connection, transaction

from .levels import LEVELS, Level, bucket_sql
from .params import AggregateQuery
from .planner import Segment
from .refresh import REFRESH_LOCK_KEY, level_horizons
from .rollup_sql import recent_tail_ctes, segment_ranges
from .sqlparts import Params, dimension_filters, output_bucket_expr

HLL_P = 10
HLL_M = 1 << HLL_P
HLL_STANDARD_ERROR = 1.04 / math.sqrt(HLL_M)  # relative standard error, ~3.25 %
HLL_LEVELS = frozenset({"1h", "1d"})
# metric -> (kind number, column of the totals)
HLL_METRICS = {
    "unique_users": (0, "hll_users"),
    "unique_sessions": (1, "hll_sessions"),
    "unique_tags": (2, "hll_tags"),
}


def hashes_sql(source: str, keys: str, kinds: list[int]) -> str:
    """Rows ``(keys, kind, idx, rnk)`` of every user/session/tag of ``source`` (alias v)."""
    parts = []
    for kind in kinds:
        if kind == 2:
            value, frm = "t", f"{source} v, unnest(v.tags) t"
        else:
            value, frm = ("v.user_id", "v.session_id")[kind], f"{source} v"
        parts.append(
            f"SELECT {keys}, {kind} AS kind, (z.h & {HLL_M - 1})::integer AS idx,"
            " events_hll_rank(z.h) AS rnk"
            f" FROM {frm}, LATERAL (SELECT hashtextextended({value}, 0) AS h) z"
            f" WHERE {value} IS NOT NULL"
        )
    return " UNION ALL ".join(parts)


def _sketches_sql(source: str, keys: list[str]) -> str:
    """Per ``keys``: the three sketches of ``source`` (columns keys, user_id, session_id, tags)."""
    k = ", ".join(keys)
    vk = ", ".join(f"v.{key}" for key in keys)
    return f"""
SELECT {k},
       events_hll_build(array_agg(idx) FILTER (WHERE kind = 0),
                        array_agg(rnk) FILTER (WHERE kind = 0)) AS u,
       events_hll_build(array_agg(idx) FILTER (WHERE kind = 1),
                        array_agg(rnk) FILTER (WHERE kind = 1)) AS s,
       events_hll_build(array_agg(idx) FILTER (WHERE kind = 2),
                        array_agg(rnk) FILTER (WHERE kind = 2)) AS t
FROM ({hashes_sql(f"({source})", vk, [0, 1, 2])}) h({k}, kind, idx, rnk)
GROUP BY {k}
"""


def refresh_save_old(cursor, level: Level, touched: str) -> None:
    """Before the totals of the touched buckets are rebuilt: keep their sketches (except in
    PATCHed buckets, recomputed from raw events)."""
    cursor.execute(f"DROP TABLE IF EXISTS _hll_old_{level.name}")
    cursor.execute(
        f"CREATE TEMP TABLE _hll_old_{level.name} ON COMMIT DROP AS"
        " SELECT t.account_id, t.bucket, t.event_type, t.hll_users AS u, t.hll_sessions AS s,"
        f" t.hll_tags AS t FROM {level.total_table} t JOIN {touched} x"
        " ON t.account_id = x.account_id AND t.bucket = x.bucket"
        f" WHERE NOT EXISTS (SELECT 1 FROM _patched_{level.name} p"
        " WHERE p.account_id = t.account_id AND p.bucket = t.bucket)"
    )


def refresh_sketches(cursor, level: Level, horizon, w_new) -> None:
    """After the totals of the touched buckets are rebuilt: old sketches | new events."""
    bucket = bucket_sql(level.size, "d.ts")
    source = (
        f"SELECT d.account_id, {bucket} AS bucket, d.event_type, d.user_id, d.session_id, d.tags"
        " FROM _rollup_delta d WHERE d.ts >= %(horizon)s AND NOT EXISTS ("
        f" SELECT 1 FROM _patched_{level.name} p WHERE p.account_id = d.account_id"
        f" AND p.bucket = {bucket})"
        " UNION ALL SELECT e.account_id, p.bucket, e.event_type, e.user_id, e.session_id, e.tags"
        f" FROM events e JOIN _patched_{level.name} p ON e.account_id = p.account_id"
        f" AND e.ts >= p.bucket AND e.ts < p.bucket + interval '{level.sql_interval}'"
        " WHERE e.received_at <= %(w_new)s"
    )
    keys = ["account_id", "bucket", "event_type"]
    cursor.execute(
        f"""
WITH n AS ({_sketches_sql(source, keys)}),
x AS (
    SELECT account_id, bucket, event_type, events_hll_union(o.u, n.u) AS u,
           events_hll_union(o.s, n.s) AS s, events_hll_union(o.t, n.t) AS t
    FROM _hll_old_{level.name} o FULL JOIN n USING (account_id, bucket, event_type)
)
UPDATE {level.total_table} r SET hll_users = x.u, hll_sessions = x.s, hll_tags = x.t
FROM x WHERE r.account_id = x.account_id AND r.bucket = x.bucket AND r.event_type = x.event_type
""",
        {"horizon": horizon, "w_new": w_new},
    )


def hll_rebuild() -> None:
    """Recompute every sketch of the 1h/1d totals from raw events below the watermark (after
    migration 0013 on a database that already had rollups)."""
    from datetime import UTC, datetime

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [REFRESH_LOCK_KEY])
        cursor.execute("SET LOCAL work_mem = '256MB'")
        cursor.execute("SELECT watermark FROM events_rollup_state WHERE id = 1")
        watermark = cursor.fetchone()[0]
        horizons = level_horizons(datetime.now(UTC))
        for level in LEVELS:
            if level.name not in HLL_LEVELS:
                continue
            source = (
                f"SELECT account_id, {bucket_sql(level.size)} AS bucket, event_type, user_id,"
                " session_id, tags FROM events WHERE ts >= %(horizon)s"
                " AND received_at <= %(w)s"
            )
            cursor.execute(
                f"""
WITH x AS ({_sketches_sql(source, ["account_id", "bucket", "event_type"])})
UPDATE {level.total_table} r SET hll_users = x.u, hll_sessions = x.s, hll_tags = x.t
FROM x WHERE r.account_id = x.account_id AND r.bucket = x.bucket AND r.event_type = x.event_type
""",
                {"horizon": horizons[level.name], "w": watermark},
            )


def hll_applies(query: AggregateQuery, raw_metrics: frozenset[str]) -> bool:
    f = query.filters
    return (
        query.approximate
        and bool(raw_metrics)
        and raw_metrics <= set(HLL_METRICS)
        and set(query.group_by) <= {"eventType"}
        and not (f.sources or f.statuses)
    )


def hll_groups(cursor, account_id, query: AggregateQuery, segments: list[Segment], metrics):
    """{(ob, *group): {metric: estimate}} for the HLL metrics, in the caller's snapshot."""
    params = Params()
    acc = params.add(account_id)
    start, end = params.add(query.filters.start), params.add(query.filters.end)
    sketched = [s for s in segments if s.level is not None and s.level.name in HLL_LEVELS]
    others = [s for s in segments if s not in sketched]
    grouped = "eventType" in query.group_by
    ctes = recent_tail_ctes(
        acc=acc,
        start=start,
        end=end,
        columns="e.account_id, e.ts, e.event_type, e.user_id, e.session_id, e.tags,"
        " e.received_at, e.updated_at",
        segments=sketched,
        params=params,
    )
    where = " AND ".join([f"e.account_id = {acc}", *dimension_filters(query.filters, params, "e")])
    raw_ob = output_bucket_expr("e.ts", query.interval, query.timezone, params)
    cols = [f"{raw_ob} AS ob" if raw_ob else "NULL::timestamptz AS ob"]
    cols += ["e.event_type AS g" if grouped else "NULL::text AS g"]
    cols += ["e.user_id", "e.session_id", "e.tags"]
    raw_cols = ", ".join(cols)
    kinds = sorted(HLL_METRICS[m][0] for m in metrics)
    branches = [
        f"SELECT {raw_cols} FROM events e WHERE {where}"
        f" AND {segment_ranges(others, params, 'e.ts')}",
        f"SELECT {raw_cols} FROM recent e, st WHERE {where} AND e.received_at > st.w"
        f" AND {segment_ranges(sketched, params, 'e.ts')}",
        # LATERAL + OFFSET 0 (not flattened): one index range per dirty bucket, never a scan of
        # the account's events when the planner misjudges how few dirty buckets there are
        f"SELECT {raw_cols} FROM dirty_ranges x, LATERAL (SELECT * FROM events e"
        f" WHERE e.ts >= x.lo AND e.ts < x.hi AND {where} OFFSET 0) e",
    ]
    stored = []
    for seg in sketched:
        ob = output_bucket_expr("r.bucket", query.interval, query.timezone, params)
        sk_cols = [f"{ob}" if ob else "NULL::timestamptz", "r.event_type" if grouped else "NULL"]
        values = ", ".join(f"({HLL_METRICS[m][0]}, r.{HLL_METRICS[m][1]})" for m in metrics)
        conds = [
            f"r.account_id = {acc}",
            f"r.bucket >= {params.add(seg.start)}",
            f"r.bucket < {params.add(seg.end)}",
            *dimension_filters(query.filters, params, "r"),
            "NOT EXISTS (SELECT 1 FROM dirty_ranges x WHERE x.lo = r.bucket)",
        ]
        stored.append(
            f"SELECT {', '.join(sk_cols)}, k.kind, k.sk FROM {seg.level.total_table} r,"
            f" LATERAL (VALUES {values}) k(kind, sk) WHERE k.sk IS NOT NULL"
            f" AND {' AND '.join(conds)}"
        )
    sql = f"""
{ctes},
v (ob, g, user_id, session_id, tags) AS ({" UNION ALL ".join(branches)}),
h AS ({hashes_sql("v", "v.ob, v.g", kinds)}),
sk (ob, g, kind, sk) AS (
    SELECT ob, g, kind, events_hll_build(array_agg(idx), array_agg(rnk))
    FROM h GROUP BY ob, g, kind
    {"".join(" UNION ALL " + s for s in stored)}
)
SELECT ob, g, kind, events_hll_estimate(bit_or(sk)) FROM sk GROUP BY ob, g, kind
"""
    cursor.execute(sql, params)
    names = {HLL_METRICS[m][0]: m for m in metrics}
    result: dict[tuple, dict] = {}
    for ob, g, kind, estimate in cursor.fetchall():
        group = (ob, g) if grouped else (ob,)
        result.setdefault(group, {})[names[kind]] = round(estimate or 0)
    return result


def hll_in_snapshot(snapshot_id: str, account_id, query, segments, metrics, work_mem: str):
    """``hll_groups`` on this thread's own connection, in the exported snapshot of the request:
    it runs while the request's connection reads the rollups (one core each)."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot_id])
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
            cursor.execute("SET LOCAL jit = off")
            return hll_groups(cursor, account_id, query, segments, metrics)
    finally:
        connection.close()  # this thread's connection goes back to the pool


def hll_exactness() -> dict:
    return {
        "exact": False,
        "method": "hyperloglog",
        "registers": HLL_M,
        "standardError": round(HLL_STANDARD_ERROR, 5),
        "errorBound": (
            f"relative standard error 1.04/sqrt({HLL_M}) = {HLL_STANDARD_ERROR:.2%}"
            " (within 3 standard errors in 99.7% of answers); near-exact below a few hundred"
        ),
    }
