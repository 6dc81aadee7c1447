"""Test data for the query endpoints: events written straight into the real events table."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

from django.db import connection

from events.partitions import partition_ensure_range

COLUMNS = (
    "account_id, id, ts, received_at, event_type, source, user_id, session_id, duration,"
    " priority, status, tags, data, metadata, updated_at"
)


def event(account_id, ts: datetime, **fields) -> dict:
    row = {
        "account_id": account_id,
        "id": uuid.uuid4(),
        "ts": ts,
        "received_at": fields.pop("received_at", None) or datetime.now(UTC),
        "event_type": "page_view",
        "source": "web",
        "user_id": None,
        "session_id": None,
        "duration": None,
        "priority": None,
        "status": "ok",
        "tags": [],
        "data": {},
        "metadata": {},
        "updated_at": None,
    }
    row.update(fields)
    return row


def insert_events(rows: list[dict]) -> None:
    if not rows:
        return
    first = min(r["ts"] for r in rows)
    last = max(r["ts"] for r in rows)
    partition_ensure_range(first, last + timedelta(microseconds=1))
    values = [
        [
            r["account_id"],
            r["id"],
            r["ts"],
            r["received_at"],
            r["event_type"],
            r["source"],
            r["user_id"],
            r["session_id"],
            r["duration"],
            r["priority"],
            r["status"],
            r["tags"],
            json.dumps(r["data"]),
            json.dumps(r["metadata"]),
            r["updated_at"],
        ]
        for r in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO events ({COLUMNS}) VALUES"
            " (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb, %s)",
            values,
        )


def patch_event(row: dict, *, updated_at: datetime, **changes) -> None:
    """What a PATCH does to the row: new status/tags/metadata and updated_at."""
    row.update(changes, updated_at=updated_at)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events SET status = %s, tags = %s, metadata = %s::jsonb, updated_at = %s"
            " WHERE account_id = %s AND ts = %s AND id = %s",
            [
                row["status"],
                row["tags"],
                json.dumps(row["metadata"]),
                updated_at,
                row["account_id"],
                row["ts"],
                row["id"],
            ],
        )
