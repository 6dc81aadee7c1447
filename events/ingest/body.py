"""Reading a request body for ingestion: content type (415), size caps (413), gzip with a cap
on the inflated size, and UTF-8. Raises :class:`eventstream.core.errors.ApplicationError`."""

from __future__ import annotations

import zlib

from eventstream.core.errors import ApplicationError, ErrorType, ValidationFailed


class PayloadTooLarge(ApplicationError):
    status_code = 413
    error_type = ErrorType.BAD_REQUEST


class UnsupportedMediaType(ApplicationError):
    status_code = 415
    error_type = ErrorType.BAD_REQUEST


def _check_content_type(request) -> None:
    content_type = request.META.get("CONTENT_TYPE", "")
    media, _, params = content_type.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (
        media.startswith("application/") and media.endswith("+json")
    ):
        raise UnsupportedMediaType(
            "Content-Type must be application/json",
            details={"contentType": content_type or None},
        )
    charset = params.strip().lower()
    if charset.startswith("charset=") and charset[8:].strip('"') not in ("utf-8", "utf8"):
        raise UnsupportedMediaType("Only UTF-8 JSON is accepted", details={"charset": charset})


def read_json_body(request, *, limit: int) -> bytes:
    """The (inflated) body bytes, checked to be UTF-8 and at most ``limit`` bytes."""
    _check_content_type(request)
    encoding = request.META.get("HTTP_CONTENT_ENCODING", "identity").strip().lower()
    if encoding not in ("identity", "gzip", ""):
        raise UnsupportedMediaType(
            "Content-Encoding must be gzip or identity", details={"contentEncoding": encoding}
        )
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    too_large = PayloadTooLarge(
        f"Request body exceeds {limit} bytes", details={"limitBytes": limit}
    )
    if declared > limit:
        raise too_large
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise too_large
    if encoding == "gzip":
        raw = _inflate(raw, limit, too_large)
    try:
        if not raw.isascii():
            raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "Request body is not valid UTF-8", details={"position": exc.start}
        ) from exc
    if not raw.strip():
        raise ValidationFailed("Request body is empty", details={})
    return raw


def _inflate(raw: bytes, limit: int, too_large: Exception) -> bytes:
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        out = inflater.decompress(raw, limit + 1)
    except zlib.error as exc:
        raise ValidationFailed("Malformed gzip body", details={}) from exc
    if len(out) > limit or inflater.unconsumed_tail:
        raise too_large
    if not inflater.eof:
        raise ValidationFailed("Truncated gzip body", details={})
    return out
