"""Rows for ``COPY events FROM STDIN (FORMAT csv)``, built as text in one pass.

CSV quoting is the one rule needed: a field is wrapped in double quotes with inner quotes
doubled; an unquoted empty field is NULL. JSON bytes go in as sent (PostgreSQL parses them
into jsonb), text arrays as array literals.
"""

from __future__ import annotations

COLUMNS = (
    "account_id, id, ts, received_at, event_type, source, user_id, session_id, duration,"
    " priority, status, tags, data, metadata"
)
COPY_SQL = f"COPY events ({COLUMNS}) FROM STDIN (FORMAT csv)"


def q(value: str) -> str:
    if '"' in value:
        value = value.replace('"', '""')
    return f'"{value}"'


def _array(tags: list[str]) -> str:
    if not tags:
        return "{}"
    parts = []
    for tag in tags:
        if "\\" in tag or '"' in tag:
            tag = tag.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'"{tag}"')
    return q("{" + ",".join(parts) + "}")


def csv_rows(account_id: str, received_at: str, rows) -> bytes:
    """``rows``: ``(id, EventIn)`` pairs whose ``data``/``metadata`` are bytes."""
    out = []
    append = out.append
    for event_id, e in rows:
        append(
            f"{account_id},{event_id},{e.timestamp.isoformat()},{received_at},"
            f"{q(e.event_type)},{q(e.source)},"
            f"{'' if e.user_id is None else q(e.user_id)},"
            f"{'' if e.session_id is None else q(e.session_id)},"
            f"{'' if e.duration is None else repr(float(e.duration))},"
            f"{'' if e.priority is None else e.priority},"
            f"{q(e.status)},{_array(e.tags)},{q(e.data.decode())},{q(e.metadata.decode())}\n"
        )
    return "".join(out).encode()


_ROW_PLACEHOLDERS = "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::text[], %s::jsonb, %s::jsonb)"
# One round trip for a single event: the event and its outbox row in one statement.
INSERT_ONE_WITH_OUTBOX_SQL = (
    f"WITH e AS (INSERT INTO events ({COLUMNS}) VALUES {_ROW_PLACEHOLDERS})"  # noqa: S608
    " INSERT INTO outbox (topic, account_id, payload) VALUES (%s, %s, %s::jsonb)"
)


def insert_one_params(account_id, received_at, event_id: str, e) -> list:
    return [
        account_id,
        event_id,
        e.timestamp,
        received_at,
        e.event_type,
        e.source,
        e.user_id,
        e.session_id,
        e.duration,
        e.priority,
        e.status,
        e.tags,
        e.data.decode(),
        e.metadata.decode(),
    ]
