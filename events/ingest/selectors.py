"""Reads of single events, and of the events of one ingested batch (for outbox consumers)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import msgspec
import orjson
from django.db import connection

from events.ingest.uuid7 import uuid7_time_range

SELECT_COLUMNS = (
    "id, ts, received_at, event_type, source, user_id, session_id, duration, priority,"
    " status, tags, data::text, metadata::text, updated_at"
)


def _locate(cursor, account_id, event_id: uuid.UUID) -> tuple[datetime, datetime] | None:
    """The ts range to look in: a client id's recorded ts, else the UUIDv7's millisecond."""
    cursor.execute(
        "SELECT ts FROM event_client_ids WHERE account_id = %s AND id = %s",
        [account_id, event_id],
    )
    row = cursor.fetchone()
    if row is not None:
        return row[0], row[0]
    return uuid7_time_range(event_id)


def event_row(account_id, event_id: uuid.UUID, *, for_update: bool = False) -> tuple | None:
    """The row of ``event_id`` in ``account_id`` (another account's event: None)."""
    with connection.cursor() as cursor:
        where = _locate(cursor, account_id, event_id)
        if where is None:
            return None
        start, end = where
        ts_clause = "ts = %s" if start == end else "ts >= %s AND ts < %s"
        params = (
            [account_id, event_id, start] if start == end else [account_id, event_id, start, end]
        )
        cursor.execute(
            f"SELECT {SELECT_COLUMNS} FROM events"  # noqa: S608 (constant column list)
            f" WHERE account_id = %s AND id = %s AND {ts_clause}"
            + (" FOR UPDATE" if for_update else ""),
            params,
        )
        return cursor.fetchone()


def iso_utc(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z") if value is not None else None


def _msgspec_raw(text: str) -> msgspec.Raw:
    return msgspec.Raw(text.encode())


def event_to_json(row: tuple, *, raw_json: Callable[[str], object] = _msgspec_raw) -> dict:
    """The API shape of a row from :data:`SELECT_COLUMNS`. The JSON columns stay raw text,
    wrapped by ``raw_json`` for the encoder in use (msgspec here, ``orjson.Fragment`` for /raw).
    """
    (event_id, ts, received_at, event_type, source, user_id, session_id, duration, priority,
     status, tags, data, metadata, updated_at) = row  # fmt: skip
    return {
        "id": str(event_id),
        "timestamp": iso_utc(ts),
        "receivedAt": iso_utc(received_at),
        "eventType": event_type,
        "source": source,
        "data": raw_json(data),
        "userId": user_id,
        "sessionId": session_id,
        "duration": duration,
        "priority": priority,
        "tags": list(tags),
        "metadata": raw_json(metadata),
        "status": status,
        "updatedAt": iso_utc(updated_at),
    }


def batch_events(payload: dict) -> list[dict]:
    """The events an ``events.ingested`` outbox payload announces, in the API shape.

    A batch is the account's events with the batch's ``received_at`` inside its ts range;
    ``data`` and ``metadata`` are decoded (plain dicts).
    """
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {SELECT_COLUMNS} FROM events"  # noqa: S608 (constant column list)
            " WHERE account_id = %s AND ts >= %s AND ts <= %s AND received_at = %s",
            [payload["account_id"], payload["min_ts"], payload["max_ts"], payload["received_at"]],
        )
        rows = cursor.fetchall()
    events = []
    for row in rows:
        item = event_to_json(row)
        item["data"], item["metadata"] = orjson.loads(row[11]), orjson.loads(row[12])
        events.append(item)
    return events
