"""Compiled validation of incoming events (msgspec), with the contract's field paths.

``data`` and ``metadata`` stay :class:`msgspec.Raw`: their bytes go into COPY as sent, with no
decode/re-encode. Their checks (object type, size, depth, ``\\u0000``, lone surrogates) work on
the bytes, with a slow exact path only when a cheap byte test cannot rule a problem out.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

import msgspec

from events.ingest import limits as L

Name = Annotated[str, msgspec.Meta(min_length=1, max_length=L.MAX_NAME_LEN)]
Ident = Annotated[str, msgspec.Meta(max_length=L.MAX_ID_LEN)]
Status = Annotated[str, msgspec.Meta(min_length=1, max_length=L.MAX_STATUS_LEN)]
Tag = Annotated[str, msgspec.Meta(min_length=1, max_length=L.MAX_TAG_LEN)]
Tags = Annotated[list[Tag], msgspec.Meta(max_length=L.MAX_TAGS)]
Duration = Annotated[float, msgspec.Meta(ge=0, le=L.MAX_DURATION_MS)]
Priority = Annotated[int, msgspec.Meta(ge=L.MIN_PRIORITY, le=L.MAX_PRIORITY)]

_EMPTY = msgspec.Raw(b"{}")
_ABSENT = msgspec.Raw(b"")


class EventIn(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    event_type: Name
    source: Name
    id: uuid.UUID | None = None
    timestamp: datetime | None = None
    data: msgspec.Raw = _EMPTY
    user_id: Ident | None = None
    session_id: Ident | None = None
    duration: Duration | None = None
    priority: Priority | None = None
    tags: Tags = []
    metadata: msgspec.Raw = _EMPTY
    status: Status = L.DEFAULT_STATUS


class EventPatch(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    status: Status | None = None
    tags: Tags | None = None
    metadata: msgspec.Raw = _ABSENT  # Raw cannot be in a union with None


class BatchEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    events: list[msgspec.Raw]


class TypedBatchEnvelope(msgspec.Struct, forbid_unknown_fields=True):
    events: list[EventIn]


_event_decoder = msgspec.json.Decoder(EventIn)
_typed_batch_decoder = msgspec.json.Decoder(list[EventIn] | TypedBatchEnvelope)
_patch_decoder = msgspec.json.Decoder(EventPatch)
_batch_decoder = msgspec.json.Decoder(list[msgspec.Raw] | BatchEnvelope)
_any_decoder = msgspec.json.Decoder()

_AT_RE = re.compile(r"^(?P<msg>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_FIELD_RE = re.compile(r"field `(?P<name>[^`]+)`")
_SURROGATE_RE = re.compile(rb"\\u[dD][89abcdefABCDEF]")
NUL_ESCAPE = b"\\u0000"

Errors = dict[str, list[str]]


def msgspec_errors(exc: Exception) -> Errors:
    """``{"path": [message]}`` from a msgspec error (msgspec reports the first problem)."""
    match = _AT_RE.match(str(exc))
    message, path = match.group("msg"), (match.group("path") or "").lstrip(".")
    field = _FIELD_RE.search(message)
    if message.startswith("Object missing required field") and field:
        path, message = _join(path, field.group("name")), "This field is required"
    elif message.startswith("Object contains unknown field") and field:
        path, message = _join(path, field.group("name")), "Unknown field"
    elif not isinstance(exc, msgspec.ValidationError):
        message = "Malformed JSON value"
    return {path or "non_field_errors": [message]}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def decode_batch(body: bytes) -> list[msgspec.Raw]:
    """The raw items of a batch body (a JSON array, or ``{"events": [...]}``)."""
    decoded = _batch_decoder.decode(body)
    return decoded.events if isinstance(decoded, BatchEnvelope) else decoded


def _depth_exceeds(raw: bytes, limit: int) -> bool:
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return False  # cannot be deeper than the number of openers (strings included)

    def depth(node: Any) -> int:
        if isinstance(node, dict):
            return 1 + max((depth(v) for v in node.values()), default=0)
        if isinstance(node, list):
            return 1 + max((depth(v) for v in node), default=0)
        return 0

    return depth(_any_decoder.decode(raw)) > limit


def _has_nul(node: Any) -> bool:
    if isinstance(node, str):
        return "\x00" in node
    if isinstance(node, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in node.items())
    if isinstance(node, list):
        return any(_has_nul(v) for v in node)
    return False


def check_json_field(raw: bytes, name: str, errors: Errors, suspicious: bool) -> None:
    """``data``/``metadata``: an object, no NUL, no lone surrogate, bounded depth."""
    if raw[:1] != b"{":
        errors.setdefault(name, []).append("Must be a JSON object")
        return
    if suspicious:  # the body holds an escaped NUL or surrogate somewhere: check exactly
        try:
            value = _any_decoder.decode(raw)
        except msgspec.DecodeError:
            errors.setdefault(name, []).append("Invalid unicode escape (lone surrogate)")
            return
        if _has_nul(value):
            errors.setdefault(name, []).append("Must not contain \\u0000")
            return
    if _depth_exceeds(raw, L.MAX_DEPTH):
        errors.setdefault(name, []).append(f"Nesting deeper than {L.MAX_DEPTH} levels")


def body_is_suspicious(body: bytes) -> bool:
    """True when the body may hold an escaped NUL or a surrogate escape (rare)."""
    return NUL_ESCAPE in body or _SURROGATE_RE.search(body) is not None


def _text_fields_with_nul(event: EventIn) -> list[str]:
    bad = [
        name
        for name, value in (
            ("eventType", event.event_type),
            ("source", event.source),
            ("userId", event.user_id),
            ("sessionId", event.session_id),
            ("status", event.status),
        )
        if value and "\x00" in value
    ]
    bad.extend(f"tags[{n}]" for n, tag in enumerate(event.tags) if "\x00" in tag)
    return bad


def validate_event(raw, *, now: datetime, lo: datetime, hi: datetime, suspicious: bool):
    """``(EventIn with a UTC timestamp, None)`` or ``(None, errors)``."""
    try:
        event = _event_decoder.decode(raw)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        return None, msgspec_errors(exc)
    return check_event(event, now=now, lo=lo, hi=hi, suspicious=suspicious)


def check_event(event: EventIn, *, now: datetime, lo: datetime, hi: datetime, suspicious: bool):
    """The checks msgspec cannot express; normalises ``timestamp`` to UTC, JSON to bytes."""
    errors: Errors = {}
    ts = event.timestamp
    if ts is None:
        event.timestamp = now
    else:
        if ts.tzinfo is None:
            ts = ts.replace(tzinfo=UTC)
        elif ts.utcoffset():
            ts = ts.astimezone(UTC)
        if not lo <= ts <= hi:
            errors["timestamp"] = [
                f"Must lie within {L.MAX_PAST_DAYS} days before and "
                f"{L.MAX_FUTURE_DAYS} days after the server time"
            ]
        event.timestamp = ts
    data, metadata = bytes(event.data), bytes(event.metadata)
    if len(data) + len(metadata) > L.MAX_JSON_BYTES:
        errors["data"] = [f"data and metadata together exceed {L.MAX_JSON_BYTES} bytes"]
    elif (
        suspicious
        or data[:1] != b"{"
        or metadata[:1] != b"{"
        # Cannot nest deeper than it has openers: the exact check is needed only past that.
        or data.count(b"{") + data.count(b"[") > L.MAX_DEPTH
        or metadata.count(b"{") + metadata.count(b"[") > L.MAX_DEPTH
    ):
        check_json_field(data, "data", errors, suspicious)
        check_json_field(metadata, "metadata", errors, suspicious)
    if suspicious:
        for name in _text_fields_with_nul(event):
            errors.setdefault(name, []).append("Must not contain \\u0000")
    if errors:
        return None, errors
    event.data, event.metadata = data, metadata
    return event, None


def decode_batch_typed(body: bytes) -> list[EventIn] | None:
    """Every item decoded in one pass, or None when any item fails msgspec's checks (the caller
    then decodes item by item to report each item's errors)."""
    try:
        decoded = _typed_batch_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None
    return decoded.events if isinstance(decoded, TypedBatchEnvelope) else decoded


def decode_patch(body: bytes) -> EventPatch:
    """A validated PATCH body; raises :class:`ValueError` with field errors."""
    try:
        patch = _patch_decoder.decode(body)
    except (msgspec.ValidationError, msgspec.DecodeError) as exc:
        raise PatchInvalid(msgspec_errors(exc)) from exc
    errors: Errors = {}
    suspicious = body_is_suspicious(body)
    if patch.metadata is _ABSENT or not bytes(patch.metadata):
        patch.metadata = None
    else:
        metadata = bytes(patch.metadata)
        if len(metadata) > L.MAX_JSON_BYTES:
            errors["metadata"] = [f"Exceeds {L.MAX_JSON_BYTES} bytes"]
        else:
            check_json_field(metadata, "metadata", errors, suspicious)
        patch.metadata = metadata
    if suspicious:
        if patch.status and "\x00" in patch.status:
            errors["status"] = ["Must not contain \\u0000"]
        for n, tag in enumerate(patch.tags or []):
            if "\x00" in tag:
                errors[f"tags[{n}]"] = ["Must not contain \\u0000"]
    if errors:
        raise PatchInvalid(errors)
    return patch


class PatchInvalid(ValueError):
    def __init__(self, errors: Errors) -> None:
        super().__init__("invalid patch")
        self.errors = errors
