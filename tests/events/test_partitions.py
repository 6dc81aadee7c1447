"""Daily partitions: created ahead, on demand for old and future timestamps, listed, dropped."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from events import partitions
from events.ingest.tasks import partitions_ahead_task
from tests.events.ingest_helpers import count_events, event

pytestmark = pytest.mark.django_db


def _names() -> set[str]:
    return {name for name, _, _ in partitions.partitions_list()}


def _day_start(ts: datetime) -> datetime:
    return ts.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


@pytest.mark.parametrize("days", [-4 * 365, -400, 20, 29])
def test_event_far_from_now_gets_its_partition_on_demand(key_client, account, days):
    ts = datetime.now(UTC) + timedelta(days=days)
    name = partitions.partition_name(ts.date())
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{name}"')
    partitions.partitions_forget()

    response = key_client.post("/api/events", event(timestamp=ts.isoformat()), format="json")

    assert response.status_code == 201
    listed = {n: (start, end) for n, start, end in partitions.partitions_list()}
    assert listed[name] == (_day_start(ts), _day_start(ts) + timedelta(days=1))
    assert count_events(account.id) == 1


def test_batch_spanning_many_days_creates_each_partition(key_client, account):
    base = datetime.now(UTC) - timedelta(days=1000)
    items = [event(timestamp=(base + timedelta(days=n)).isoformat()) for n in range(5)]
    response = key_client.post("/api/events/batch", items, format="json")
    assert response.status_code == 201
    assert {
        partitions.partition_name((base + timedelta(days=n)).date()) for n in range(5)
    } <= _names()
    assert count_events(account.id) == 5


def test_partition_dropped_behind_the_cache_is_recreated(key_client, account):
    ts = datetime.now(UTC) - timedelta(days=700)
    assert (
        key_client.post("/api/events", event(timestamp=ts.isoformat()), format="json").status_code
        == 201
    )
    with connection.cursor() as cursor:  # another process drops it; this one's cache is stale
        cursor.execute(f'DROP TABLE "{partitions.partition_name(ts.date())}"')
    response = key_client.post("/api/events", event(timestamp=ts.isoformat()), format="json")
    assert response.status_code == 201
    assert count_events(account.id) == 1


def test_ensure_range_is_idempotent_and_lists_in_order():
    start = datetime(2024, 2, 27, 15, tzinfo=UTC)
    created = partitions.partition_ensure_range(start, start + timedelta(days=3))
    assert created == [
        "events_p20240227",
        "events_p20240228",
        "events_p20240229",
        "events_p20240301",
    ]
    assert partitions.partition_ensure_range(start, start + timedelta(days=3)) == []
    listed = partitions.partitions_list()
    assert [row[1] for row in listed] == sorted(row[1] for row in listed)


def test_partition_drop_removes_its_events_and_client_ids(key_client, account):
    ts = datetime(2024, 6, 1, 12, tzinfo=UTC)
    client_id = "0b7d4f6e-94c6-4a10-9a5e-0c5cb1a8b7a1"
    key_client.post("/api/events", event(timestamp=ts.isoformat(), id=client_id), format="json")
    assert count_events(account.id) == 1

    partitions.partition_drop("events_p20240601")

    assert "events_p20240601" not in _names()
    assert count_events(account.id) == 0
    again = key_client.post(
        "/api/events", event(timestamp=ts.isoformat(), id=client_id), format="json"
    )
    assert again.status_code == 201  # the id is free again, the partition comes back
    assert count_events(account.id) == 1


def test_partition_drop_refuses_other_tables():
    with pytest.raises(ValueError):
        partitions.partition_drop("accounts_account")


def test_beat_task_creates_partitions_ahead():
    today = datetime.now(UTC).date()
    ahead = partitions.partition_name(today + timedelta(days=10))
    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE IF EXISTS "{ahead}"')
    partitions.partitions_forget()
    created = partitions_ahead_task.apply(kwargs={"days": 10}).get()
    assert ahead in created
    assert ahead in _names()
