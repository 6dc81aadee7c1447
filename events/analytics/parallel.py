"""Exact raw aggregates in two halves that run at once, on two connections that share one
snapshot (``pg_export_snapshot``): the distinct counts in a helper thread, everything else in
the request's own transaction. PostgreSQL 15 runs neither DISTINCT nor ordered-set aggregates
in parallel workers, so this is how an exact answer uses both cores."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from django.conf import settings
from django.db import connection, transaction

from .finalize import merge_raw_rows
from .params import AggregateQuery
from .raw_sql import raw_aggregate_sql

DISTINCT = frozenset({"unique_sources", "unique_users", "unique_sessions", "unique_tags"})
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="analytics-distinct")


def _run(cursor, account_id, query: AggregateQuery) -> dict:
    sql, params, columns = raw_aggregate_sql(account_id, query)
    cursor.execute(sql, params)
    return merge_raw_rows(cursor.fetchall(), query, columns)


def _in_snapshot(snapshot_id: str, account_id, query: AggregateQuery, work_mem: str) -> dict:
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot_id])
            cursor.execute(f"SET LOCAL work_mem = '{work_mem}'")
            cursor.execute("SET LOCAL jit = off")
            return _run(cursor, account_id, query)
    finally:
        connection.close()  # this thread's connection goes back to the pool


def raw_groups_split(
    cursor, account_id, query: AggregateQuery, *, own_transaction: bool, work_mem: str
) -> dict:
    """Groups of ``query`` from raw events; split in two when worth it and possible (the
    caller's transaction is the analytics snapshot, not an outer one a helper could not see)."""
    metrics = query.computed_metrics
    distinct = tuple(m for m in metrics if m in DISTINCT)
    rest = tuple(m for m in metrics if m not in DISTINCT)
    if not (own_transaction and distinct and rest and getattr(settings, "ANALYTICS_SPLIT", True)):
        return _run(cursor, account_id, query)
    cursor.execute("SELECT pg_export_snapshot()")
    snapshot_id = cursor.fetchone()[0]
    helper = _executor.submit(
        _in_snapshot, snapshot_id, account_id, replace(query, metrics=distinct, having=()), work_mem
    )
    groups = _run(cursor, account_id, replace(query, metrics=rest, having=()))
    extra = helper.result()
    for group, values in groups.items():
        values.update(extra.get(group, {}))
    return groups
