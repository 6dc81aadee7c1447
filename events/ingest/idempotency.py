"""Idempotency records: the first response to a key is stored in the same transaction as the
events, and replayed for a retry with the same key and the same body."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.db import connection

from events.ingest import limits as L
from eventstream.core.errors import Conflict, ValidationFailed


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    replayed: bool = False


def request_hash(kind: str, body: bytes) -> str:
    return hashlib.sha256(kind.encode() + b"\n" + body).hexdigest()


def check_key(key: str) -> str:
    if (
        not key
        or len(key) > L.MAX_IDEMPOTENCY_KEY_LEN
        or not key.isprintable()
        or not key.isascii()
    ):
        raise ValidationFailed(
            "Invalid Idempotency-Key",
            details={
                "fields": {
                    "Idempotency-Key": [
                        f"1 to {L.MAX_IDEMPOTENCY_KEY_LEN} printable ASCII characters"
                    ]
                }
            },
        )
    return key


def idempotency_lookup(account_id, key: str, digest: str) -> StoredResponse | None:
    """The stored response for ``key``, or None; 409 when the key was used for another body."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT request_hash, status_code, body FROM event_idempotency_keys"
            " WHERE account_id = %s AND key = %s",
            [account_id, key],
        )
        row = cursor.fetchone()
    if row is None:
        return None
    stored_hash, status_code, body = row
    if stored_hash != digest:
        raise Conflict(
            "This Idempotency-Key was already used with a different request",
            details={"idempotencyKey": key},
        )
    return StoredResponse(status_code, bytes(body), replayed=True)


def idempotency_store(cursor, account_id, key: str, digest: str, status: int, body: bytes) -> bool:
    """Insert the record in the caller's transaction; False when another request won the key."""
    cursor.execute(
        "INSERT INTO event_idempotency_keys (account_id, key, request_hash, status_code, body)"
        " VALUES (%s, %s, %s, %s, %s) ON CONFLICT DO NOTHING RETURNING 1",
        [account_id, key, digest, status, body],
    )
    return cursor.fetchone() is not None


def idempotency_expire(*, hours: int = L.IDEMPOTENCY_TTL_HOURS) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM event_idempotency_keys"
            " WHERE created_at < now() - make_interval(hours => %s)",
            [hours],
        )
        return cursor.rowcount
