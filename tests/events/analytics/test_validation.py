"""Bad query parameters get 400 VALIDATION_ERROR naming the parameter and what is valid."""

import pytest

from tests.factories import ApiKeyFactory

pytestmark = pytest.mark.django_db

RAW, AGG, ANA = "/api/events/raw", "/api/events/aggregated", "/api/events/analytics"


def _error(response, field: str) -> str:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["statusCode"] == 400
    assert body["error"] == "VALIDATION_ERROR"
    assert field in body["details"]["fields"], body
    return " ".join(body["details"]["fields"][field])


@pytest.mark.parametrize("path", [RAW, AGG, ANA])
def test_unknown_parameter_is_rejected_and_valid_ones_are_listed(key_client, path):
    message = _error(key_client.get(path, {"evenType": "x"}), "evenType")
    assert "Valid parameters" in message
    assert "eventType" in message


@pytest.mark.parametrize("path", [RAW, AGG, ANA])
def test_end_before_start_is_rejected(key_client, path):
    response = key_client.get(
        path, {"startTime": "2026-01-02T00:00:00Z", "endTime": "2026-01-01T00:00:00Z"}
    )
    assert "after startTime" in _error(response, "endTime")


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01", "12345abc"])
def test_unparseable_time_is_rejected(key_client, value):
    assert "ISO 8601" in _error(key_client.get(AGG, {"startTime": value}), "startTime")


def test_unknown_metric_lists_the_valid_metrics(key_client):
    message = _error(key_client.get(ANA, {"metrics": "count,p42_duration"}), "metrics")
    assert "p42_duration" in message
    assert "p95_duration" in message and "unique_tags" in message


def test_unknown_interval_lists_the_intervals(key_client):
    assert "1m, 5m, 15m, 1h, 1d" in _error(key_client.get(AGG, {"interval": "2h"}), "interval")


def test_too_many_buckets_is_rejected(key_client):
    response = key_client.get(
        AGG,
        {"interval": "1m", "startTime": "2025-01-01T00:00:00Z", "endTime": "2026-01-01T00:00Z"},
    )
    assert "at most 50000" in _error(response, "interval")


def test_unknown_time_zone_is_rejected(key_client):
    assert "IANA" in _error(key_client.get(AGG, {"timezone": "Mars/Olympus"}), "timezone")


def test_unknown_group_by_field_lists_the_valid_fields(key_client):
    message = _error(key_client.get(ANA, {"groupBy": "eventType,country"}), "groupBy")
    assert "'country'" in message and "data.<key>" in message


@pytest.mark.parametrize(
    "having", ["count>>3", "bogus>1", "count>many", "dominant_status>ok", "p95_duration"]
)
def test_malformed_having_is_rejected(key_client, having):
    _error(key_client.get(ANA, {"having": having, "metrics": "count"}), "having")


def test_order_by_must_name_a_group_key_or_metric(key_client):
    response = key_client.get(ANA, {"groupBy": "source", "orderBy": "-userId"})
    assert "Valid: source, count" in _error(response, "orderBy")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "1001"}, "pageSize"),
        ({"page": "abc"}, "page"),
        ({"page": "201", "pageSize": "50"}, "page"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"order": "sideways"}, "order"),
        ({"minPriority": "high"}, "minPriority"),
    ],
)
def test_bad_paging_parameters_are_rejected(key_client, params, field):
    _error(key_client.get(RAW, params), field)


def test_deep_page_error_points_to_the_cursor(key_client):
    assert "nextCursor" in _error(key_client.get(RAW, {"page": "300"}), "page")


def test_limit_above_maximum_is_rejected(key_client):
    _error(key_client.get(ANA, {"limit": "10001"}), "limit")


@pytest.mark.parametrize("path", [RAW, AGG, ANA])
def test_queries_need_credentials(api_client, path):
    response = api_client.get(path)
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"


@pytest.mark.parametrize("path", [RAW, AGG, ANA])
def test_queries_need_the_events_read_scope(api_client, account, path):
    key = ApiKeyFactory(account=account, scopes=["events:write"])
    api_client.credentials(HTTP_X_API_KEY=key.raw_key)
    response = api_client.get(path)
    assert response.status_code == 403
    assert "events:read" in response.json()["message"]


def test_schema_documents_the_query_endpoints(key_client):
    schema = key_client.get("/api/schema", {"format": "json"}).json()
    for path in (RAW, AGG, ANA):
        assert path in schema["paths"]
    names = {p["name"] for p in schema["paths"][ANA]["get"]["parameters"]}
    assert {"groupBy", "having", "orderBy", "metrics", "approximate", "tagsAll"} <= names
