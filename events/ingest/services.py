"""Writes of the ingest path: batches (COPY, one transaction) and PATCH of one event.

``event_batch_ingest`` is the entry point for code and tests; the HTTP views call
:func:`ingest_raw`, which takes the request body bytes so nothing is decoded twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import msgspec
import orjson
import psycopg
from django.db import IntegrityError, connection, transaction

from events import partitions
from events.ingest import limits as L
from events.ingest.copy import (
    COPY_SQL,
    INSERT_ONE_WITH_OUTBOX_SQL,
    Prepared,
    insert_one_params,
    prepare_rows,
)
from events.ingest.idempotency import (
    StoredResponse,
    idempotency_lookup,
    idempotency_store,
    request_hash,
)
from events.ingest.results import BatchOutcome, batch_response, single_response
from events.ingest.schema import (
    body_is_suspicious,
    check_event,
    decode_batch,
    decode_batch_typed,
    msgspec_errors,
    validate_event,
)
from events.ingest.selectors import SELECT_COLUMNS, event_row
from eventstream.core import outbox
from eventstream.core.errors import Conflict, ValidationFailed

TOPIC_INGESTED = "events.ingested"
TOPIC_UPDATED = "events.updated"
_UPDATE_SQL = (
    "UPDATE events SET status = COALESCE(%s, status), tags = COALESCE(%s, tags),"
    " metadata = COALESCE(%s::jsonb, metadata), updated_at = now()"
    " WHERE account_id = %s AND ts = %s AND id = %s RETURNING @COLUMNS@"
).replace("@COLUMNS@", SELECT_COLUMNS)


class _KeyTaken(Exception):
    """Another request committed the same Idempotency-Key first: roll back and replay."""


def event_batch_ingest(
    *, account_id, items: list[dict], idempotency_key: str | None = None
) -> StoredResponse:
    """Ingest ``items`` (event dicts in the API's camelCase shape) as one batch."""
    body = msgspec.json.encode(items)
    return ingest_raw(account_id=account_id, body=body, idempotency_key=idempotency_key)


def ingest_raw(
    *, account_id, body: bytes, idempotency_key: str | None = None, single: bool = False
) -> StoredResponse:
    """Validate and store a batch (or, with ``single``, one event) given as JSON bytes."""
    digest = request_hash("single" if single else "batch", body) if idempotency_key else ""
    if idempotency_key:
        stored = idempotency_lookup(account_id, idempotency_key, digest)
        if stored is not None:
            return stored
    suspicious = body_is_suspicious(body)
    typed = None if single else decode_batch_typed(body)
    if typed is not None and 0 < len(typed) <= L.MAX_BATCH_EVENTS:
        outcome = _check_typed(typed, suspicious)  # the common case: one decoding pass
    else:
        outcome = _validate([body] if single else _batch_items(body), suspicious)
    for _attempt in range(2):
        try:
            return _store(account_id, outcome, single, idempotency_key, digest)
        except _KeyTaken:
            return idempotency_lookup(account_id, idempotency_key, digest)
        except IntegrityError as exc:
            if "no partition" not in str(exc):
                if "events_pkey" in str(exc) or "duplicate key" in str(exc):
                    raise Conflict("An event with one of these ids already exists") from exc
                raise
            partitions.partitions_forget()  # a partition was dropped under our cache
    raise RuntimeError("no partition for the batch after re-creating partitions")


def _batch_items(body: bytes) -> list:
    try:
        items = decode_batch(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        fields = msgspec_errors(exc)
        if not isinstance(exc, msgspec.ValidationError):
            fields = {"body": [f"Malformed JSON: {exc}"]}
        raise ValidationFailed("Invalid batch body", details={"fields": fields}) from exc
    if not items:
        raise ValidationFailed(
            "A batch needs at least one event", details={"fields": {"events": ["Empty batch"]}}
        )
    if len(items) > L.MAX_BATCH_EVENTS:
        raise ValidationFailed(
            f"At most {L.MAX_BATCH_EVENTS} events per batch",
            details={"fields": {"events": [f"{len(items)} events sent"]}},
        )
    return items


def _window() -> tuple[datetime, datetime, datetime]:
    now = datetime.now(UTC)
    return now, now - timedelta(days=L.MAX_PAST_DAYS), now + timedelta(days=L.MAX_FUTURE_DAYS)


def _check_typed(events: list, suspicious: bool) -> BatchOutcome:
    now, lo, hi = _window()
    outcome = BatchOutcome(now=now, size=len(events))
    seen: set[uuid.UUID] = set()
    for index, decoded in enumerate(events):
        event, errors = check_event(decoded, now=now, lo=lo, hi=hi, suspicious=suspicious)
        _classify(outcome, seen, index, event, errors)
    return outcome


def _classify(outcome: BatchOutcome, seen: set, index: int, event, errors) -> None:
    if errors:
        outcome.rejected[index] = errors
    elif event.id is not None and event.id in seen:
        outcome.duplicates[index] = str(event.id)
    else:
        if event.id is not None:
            seen.add(event.id)
        outcome.events.append((index, event))


def _validate(raw_items: list, suspicious: bool) -> BatchOutcome:
    now, lo, hi = _window()
    outcome = BatchOutcome(now=now, size=len(raw_items))
    seen: set[uuid.UUID] = set()
    for index, raw in enumerate(raw_items):
        event, errors = validate_event(raw, now=now, lo=lo, hi=hi, suspicious=suspicious)
        _classify(outcome, seen, index, event, errors)
    return outcome


def _dedup_client_ids(cursor, account_id, outcome: BatchOutcome, rows: list) -> list:
    """Drop rows whose client id this account already has; they become ``duplicate``."""
    # Sorted: concurrent batches sharing ids then lock them in the same order (no deadlock).
    client = sorted((event_id, e.timestamp) for _, event_id, e, _ in rows if e.id is not None)
    if not client:
        return rows
    cursor.execute(
        "INSERT INTO event_client_ids (account_id, id, ts)"
        " SELECT %s, id, ts FROM unnest(%s::uuid[], %s::timestamptz[]) AS t(id, ts)"
        " ON CONFLICT DO NOTHING RETURNING id",
        [account_id, [c[0] for c in client], [c[1] for c in client]],
    )
    new = {str(row[0]) for row in cursor.fetchall()}
    if len(new) == len(client):
        return rows
    kept = []
    for row in rows:
        index, event_id, event, _ = row
        if event.id is not None and event_id not in new:
            outcome.duplicates[index] = event_id
        else:
            kept.append(row)
    return kept


def _outbox_payload(account_id, outcome: BatchOutcome, prepared: Prepared, count: int) -> dict:
    return {
        "account_id": str(account_id),
        "received_at": outcome.now.isoformat(),
        "count": count,
        "min_ts": prepared.min_ts.isoformat(),
        "max_ts": prepared.max_ts.isoformat(),
        "minutes": sorted(prepared.minutes),
    }


def _write(cursor, account_id, outcome: BatchOutcome, prepared: Prepared, single: bool) -> None:
    rows = _dedup_client_ids(cursor, account_id, outcome, prepared.rows)
    if not rows:
        return
    payload = _outbox_payload(account_id, outcome, prepared, len(rows))
    if single:
        _, event_id, event, _ = rows[0]
        params = [
            *insert_one_params(account_id, outcome.now, event_id, event),
            TOPIC_INGESTED,
            account_id,
            orjson.dumps(payload).decode(),
        ]
        # A server-side-bound, prepared statement: Django's client-side binding would quote
        # all 17 parameters into the SQL text on every request.
        with connection.wrap_database_errors, psycopg.Cursor(cursor.cursor.connection) as raw:
            raw.execute(INSERT_ONE_WITH_OUTBOX_SQL, params, prepare=True)
    else:
        data = "".join([row[3] for row in rows]).encode()
        with connection.wrap_database_errors, cursor.cursor.copy(COPY_SQL) as copy:
            copy.write(data)
        outbox.outbox_put(topic=TOPIC_INGESTED, account_id=account_id, payload=payload)
    outcome.ids = {row[0]: row[1] for row in rows}
    outbox.outbox_nudge_on_commit()


def _store(account_id, outcome: BatchOutcome, single: bool, key: str | None, digest: str):
    outcome.reset_storage()
    prepared = prepare_rows(str(account_id), outcome.now.isoformat(), outcome.events)
    if prepared.rows:
        partitions.partition_ensure_days(prepared.dates())
    fast = single and not key and prepared.rows and prepared.rows[0][2].id is None
    if fast and not connection.in_atomic_block:
        # One statement (event + outbox row) in autocommit is its own transaction: one round
        # trip, and it has committed when execute() returns.
        with connection.cursor() as cursor:
            _write(cursor, account_id, outcome, prepared, single)
        return single_response(outcome)
    with transaction.atomic(), connection.cursor() as cursor:
        if prepared.rows:
            _write(cursor, account_id, outcome, prepared, single)
        if single and 0 in outcome.duplicates:
            outcome.duplicate_row = event_row(account_id, uuid.UUID(outcome.duplicates[0]))
        response = single_response(outcome) if single else batch_response(outcome)
        if key and not idempotency_store(
            cursor, account_id, key, digest, response.status_code, response.body
        ):
            raise _KeyTaken
    return response


def event_update(*, account_id, event_id: uuid.UUID, patch) -> tuple | None:
    """Apply a validated :class:`~events.ingest.schema.EventPatch`; None when not found.

    Sets ``updated_at`` and writes an ``events.updated`` outbox row carrying the event's ``ts``
    so that rollups can invalidate its bucket.
    """
    with transaction.atomic():
        row = event_row(account_id, event_id, for_update=True)
        if row is None:
            return None
        ts = row[1]
        changed = [
            name
            for name, value in (("status", patch.status), ("tags", patch.tags))
            if value is not None
        ] + (["metadata"] if patch.metadata is not None else [])
        with connection.cursor() as cursor:
            cursor.execute(
                _UPDATE_SQL,
                [
                    patch.status,
                    patch.tags,
                    patch.metadata.decode() if patch.metadata is not None else None,
                    account_id,
                    ts,
                    event_id,
                ],
            )
            updated = cursor.fetchone()
        outbox.outbox_put(
            topic=TOPIC_UPDATED,
            account_id=account_id,
            payload={
                "account_id": str(account_id),
                "id": str(event_id),
                "ts": ts.isoformat(),
                "changed": changed,
            },
        )
        outbox.outbox_nudge_on_commit()
    return updated
