"""POST /api/events and GET /api/events/<id>: one event, end to end on the real database."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.events.ingest_helpers import count_events, event

pytestmark = pytest.mark.django_db


def test_single_event_is_stored_and_returned_with_server_fields(key_client, account):
    response = key_client.post("/api/events", event(), format="json")

    assert response.status_code == 201
    body = response.json()
    event_id = uuid.UUID(body["id"])
    assert event_id.version == 7
    assert body["receivedAt"] == body["timestamp"]  # no timestamp sent: receipt time
    assert {k: body[k] for k in event()} == event()
    assert body["status"] == "received"
    assert body["updatedAt"] is None
    assert count_events(account.id) == 1
    fetched = key_client.get(f"/api/events/{event_id}")
    assert fetched.status_code == 200
    assert fetched.json() == body


def test_given_timestamp_is_kept_and_normalised_to_utc(key_client):
    response = key_client.post(
        "/api/events", event(timestamp="2026-11-20T12:00:00.5+02:00"), format="json"
    )
    assert response.status_code == 201
    assert response.json()["timestamp"] == "2026-11-20T10:00:00.500000Z"


def test_optional_fields_default_when_absent(key_client):
    response = key_client.post("/api/events", {"eventType": "x", "source": "y"}, format="json")
    assert response.status_code == 201
    body = response.json()
    assert (body["data"], body["metadata"], body["tags"]) == ({}, {}, [])
    assert (body["userId"], body["sessionId"], body["duration"], body["priority"]) == (
        None,
        None,
        None,
        None,
    )


def test_server_id_encodes_the_event_time(key_client):
    ts = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    response = key_client.post("/api/events", event(timestamp=ts.isoformat()), format="json")
    event_id = uuid.UUID(response.json()["id"])
    assert event_id.int >> 80 == int(ts.timestamp() * 1000)


def test_text_with_csv_and_array_special_characters_round_trips(key_client):
    tricky = 'a "quoted", back\\slash\ttab\nnewline ü 🎉 {brace}'
    sent = event(
        eventType=tricky,
        source="s,1",
        userId='"',
        sessionId="",
        tags=[tricky, "NULL", ""[:0] or "x", '\\"'],
        data={"k": tricky, "nested": {"arr": [1, 2.5, None, True]}},
        metadata={"q": '"'},
    )
    response = key_client.post("/api/events/batch", [sent], format="json")
    assert response.status_code == 201
    fetched = key_client.get(f"/api/events/{response.json()['results'][0]['id']}").json()
    assert {k: fetched[k] for k in sent} == sent


def test_unauthenticated_request_is_401(api_client):
    response = api_client.post("/api/events", event(), format="json")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"


def test_write_needs_events_write_scope(scoped_client, account):
    response = scoped_client(["events:read"]).post("/api/events", event(), format="json")
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
    assert count_events(account.id) == 0


def test_read_needs_events_read_scope(scoped_client, key_client):
    event_id = key_client.post("/api/events", event(), format="json").json()["id"]
    response = scoped_client(["events:write"]).get(f"/api/events/{event_id}")
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


def test_unknown_event_id_is_404(key_client):
    for event_id in (uuid.uuid4(), uuid.UUID(int=(1 << 76) * 7 | (1 << 63))):
        response = key_client.get(f"/api/events/{event_id}")
        assert response.status_code == 404
        assert response.json()["error"] == "NOT_FOUND"


def test_old_event_is_found_by_id(key_client):
    ts = datetime.now(UTC) - timedelta(days=900)
    response = key_client.post("/api/events", event(timestamp=ts.isoformat()), format="json")
    assert response.status_code == 201
    assert key_client.get(f"/api/events/{response.json()['id']}").status_code == 200
