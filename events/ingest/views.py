"""HTTP views of ingestion and single events. Thin: read the body, call a service, answer.

The bodies are decoded by msgspec, not DRF parsers, and answered as pre-encoded JSON.
"""

from __future__ import annotations

import uuid

import msgspec
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema

from accounts.ratelimit import RateLimitMixin
from accounts.scopes import EVENTS_READ, EVENTS_WRITE
from events.ingest import limits as L
from events.ingest import openapi as docs
from events.ingest.body import read_json_body
from events.ingest.idempotency import check_key
from events.ingest.schema import PatchInvalid, decode_patch
from events.ingest.selectors import event_row, event_to_json
from events.ingest.services import event_update, ingest_raw
from eventstream.core.errors import NotFound, ValidationFailed
from eventstream.core.tenancy import AccountScopedAPIView

_IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="Replays the first response for a retry with the same key and body.",
)


def _json(status: int, body: bytes, replayed: bool = False) -> HttpResponse:
    response = HttpResponse(body, status=status, content_type="application/json")
    if replayed:
        response["Idempotency-Replayed"] = "true"
    return response


def _ingest(request, *, limit: int, single: bool) -> HttpResponse:
    body = read_json_body(request._request, limit=limit)
    key = request.META.get("HTTP_IDEMPOTENCY_KEY")
    stored = ingest_raw(
        account_id=request.auth.account_id,
        body=body,
        idempotency_key=check_key(key) if key is not None else None,
        single=single,
    )
    return _json(stored.status_code, stored.body, stored.replayed)


class EventCreateView(RateLimitMixin, AccountScopedAPIView):
    required_scopes = EVENTS_WRITE
    parser_classes: list = []

    @extend_schema(
        operation_id="events_create",
        request=docs.EventInSerializer,
        responses={201: docs.EventOutSerializer, 200: docs.EventOutSerializer},
        parameters=[_IDEMPOTENCY_HEADER],
        description="Store one event. 201 with the event; 200 with the stored event when its "
        "`id` was already ingested; 400 VALIDATION_ERROR, 413, 415 on bad input.",
    )
    def post(self, request):
        return _ingest(request, limit=L.MAX_SINGLE_BODY_BYTES, single=True)


class EventBatchView(RateLimitMixin, AccountScopedAPIView):
    required_scopes = EVENTS_WRITE
    parser_classes: list = []

    @extend_schema(
        operation_id="events_batch_create",
        request=docs.EventInSerializer(many=True),
        responses={201: docs.BatchResultSerializer, 207: docs.BatchResultSerializer},
        parameters=[_IDEMPOTENCY_HEADER],
        description='Store up to 1,000 events (a JSON array, or `{"events": [...]}`). 201 when '
        "no item was rejected, 207 when some were, 400 when all were; `results` says what "
        "happened to each item by index.",
    )
    def post(self, request):
        return _ingest(request, limit=L.MAX_BATCH_BODY_BYTES, single=False)


class EventDetailView(RateLimitMixin, AccountScopedAPIView):
    required_scopes = {"GET": EVENTS_READ, "PATCH": EVENTS_WRITE}
    parser_classes: list = []

    @extend_schema(operation_id="events_retrieve", responses={200: docs.EventOutSerializer})
    def get(self, request, event_id: uuid.UUID):
        row = event_row(request.auth.account_id, event_id)
        if row is None:
            raise NotFound("Event not found")
        return _json(200, msgspec.json.encode(event_to_json(row)))

    @extend_schema(
        operation_id="events_partial_update",
        request=docs.EventPatchSerializer,
        responses={200: docs.EventOutSerializer},
        description="Change `status`, `tags` and/or `metadata` (replaced, not merged).",
    )
    def patch(self, request, event_id: uuid.UUID):
        body = read_json_body(request._request, limit=L.MAX_SINGLE_BODY_BYTES)
        try:
            patch = decode_patch(body)
        except PatchInvalid as exc:
            raise ValidationFailed("Invalid input data", details={"fields": exc.errors}) from exc
        row = event_update(account_id=request.auth.account_id, event_id=event_id, patch=patch)
        if row is None:
            raise NotFound("Event not found")
        return _json(200, msgspec.json.encode(event_to_json(row)))
