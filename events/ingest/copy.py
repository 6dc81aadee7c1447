"""Rows for ``COPY events FROM STDIN (FORMAT csv)``, built as text in one pass per event.

CSV quoting is the one rule needed: a field is wrapped in double quotes with inner quotes
doubled; an unquoted empty field is NULL. JSON bytes go in as sent (PostgreSQL parses them into
jsonb), text arrays as array literals. This loop is the hot path of batch ingestion: it also
assigns server ids (UUIDv7 of the event time) and collects the days and minutes touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, timedelta

COLUMNS = (
    "account_id, id, ts, received_at, event_type, source, user_id, session_id, duration,"
    " priority, status, tags, data, metadata"
)
COPY_SQL = f"COPY events ({COLUMNS}) FROM STDIN (FORMAT csv)"
_EPOCH_DAY = date(1970, 1, 1)
_Q, _QQ = '"', '""'
# A random hex digit -> one of 8, 9, a, b: the RFC 9562 variant bits "10" plus two random bits.
_VARIANT = {d: "89ab"[int(d, 16) & 3] for d in "0123456789abcdef"}


def q(value: str) -> str:
    return f'"{value.replace(_Q, _QQ)}"' if _Q in value else f'"{value}"'


def _array(tags: list[str]) -> str:
    """A CSV-quoted text[] literal: ``"{""a"",""b""}"``."""
    plain = "".join(tags)
    if '"' not in plain and "\\" not in plain:
        return '"{""' + '"",""'.join(tags) + '""}"'
    parts = []
    for tag in tags:
        if "\\" in tag or '"' in tag:
            tag = tag.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(f'"{tag}"')
    return q("{" + ",".join(parts) + "}")


@dataclass
class Prepared:
    """Per stored event ``(index, id, event, csv line)``, and what the batch touched."""

    rows: list = field(default_factory=list)
    days: set = field(default_factory=set)  # days since the epoch (UTC)
    minutes: set = field(default_factory=set)  # minutes since the epoch
    min_ts: object = None
    max_ts: object = None

    def dates(self) -> set[date]:
        return {_EPOCH_DAY + timedelta(days=d) for d in self.days}


def prepare_rows(account_id: str, received_at: str, events: list) -> Prepared:
    """``events``: ``(index, EventIn)`` with UTC timestamps and bytes ``data``/``metadata``."""
    out = Prepared()
    rows, days, minutes = out.rows, out.days, out.minutes
    rand = os.urandom(10 * len(events)).hex()  # 20 random hex digits per event
    head = f"{account_id},"
    tail = f",{received_at},"
    stamps = []
    for n, (index, e) in enumerate(events):
        ts = e.timestamp
        stamps.append(ts)
        seconds = ts.timestamp()
        days.add(int(seconds // 86400))
        minutes.add(int(seconds // 60))
        if e.id is None:  # UUIDv7: 48-bit ms | 7 | 12 random bits | variant 10 | 62 random bits
            ms = f"{int(seconds) * 1000 + ts.microsecond // 1000:012x}"  # exact ms
            r = rand[20 * n : 20 * n + 20]
            event_id = f"{ms[:8]}-{ms[8:]}-7{r[:3]}-{_VARIANT[r[3]]}{r[4:7]}-{r[7:19]}"
        else:
            event_id = str(e.id)
        et, src, st = e.event_type, e.source, e.status
        uid, sid, dur, pri = e.user_id, e.session_id, e.duration, e.priority
        data = e.data.decode()
        meta = e.metadata.decode()
        line = (
            f"{head}{event_id},{ts.isoformat()}{tail}"
            f'"{et.replace(_Q, _QQ) if _Q in et else et}",'
            f'"{src.replace(_Q, _QQ) if _Q in src else src}",'
            f"{'' if uid is None else q(uid)},{'' if sid is None else q(sid)},"
            f"{'' if dur is None else repr(float(dur))},{'' if pri is None else pri},"
            f'"{st.replace(_Q, _QQ) if _Q in st else st}",'
            f"{_array(e.tags) if e.tags else '{}'},"
            f'"{data.replace(_Q, _QQ)}","{meta.replace(_Q, _QQ)}"\n'
        )
        rows.append((index, event_id, e, line))
    if stamps:
        out.min_ts, out.max_ts = min(stamps), max(stamps)
    return out


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
