"""/raw: filtered events, newest first (or oldest first), by page or by keyset cursor.

Both forms walk the primary key ``(account_id, ts, id)``: the cursor continues strictly after
the last ``(ts, id)`` served, so any depth costs one index descent; ``page`` uses OFFSET and is
bounded to the first 10,000 rows (params.MAX_OFFSET_WINDOW).
"""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import psycopg
from django.db import connection

from events.ingest.selectors import event_to_json, iso_utc

from .cursor import encode_cursor
from .params import RawQuery
from .retention import account_horizons
from .sqlparts import Params, raw_filters

EVENT_COLUMNS = (
    "e.id, e.ts, e.received_at, e.event_type, e.source, e.user_id, e.session_id, e.duration,"
    " e.priority, e.status, e.tags, e.data::text, e.metadata::text, e.updated_at"
)


def event_json(row) -> dict:
    return event_to_json(row, raw_json=orjson.Fragment)


def raw_select(*, account_id, query: RawQuery) -> dict:
    filters = query.filters
    _, raw_horizon = account_horizons(account_id, datetime.now(UTC))
    start = max(filters.start, raw_horizon)
    params = Params()
    where = [
        f"e.account_id = {params.add(account_id)}",
        f"e.ts >= {params.add(start)}",
        f"e.ts < {params.add(filters.end)}",
        *raw_filters(filters, params, "e"),
    ]
    direction = "ASC" if query.ascending else "DESC"
    if query.cursor:
        ts, event_id = query.cursor
        op = ">" if query.ascending else "<"
        where.append(f"(e.ts, e.id) {op} ({params.add(ts)}, {params.add(event_id)}::uuid)")
    offset = 0 if query.cursor else (query.page - 1) * query.page_size
    sql = (
        f"SELECT {EVENT_COLUMNS} FROM events e WHERE {' AND '.join(where)}"  # noqa: S608
        f" ORDER BY e.ts {direction}, e.id {direction}"
        f" LIMIT {params.add(query.page_size + 1)} OFFSET {params.add(offset)}"
    )
    # Server-side bound and prepared (per query shape): the generic plan prunes the ~30 daily
    # partitions at run time instead of planning each of them on every page.
    with (
        connection.cursor() as cursor,
        connection.wrap_database_errors,
        psycopg.Cursor(cursor.cursor.connection) as raw,
    ):
        # OFFSET pages plan better with the offset known (a custom plan)
        raw.execute(sql, params, prepare=offset == 0)
        rows = raw.fetchall()
    has_more = len(rows) > query.page_size
    rows = rows[: query.page_size]
    next_cursor = None
    if has_more and rows:
        next_cursor = encode_cursor(query.ascending, rows[-1][1], rows[-1][0])
    return {
        "data": [event_json(row) for row in rows],
        "pagination": {
            "page": None if query.cursor else query.page,
            "pageSize": query.page_size,
            "hasMore": has_more,
            "nextCursor": next_cursor,
            "order": "asc" if query.ascending else "desc",
        },
        "meta": {"startTime": iso_utc(start), "endTime": iso_utc(filters.end)},
    }
