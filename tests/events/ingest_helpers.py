"""Helpers for the ingest tests: raw posts, counting stored rows with plain SQL."""

from __future__ import annotations

import gzip
import json

from django.db import connection

EVENT = {
    "eventType": "page_view",
    "source": "web",
    "data": {"page": "/home", "country": "US"},
    "userId": "user123",
    "sessionId": "session456",
    "duration": 120,
    "priority": 1,
    "tags": ["frontend", "performance"],
    "metadata": {"version": "1.0.0"},
}


def event(**overrides) -> dict:
    return {**EVENT, **overrides}


def post_raw(client, path: str, body: bytes, *, content_type="application/json", **headers):
    return client.generic("POST", path, body, content_type=content_type, **headers)


def post_gzip(client, path: str, body: bytes, **headers):
    return post_raw(client, path, gzip.compress(body), HTTP_CONTENT_ENCODING="gzip", **headers)


def count_events(account_id=None) -> int:
    with connection.cursor() as cursor:
        if account_id is None:
            cursor.execute("SELECT count(*) FROM events")
        else:
            cursor.execute("SELECT count(*) FROM events WHERE account_id = %s", [account_id])
        return cursor.fetchone()[0]


def outbox_rows(topic: str | None = None, account_id=None) -> list[tuple]:
    """``(id, topic, account_id, payload, processed_at)``, oldest first."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, topic, account_id, payload, processed_at FROM outbox"
            " WHERE (%s::text IS NULL OR topic = %s) AND (%s::uuid IS NULL OR account_id = %s)"
            " ORDER BY id",
            [topic, topic, account_id, account_id],
        )
        rows = cursor.fetchall()
    # Django loads jsonb as text through a raw cursor.
    return [
        (r[0], r[1], r[2], json.loads(r[3]) if isinstance(r[3], str) else r[3], r[4]) for r in rows
    ]
