"""GET /api/events/raw, /aggregated and /analytics (scope events:read).

Rate-limited per key with the rest of the API (one RATELIMIT_API budget per credential).
"""

from __future__ import annotations

import orjson
from django.http import HttpResponse
from drf_spectacular.utils import extend_schema

from accounts.ratelimit import RateLimitMixin
from accounts.scopes import EVENTS_READ
from eventstream.core.tenancy import AccountScopedAPIView

from . import schema
from .cache import cached_answer
from .params import parse_aggregated, parse_analytics, parse_raw
from .raw import raw_select
from .selectors import aggregate_select


def _json(body: bytes) -> HttpResponse:
    return HttpResponse(body, content_type="application/json")


class RawEventsView(RateLimitMixin, AccountScopedAPIView):
    required_scopes = EVENTS_READ

    @extend_schema(
        tags=["queries"],
        summary="Raw events, filtered and paged (page/pageSize or keyset cursor)",
        parameters=schema.RAW_PARAMETERS,
        responses={200: schema.RAW_RESPONSE, **schema.ERRORS},
    )
    def get(self, request):
        query = parse_raw(request.query_params)
        return _json(orjson.dumps(raw_select(account_id=self.account_id, query=query)))


class _AggregateView(RateLimitMixin, AccountScopedAPIView):
    """Shared by /aggregated and /analytics: parse, then answer from the cache or compute."""

    required_scopes = EVENTS_READ
    endpoint: str
    zero_fill: bool

    def answer(self, query) -> HttpResponse:
        account_id = self.account_id
        return _json(
            cached_answer(
                account_id=account_id,
                endpoint=self.endpoint,
                query=query,
                compute=lambda: aggregate_select(
                    account_id=account_id, query=query, zero_fill=self.zero_fill
                ),
            )
        )


class AggregatedEventsView(_AggregateView):
    endpoint, zero_fill = "aggregated", True

    @extend_schema(
        tags=["queries"],
        summary="Time-bucketed metrics, one row per bucket, empty buckets zero-filled",
        parameters=schema.AGGREGATE_PARAMETERS,
        responses={200: schema.AGGREGATE_RESPONSE, **schema.ERRORS},
    )
    def get(self, request):
        return self.answer(parse_aggregated(request.query_params))


class AnalyticsView(_AggregateView):
    endpoint, zero_fill = "analytics", False

    @extend_schema(
        tags=["queries"],
        summary="Grouped metrics with having, orderBy and limit",
        parameters=schema.ANALYTICS_PARAMETERS,
        responses={200: schema.AGGREGATE_RESPONSE, **schema.ERRORS},
    )
    def get(self, request):
        return self.answer(parse_analytics(request.query_params))
