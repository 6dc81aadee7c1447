"""Queries share the API's per-credential rate limit with ingestion."""

import pytest
from django.test import override_settings

pytestmark = pytest.mark.django_db


@override_settings(RATELIMIT_API="3/m")
def test_queries_and_ingest_share_one_budget_per_key(key_client, api_client, other_account):
    assert (
        key_client.post("/api/events", {"eventType": "a", "source": "b"}, format="json").status_code
        == 201
    )
    assert key_client.get("/api/events/raw").status_code == 200
    assert key_client.get("/api/events/aggregated").status_code == 200
    limited = key_client.get("/api/events/analytics")
    assert limited.status_code == 429
    body = limited.json()
    assert (body["statusCode"], body["error"]) == (429, "RATE_LIMIT")
    assert int(limited["Retry-After"]) > 0
    assert "RateLimit-Policy" in limited


@override_settings(RATELIMIT_API="1/m")
def test_each_key_has_its_own_query_budget(key_client, api_client, other_account):
    from tests.factories import ApiKeyFactory

    assert key_client.get("/api/events/raw").status_code == 200
    assert key_client.get("/api/events/raw").status_code == 429
    api_client.credentials(HTTP_X_API_KEY=ApiKeyFactory(account=other_account).raw_key)
    assert api_client.get("/api/events/raw").status_code == 200
