"""Retention: whole partitions dropped per level, the refresh-window guard, per-account policy."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from events.analytics.levels import LEVELS_BY_NAME
from events.analytics.models import RetentionPolicy
from events.analytics.refresh import rollup_refresh
from events.analytics.retention import account_horizons, longest_days, retention_enforce
from events.analytics.rollup_partitions import rollup_partitions_list
from events.partitions import partition_name, partitions_list
from tests.events.analytics.helpers import event, insert_events

pytestmark = pytest.mark.django_db
NOW = datetime.now(UTC)


def _day(days_ago: int) -> datetime:
    return (NOW - timedelta(days=days_ago)).replace(hour=12, minute=0, second=0, microsecond=0)


def _partition(days_ago: int) -> str:
    return partition_name(_day(days_ago).date())


def _event_count(account_id) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM events WHERE account_id = %s", [account_id])
        return cursor.fetchone()[0]


def _old_and_recent(account) -> None:
    received = NOW - timedelta(hours=1)
    insert_events(
        [
            event(account.id, _day(120), received_at=received),
            event(account.id, _day(100), received_at=received),
            event(account.id, _day(10), received_at=received),
        ]
    )


def test_raw_partitions_past_the_horizon_are_dropped_whole(account):
    _old_and_recent(account)
    rollup_refresh(upto=NOW - timedelta(minutes=30))
    result = retention_enforce(now=NOW)
    names = {name for name, _, _ in partitions_list()}
    assert _partition(120) in result.dropped and _partition(100) in result.dropped
    assert _partition(120) not in names and _partition(100) not in names
    assert _partition(10) in names
    assert _event_count(account.id) == 1


def test_a_partition_with_unmaterialized_events_is_kept_until_refreshed(account):
    _old_and_recent(account)
    rollup_refresh(upto=NOW - timedelta(minutes=30))
    late = event(
        account.id, _day(100) + timedelta(minutes=5), received_at=NOW - timedelta(minutes=5)
    )
    insert_events([late])  # a late arrival the rollups have not seen yet

    result = retention_enforce(now=NOW)
    assert _partition(100) in result.kept_for_refresh
    assert _partition(100) in {name for name, _, _ in partitions_list()}
    assert _partition(120) in result.dropped

    rollup_refresh(upto=NOW)
    result = retention_enforce(now=NOW)
    assert _partition(100) in result.dropped
    assert _event_count(account.id) == 1


def test_a_patched_event_keeps_its_partition_until_refreshed(account):
    _old_and_recent(account)
    rollup_refresh(upto=NOW - timedelta(minutes=30))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE events SET status = 'error', updated_at = %s WHERE ts = %s",
            [NOW - timedelta(minutes=1), _day(120)],
        )
    assert _partition(120) in retention_enforce(now=NOW).kept_for_refresh


def test_rollup_partitions_are_dropped_per_level_horizon(account):
    insert_events(
        [
            event(account.id, _day(20), received_at=NOW - timedelta(hours=1)),
            event(account.id, _day(3), received_at=NOW - timedelta(hours=1)),
        ]
    )
    rollup_refresh(upto=NOW - timedelta(minutes=30))
    one_minute, hourly = LEVELS_BY_NAME["1m"], LEVELS_BY_NAME["1h"]
    # 1-minute rollups are kept 7 days: the 20-day-old event is not materialized at that level
    assert [p[1].date() for p in rollup_partitions_list(one_minute)] == [_day(3).date()]
    assert len(rollup_partitions_list(hourly)) >= 1
    result = retention_enforce(now=NOW + timedelta(days=6))
    assert rollup_partitions_list(one_minute) == []
    assert any(name.startswith("events_rollup_1m_") for name in result.dropped)
    assert len(rollup_partitions_list(hourly)) >= 1  # hourly rollups are kept 395 days


def test_a_longer_account_policy_keeps_shared_partitions_for_everyone(account, other_account):
    RetentionPolicy.objects.create(account=other_account, raw_days=150)
    _old_and_recent(account)
    rollup_refresh(upto=NOW - timedelta(minutes=30))
    assert longest_days()["raw_days"] == 150
    result = retention_enforce(now=NOW)
    assert result.dropped == [] or _partition(120) not in result.dropped
    assert _event_count(account.id) == 3


def test_a_shorter_account_policy_hides_older_data_at_read_time(account, key_client):
    policy = RetentionPolicy.objects.create(account=account, raw_days=30)
    _old_and_recent(account)
    rollup_refresh(upto=NOW - timedelta(minutes=30))
    _, raw_horizon = account_horizons(account.id, NOW)
    assert NOW - timedelta(days=31) < raw_horizon < NOW - timedelta(days=29)
    window = {"startTime": (NOW - timedelta(days=200)).isoformat(), "endTime": NOW.isoformat()}
    raw = key_client.get("/api/events/raw", window).json()
    assert len(raw["data"]) == 1
    # daily rollups outlive raw events (5 years by default): old counts stay answerable
    analytics = key_client.get("/api/events/analytics", window).json()
    assert analytics["data"] == [{"count": 3}]
    for level in ("1m", "5m", "15m", "1h", "1d"):
        setattr(policy, f"rollup_{level}_days", 30)
    policy.save()
    window["endTime"] = (NOW - timedelta(seconds=1)).isoformat()  # a new query (no cache)
    analytics = key_client.get("/api/events/analytics", window).json()
    assert analytics["data"] == [{"count": 1}]


def test_the_global_default_policy_applies_without_an_account_row(account):
    RetentionPolicy.objects.create(account=None, raw_days=45)
    assert account_horizons(account.id, NOW)[1] == NOW - timedelta(days=45)
    RetentionPolicy.objects.create(account=account, raw_days=20)
    assert account_horizons(account.id, NOW)[1] == NOW - timedelta(days=20)


def test_staff_edit_retention_policies_in_admin(client, django_user_model):
    staff = django_user_model.objects.create_superuser("root", "root@example.com", "pw-123456!")
    client.force_login(staff)
    assert client.get("/admin/events/retentionpolicy/").status_code == 200
    response = client.post(
        "/admin/events/retentionpolicy/add/",
        {
            "raw_days": 60,
            "rollup_1m_days": 7,
            "rollup_5m_days": 30,
            "rollup_15m_days": 90,
            "rollup_1h_days": 395,
            "rollup_1d_days": 1825,
        },
    )
    assert response.status_code == 302
    assert RetentionPolicy.objects.get(account__isnull=True).raw_days == 60
