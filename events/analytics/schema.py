"""OpenAPI (drf-spectacular) descriptions of the query endpoints' parameters and responses."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

from .metrics import DEFAULT_AGGREGATED_METRICS, METRICS
from .params import (
    DEFAULT_LIMIT,
    DEFAULT_PAGE_SIZE,
    INTERVALS,
    MAX_LIMIT,
    MAX_OFFSET_WINDOW,
    MAX_PAGE_SIZE,
)


def _p(name: str, description: str, type_=OpenApiTypes.STR, enum=None) -> OpenApiParameter:
    return OpenApiParameter(
        name, type_, OpenApiParameter.QUERY, required=False, description=description, enum=enum
    )


LIST = "One value or a comma-separated list (any of)."
FILTER_PARAMETERS = [
    _p(
        "startTime",
        "ISO 8601 start (inclusive). Default: endTime minus 24 hours.",
        OpenApiTypes.DATETIME,
    ),
    _p("endTime", "ISO 8601 end (exclusive). Default: now.", OpenApiTypes.DATETIME),
    _p("eventType", LIST),
    _p("source", LIST),
    _p("userId", LIST),
    _p("sessionId", LIST),
    _p("status", LIST),
    _p("tags", "Events having any of these tags (comma list)."),
    _p("tagsAll", "Events having all of these tags (comma list)."),
    _p("minPriority", "Events with priority >= this.", OpenApiTypes.INT),
]
RAW_PARAMETERS = [
    *FILTER_PARAMETERS,
    _p("page", f"Page number (default 1); page*pageSize <= {MAX_OFFSET_WINDOW}.", OpenApiTypes.INT),
    _p(
        "pageSize",
        f"Items per page (default {DEFAULT_PAGE_SIZE}, max {MAX_PAGE_SIZE}).",
        OpenApiTypes.INT,
    ),
    _p("cursor", "nextCursor of the previous response: keyset paging at any depth."),
    _p("order", "desc (newest first, default) or asc.", enum=["desc", "asc"]),
]
AGGREGATE_PARAMETERS = [
    *FILTER_PARAMETERS,
    _p("interval", "Bucket size.", enum=list(INTERVALS)),
    _p("timezone", "IANA time zone of day (1d) buckets. Default UTC."),
    _p(
        "metrics",
        f"Comma list of {', '.join(METRICS)}. Default for /aggregated: "
        f"{', '.join(DEFAULT_AGGREGATED_METRICS)}; for /analytics: count.",
    ),
    _p(
        "approximate",
        "true: percentiles may come from the rollups' DDSketch (error bound stated).",
        OpenApiTypes.BOOL,
    ),
]
ANALYTICS_PARAMETERS = [
    *AGGREGATE_PARAMETERS,
    _p(
        "groupBy",
        "Comma list of eventType, source, status, userId, sessionId, tags, data.<key>, "
        "metadata.<key>; the time bucket is added when interval is given.",
    ),
    _p("having", "Comma list of conditions, all must hold: count>100,p95_duration<=250."),
    _p("orderBy", "Comma list; '-' for descending: -count,eventType."),
    _p("limit", f"Rows (default {DEFAULT_LIMIT}, max {MAX_LIMIT}).", OpenApiTypes.INT),
]

_ANY = serializers.JSONField()
RAW_RESPONSE = inline_serializer(
    "RawEventsPage",
    {
        "data": serializers.ListField(child=serializers.DictField()),
        "pagination": serializers.DictField(),
        "meta": serializers.DictField(),
    },
)
AGGREGATE_RESPONSE = inline_serializer(
    "AggregateResult",
    {
        "data": serializers.ListField(child=serializers.DictField()),
        "meta": inline_serializer(
            "AggregateMeta",
            {
                "startTime": serializers.DateTimeField(),
                "endTime": serializers.DateTimeField(),
                "interval": serializers.CharField(allow_null=True),
                "timezone": serializers.CharField(),
                "metrics": serializers.ListField(child=serializers.CharField()),
                "freshness": serializers.DictField(),
                "exactness": serializers.DictField(),
                "cached": serializers.BooleanField(),
            },
        ),
    },
)
ERRORS = {
    400: OpenApiResponse(description="VALIDATION_ERROR naming each bad parameter"),
    401: OpenApiResponse(description="No or bad credentials"),
    403: OpenApiResponse(description="The credential lacks events:read"),
}
