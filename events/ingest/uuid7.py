"""UUIDv7 (RFC 9562) whose 48-bit time field is the *event's* timestamp in milliseconds.

Taking the event time (rather than the receipt time) makes ids sort by event time and lets
``GET /api/events/<id>`` go straight to the one partition that holds the event.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def uuid7_strings(millis: list[int]) -> list[str]:
    """One UUIDv7 string per millisecond timestamp (74 random bits each)."""
    rand = os.urandom(10 * len(millis))
    out = []
    for n, ms in enumerate(millis):
        r = int.from_bytes(rand[10 * n : 10 * n + 10], "big")
        value = (ms << 80) | (0x7 << 76) | ((r >> 62) & 0xFFF) << 64 | (0b10 << 62)
        value |= r & ((1 << 62) - 1)
        h = f"{value:032x}"
        out.append(f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}")
    return out


def uuid7_time_range(value: uuid.UUID) -> tuple[datetime, datetime] | None:
    """The millisecond a UUIDv7 was made for, as ``[start, end)``; None for other versions."""
    if value.version != 7:
        return None
    start = _EPOCH + timedelta(milliseconds=value.int >> 80)
    return start, start + timedelta(milliseconds=1)
