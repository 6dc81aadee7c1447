"""UUIDv7 (RFC 9562) whose 48-bit time field is the *event's* timestamp in milliseconds
(made in :func:`events.ingest.copy.prepare_rows`).

Taking the event time (rather than the receipt time) makes ids sort by event time and lets
``GET /api/events/<id>`` go straight to the one partition that holds the event.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def uuid7_time_range(value: uuid.UUID) -> tuple[datetime, datetime] | None:
    """The millisecond a UUIDv7 was made for, as ``[start, end)``; None for other versions."""
    if value.version != 7:
        return None
    start = _EPOCH + timedelta(milliseconds=value.int >> 80)
    return start, start + timedelta(milliseconds=1)
