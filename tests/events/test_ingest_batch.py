"""POST /api/events/batch: per-item results, partial batches, idempotency and dedup."""

import uuid

import pytest
from django.test import override_settings

from events.ingest.services import event_batch_ingest
from tests.events.ingest_helpers import count_events, event, outbox_rows, post_raw

pytestmark = pytest.mark.django_db


def test_all_valid_batch_is_201_with_an_id_per_item(key_client, account):
    response = key_client.post(
        "/api/events/batch", [event(), event(eventType="click")], format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 0)
    assert [r["index"] for r in body["results"]] == [0, 1]
    assert all(r["status"] == "accepted" and uuid.UUID(r["id"]) for r in body["results"])
    assert count_events(account.id) == 2


def test_events_envelope_is_accepted(key_client, account):
    response = key_client.post("/api/events/batch", {"events": [event()]}, format="json")
    assert response.status_code == 201
    assert count_events(account.id) == 1


def test_partial_batch_is_207_and_keeps_valid_items(key_client, account):
    items = [event(), {"eventType": "x"}, event(priority=99), event(tags=["ok"])]
    response = key_client.post("/api/events/batch", items, format="json")

    assert response.status_code == 207
    body = response.json()
    assert (body["accepted"], body["duplicates"], body["rejected"]) == (2, 0, 2)
    statuses = [(r["index"], r["status"]) for r in body["results"]]
    assert statuses == [(0, "accepted"), (1, "rejected"), (2, "rejected"), (3, "accepted")]
    assert body["results"][1]["errors"] == {"source": ["This field is required"]}
    assert list(body["results"][2]["errors"]) == ["priority"]
    assert count_events(account.id) == 2
    stored = {key_client.get(f"/api/events/{body['results'][i]['id']}").status_code for i in (0, 3)}
    assert stored == {200}


def test_all_rejected_batch_is_400_with_indexed_field_paths(key_client, account):
    response = key_client.post(
        "/api/events/batch", [{"eventType": "x"}, event(duration=-5)], format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["details"]["fields"] == {
        "[0].source": ["This field is required"],
        "[1].duration": body["details"]["fields"]["[1].duration"],
    }
    assert [r["status"] for r in body["details"]["results"]] == ["rejected", "rejected"]
    assert count_events(account.id) == 0
    assert outbox_rows(account_id=account.id) == []


def test_one_outbox_row_per_request_not_per_event(key_client, account):
    key_client.post("/api/events/batch", [event()] * 50, format="json")
    rows = outbox_rows("events.ingested", account.id)
    assert len(rows) == 1
    payload = rows[0][3]
    assert payload["count"] == 50
    assert payload["account_id"] == str(account.id)
    assert rows[0][4] is None  # pending until a worker drains it


def test_same_client_id_twice_in_a_batch_is_stored_once(key_client, account):
    client_id = str(uuid.uuid4())
    response = key_client.post(
        "/api/events/batch", [event(id=client_id), event(id=client_id)], format="json"
    )
    assert response.status_code == 201
    results = response.json()["results"]
    assert [(r["status"], r["id"]) for r in results] == [
        ("accepted", client_id),
        ("duplicate", client_id),
    ]
    assert count_events(account.id) == 1


def test_client_id_seen_in_an_earlier_request_is_a_duplicate(key_client, account):
    client_id = str(uuid.uuid4())
    first = key_client.post("/api/events", event(id=client_id), format="json")
    assert first.status_code == 201
    again = key_client.post("/api/events", event(id=client_id, eventType="changed"), format="json")
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.json()["eventType"] == "page_view"  # the stored event, not the resent one
    batch = key_client.post("/api/events/batch", [event(id=client_id), event()], format="json")
    assert [r["status"] for r in batch.json()["results"]] == ["duplicate", "accepted"]
    assert count_events(account.id) == 2


def test_same_client_id_in_two_accounts_is_two_events(
    key_client, other_client, account, other_account
):
    client_id = str(uuid.uuid4())
    assert key_client.post("/api/events", event(id=client_id), format="json").status_code == 201
    other = other_client.post("/api/events", event(id=client_id, source="ios"), format="json")
    assert other.status_code == 201
    assert count_events(account.id) == 1
    assert count_events(other_account.id) == 1
    assert key_client.get(f"/api/events/{client_id}").json()["source"] == "web"
    assert other_client.get(f"/api/events/{client_id}").json()["source"] == "ios"


def test_idempotent_retry_replays_the_first_response_and_stores_nothing_twice(key_client, account):
    items = [event(), event(eventType="click")]
    first = key_client.post("/api/events/batch", items, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    retry = key_client.post("/api/events/batch", items, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotency-Replayed"] == "true"
    assert count_events(account.id) == 2
    assert len(outbox_rows("events.ingested", account.id)) == 1


def test_idempotency_key_with_a_different_body_is_409(key_client, account):
    key_client.post("/api/events", event(), format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    response = key_client.post(
        "/api/events", event(source="other"), format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )
    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT_ERROR"
    assert count_events(account.id) == 1


def test_idempotency_key_is_scoped_per_endpoint_and_account(key_client, other_client, account):
    body = event()
    assert (
        key_client.post("/api/events", body, format="json", HTTP_IDEMPOTENCY_KEY="k").status_code
        == 201
    )
    batch = key_client.post("/api/events/batch", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert batch.status_code == 409  # same key, different request (batch of an object)
    other = other_client.post("/api/events", body, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert other.status_code == 201
    assert "Idempotency-Replayed" not in other


def test_replayed_rejection_keeps_its_status(key_client):
    bad = [{"eventType": "x"}]
    first = key_client.post("/api/events/batch", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    retry = key_client.post("/api/events/batch", bad, format="json", HTTP_IDEMPOTENCY_KEY="k-3")
    assert first.status_code == retry.status_code == 400
    assert retry.json() == first.json()


def test_invalid_idempotency_key_is_400(key_client):
    response = key_client.post(
        "/api/events", event(), format="json", HTTP_IDEMPOTENCY_KEY="x" * 300
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["details"]["fields"]


def test_service_ingests_without_http(account):
    result = event_batch_ingest(
        account_id=account.id, items=[event(), {"source": "x"}], idempotency_key="svc"
    )
    assert result.status_code == 207
    assert count_events(account.id) == 1
    replay = event_batch_ingest(
        account_id=account.id, items=[event(), {"source": "x"}], idempotency_key="svc"
    )
    assert replay.replayed and replay.body == result.body


def test_malformed_json_batch_is_400_and_stores_nothing(key_client, account):
    response = post_raw(key_client, "/api/events/batch", b'[{"eventType": "a", "source": "b"},')
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert count_events(account.id) == 0


@override_settings(RATELIMIT_API="2/m")
def test_ingest_is_rate_limited_per_key_in_the_error_format(key_client, account):
    statuses = [
        key_client.post("/api/events/batch", [event()], format="json").status_code for _ in range(3)
    ]
    assert statuses == [201, 201, 429]
    limited = key_client.post("/api/events", event(), format="json")
    assert limited.status_code == 429
    assert limited.json()["error"] == "RATE_LIMIT"
    assert limited["Retry-After"]
    assert count_events(account.id) == 2


def test_housekeeping_expires_old_idempotency_keys(key_client, account):
    from django.db import connection

    from events.ingest.tasks import ingest_housekeeping_task

    key_client.post("/api/events", event(), format="json", HTTP_IDEMPOTENCY_KEY="old")
    key_client.post("/api/events", event(), format="json", HTTP_IDEMPOTENCY_KEY="new")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE event_idempotency_keys SET created_at = now() - interval '25 hours'"
            " WHERE key = 'old'"
        )
    assert ingest_housekeeping_task.apply().get()["idempotency_keys_expired"] == 1
    retry = key_client.post("/api/events", event(), format="json", HTTP_IDEMPOTENCY_KEY="new")
    assert retry["Idempotency-Replayed"] == "true"


def test_resending_a_server_id_as_client_id_is_409_and_stores_nothing(key_client, account):
    first = key_client.post("/api/events", event(timestamp="2026-11-26T08:00:00Z"), format="json")
    server_id = first.json()["id"]
    again = key_client.post(
        "/api/events/batch",
        [event(id=server_id, timestamp="2026-11-26T08:00:00Z"), event()],
        format="json",
    )
    assert again.status_code == 409
    assert again.json()["error"] == "CONFLICT_ERROR"
    assert count_events(account.id) == 1
