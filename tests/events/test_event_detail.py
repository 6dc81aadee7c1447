"""GET/PATCH /api/events/<id>: tenancy, allowed changes, and the outbox entry of a change."""

import uuid

import pytest

from tests.events.ingest_helpers import event, outbox_rows, post_raw

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(key_client) -> dict:
    response = key_client.post(
        "/api/events", event(timestamp="2026-11-25T10:15:00Z"), format="json"
    )
    assert response.status_code == 201
    return response.json()


def test_patch_changes_status_tags_and_metadata(key_client, stored):
    response = key_client.patch(
        f"/api/events/{stored['id']}",
        {"status": "processed", "tags": ["reviewed"], "metadata": {"by": "ops"}},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["status"], body["tags"], body["metadata"]) == (
        "processed",
        ["reviewed"],
        {"by": "ops"},
    )
    assert body["updatedAt"] is not None
    unchanged = {
        k: v for k, v in stored.items() if k not in {"status", "tags", "metadata", "updatedAt"}
    }
    assert {k: body[k] for k in unchanged} == unchanged
    assert key_client.get(f"/api/events/{stored['id']}").json() == body


def test_patch_of_one_field_leaves_the_others(key_client, stored):
    body = key_client.patch(f"/api/events/{stored['id']}", {"status": "seen"}, format="json").json()
    assert (body["status"], body["tags"], body["metadata"]) == (
        "seen",
        stored["tags"],
        stored["metadata"],
    )


def test_patch_writes_an_outbox_entry_with_the_event_ts(key_client, stored, account):
    key_client.patch(f"/api/events/{stored['id']}", {"tags": []}, format="json")

    rows = outbox_rows("events.updated", account.id)
    assert len(rows) == 1
    assert rows[0][3] == {
        "account_id": str(account.id),
        "id": stored["id"],
        "ts": "2026-11-25T10:15:00+00:00",
        "changed": ["tags"],
    }


@pytest.mark.parametrize(
    "body, field",
    [
        (b'{"eventType": "x"}', "eventType"),
        (b'{"status": ""}', "status"),
        (b'{"tags": "x"}', "tags"),
        (b'{"metadata": [1]}', "metadata"),
        (b'{"metadata": null}', "metadata"),
        (b'{"status": "a\\u0000"}', "status"),
    ],
)
def test_invalid_patch_is_400_and_changes_nothing(key_client, stored, account, body, field):
    response = key_client.generic(
        "PATCH", f"/api/events/{stored['id']}", body, content_type="application/json"
    )
    assert response.status_code == 400
    assert field in response.json()["details"]["fields"]
    assert key_client.get(f"/api/events/{stored['id']}").json() == stored
    assert outbox_rows("events.updated", account.id) == []


def test_patch_needs_json_content_type(key_client, stored):
    response = key_client.generic(
        "PATCH", f"/api/events/{stored['id']}", b"status=x", content_type="text/plain"
    )
    assert response.status_code == 415


def test_another_accounts_event_is_404_for_get_and_patch(other_client, stored, key_client):
    assert other_client.get(f"/api/events/{stored['id']}").status_code == 404
    response = other_client.patch(f"/api/events/{stored['id']}", {"status": "x"}, format="json")
    assert response.status_code == 404
    assert response.json()["error"] == "NOT_FOUND"
    assert key_client.get(f"/api/events/{stored['id']}").json()["status"] == "received"


def test_another_accounts_client_id_event_is_404(key_client, other_client):
    client_id = str(uuid.uuid4())
    key_client.post("/api/events", event(id=client_id), format="json")
    assert other_client.get(f"/api/events/{client_id}").status_code == 404


def test_patch_of_unknown_event_is_404(key_client):
    response = key_client.patch(f"/api/events/{uuid.uuid4()}", {"status": "x"}, format="json")
    assert response.status_code == 404


def test_non_uuid_path_is_404(key_client):
    assert key_client.get("/api/events/not-a-uuid").status_code == 404


def test_post_to_detail_is_405(key_client, stored):
    response = post_raw(key_client, f"/api/events/{stored['id']}", b"{}")
    assert response.status_code == 405
