"""Opaque keyset cursors for /raw: the (ts, id) of the last row served, and the order."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime


def encode_cursor(ascending: bool, ts: datetime, event_id: uuid.UUID | str) -> str:
    payload = json.dumps(["a" if ascending else "d", ts.isoformat(), str(event_id)])
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[str, tuple[datetime, str]]:
    """``("asc"|"desc", (ts, id))``; ``ValueError`` for anything that is not our cursor."""
    try:
        padded = token + "=" * (-len(token) % 4)
        order, ts, event_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
        parsed = datetime.fromisoformat(ts)
        if parsed.tzinfo is None or order not in ("a", "d"):
            raise ValueError("bad cursor")
        return ("asc" if order == "a" else "desc"), (parsed, str(uuid.UUID(event_id)))
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ValueError("bad cursor") from exc
