"""What happened to each item of a request, and the HTTP responses that say so.

Batch status codes: 201 when no item was rejected (accepted and/or duplicate), 207 when some
items were stored and others rejected, 400 ``VALIDATION_ERROR`` when every item was rejected.
A single event: 201 with the event, 200 with the stored event when its id was a duplicate,
400 when invalid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import msgspec

from events.ingest.idempotency import StoredResponse
from eventstream.core.errors import error_body

_encode = msgspec.json.encode


@dataclass
class BatchOutcome:
    now: datetime
    size: int
    events: list = field(default_factory=list)  # (index, EventIn) that passed validation
    rejected: dict[int, dict] = field(default_factory=dict)
    duplicates: dict[int, str] = field(default_factory=dict)
    ids: dict[int, str] = field(default_factory=dict)  # stored: index -> id
    duplicate_row: tuple | None = None  # a single event's stored row, when it was a duplicate

    def __post_init__(self) -> None:
        self._initial_duplicates: dict[int, str] | None = None

    def reset_storage(self) -> None:
        """Forget ids/duplicates found by a previous (rolled back) storage attempt."""
        if self._initial_duplicates is None:
            self._initial_duplicates = dict(self.duplicates)
        self.duplicates = dict(self._initial_duplicates)
        self.ids = {}


def _received(outcome: BatchOutcome) -> str:
    return outcome.now.isoformat().replace("+00:00", "Z")


def _result_items(outcome: BatchOutcome) -> list[str]:
    """Each item's result as JSON text: ids are UUID strings, so only errors need encoding."""
    items = []
    ids, duplicates, rejected = outcome.ids, outcome.duplicates, outcome.rejected
    for index in range(outcome.size):
        if index in ids:
            items.append(f'{{"index":{index},"status":"accepted","id":"{ids[index]}"}}')
        elif index in duplicates:
            items.append(f'{{"index":{index},"status":"duplicate","id":"{duplicates[index]}"}}')
        else:
            errors = _encode(rejected[index]).decode()
            items.append(f'{{"index":{index},"status":"rejected","errors":{errors}}}')
    return items


def batch_response(outcome: BatchOutcome) -> StoredResponse:
    results = "[" + ",".join(_result_items(outcome)) + "]"
    rejected = len(outcome.rejected)
    if rejected == outcome.size:
        fields = {
            f"[{index}].{path}" if path != "non_field_errors" else f"[{index}]": messages
            for index, errors in outcome.rejected.items()
            for path, messages in errors.items()
        }
        details = {"fields": fields, "results": msgspec.Raw(results.encode())}
        body = error_body(400, "VALIDATION_ERROR", "Every event of the batch was rejected", details)
        return StoredResponse(400, _encode(body))
    head = (
        f'{{"accepted":{len(outcome.ids)},"duplicates":{len(outcome.duplicates)},'
        f'"rejected":{rejected},"receivedAt":"{_received(outcome)}","results":'
    )
    return StoredResponse(207 if rejected else 201, (head + results + "}").encode())


def single_response(outcome: BatchOutcome) -> StoredResponse:
    if outcome.rejected:
        body = error_body(400, "VALIDATION_ERROR", "Invalid event", {"fields": outcome.rejected[0]})
        return StoredResponse(400, _encode(body))
    if 0 in outcome.duplicates:
        from events.ingest.selectors import event_to_json

        stored = event_to_json(outcome.duplicate_row) if outcome.duplicate_row else {}
        return StoredResponse(200, _encode({**stored, "duplicate": True}))
    _, e = outcome.events[0]
    body = {
        "id": outcome.ids[0],
        "timestamp": e.timestamp.isoformat().replace("+00:00", "Z"),
        "receivedAt": _received(outcome),
        "eventType": e.event_type,
        "source": e.source,
        "data": msgspec.Raw(e.data),
        "userId": e.user_id,
        "sessionId": e.session_id,
        "duration": e.duration,
        "priority": e.priority,
        "tags": e.tags,
        "metadata": msgspec.Raw(e.metadata),
        "status": e.status,
        "updatedAt": None,
    }
    return StoredResponse(201, _encode(body))
