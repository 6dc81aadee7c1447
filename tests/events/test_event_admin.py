"""Staff browse events read-only in Django admin."""

import pytest

from tests.events.ingest_helpers import event

pytestmark = pytest.mark.django_db


def test_admin_lists_and_shows_an_event_read_only(admin_client, key_client):
    event_id = key_client.post("/api/events", event(eventType="admin_seen"), format="json").json()[
        "id"
    ]

    listing = admin_client.get("/admin/events/event/")
    assert listing.status_code == 200
    assert b"admin_seen" in listing.content

    detail = admin_client.get(f"/admin/events/event/{event_id}/change/")
    assert detail.status_code == 200
    assert b"admin_seen" in detail.content
    assert b'name="_save"' not in detail.content  # read-only

    found = admin_client.get(f"/admin/events/event/?q={event_id}")
    assert b"admin_seen" in found.content
