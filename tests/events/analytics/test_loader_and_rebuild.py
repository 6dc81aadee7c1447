"""The demo-data loader and the rebuild of the per-eventType total rollups."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection

from accounts.models import Account
from events.analytics.levels import LEVELS
from events.analytics.refresh import rollup_refresh, rollup_totals_rebuild
from tests.events.analytics.helpers import event, insert_events


def _one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


@pytest.mark.django_db(transaction=True)
def test_load_demo_events_writes_realistic_events_and_refreshes_the_rollups(settings):
    settings.ANALYTICS_REFRESH_LAG_SECONDS = 0
    call_command("load_demo_events", events=3000, days=2, accounts=2, users=50)
    accounts = list(Account.objects.filter(name__startswith="demo-").order_by("name"))
    assert [a.name for a in accounts] == ["demo-1", "demo-2"]
    ids = [a.id for a in accounts]
    count, types, sources, users, statuses = _one(
        "SELECT count(*), count(DISTINCT event_type), count(DISTINCT source),"
        " count(DISTINCT user_id), array_agg(DISTINCT status ORDER BY status)"
        " FROM events WHERE account_id = ANY(%s)",
        [ids],
    )
    assert 2900 <= count <= 3000
    assert 10 <= types <= 20 and sources == 5 and 20 <= users <= 50
    assert statuses == ["error", "ok", "slow"]
    first_share = _one("SELECT count(*) FROM events WHERE account_id = %s", [ids[0]])[0]
    assert first_share > count / 2  # the first account gets the largest share
    materialized = _one(
        "SELECT sum(event_count) FROM events_rollup_1h WHERE account_id = ANY(%s)", [ids]
    )[0]
    received_by_watermark = _one(
        "SELECT count(*) FROM events, events_rollup_state s WHERE account_id = ANY(%s)"
        " AND received_at <= s.watermark",
        [ids],
    )[0]
    assert materialized == received_by_watermark == count
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM events WHERE account_id = ANY(%s)", [ids])


@pytest.mark.django_db
def test_totals_rebuild_recomputes_the_per_event_type_rows(account):
    now = datetime.now(UTC)
    insert_events(
        [
            event(account.id, now - timedelta(hours=2, minutes=i), duration=float(i),
                  event_type=("a", "b")[i % 2], source=("x", "y", "z")[i % 3],
                  received_at=now - timedelta(hours=1))
            for i in range(30)
        ]
    )  # fmt: skip
    rollup_refresh(upto=now - timedelta(minutes=30))

    def totals():
        with connection.cursor() as cursor:
            rows = []
            for level in LEVELS:
                cursor.execute(
                    f"SELECT event_type, sum(event_count), min(duration_min), max(duration_max)"
                    f" FROM {level.total_table} WHERE account_id = %s GROUP BY 1 ORDER BY 1",
                    [account.id],
                )
                rows.append(cursor.fetchall())
            return rows

    before = totals()
    assert before[0] == [("a", 15, 0.0, 28.0), ("b", 15, 1.0, 29.0)]
    with connection.cursor() as cursor:
        for level in LEVELS:
            cursor.execute(f"DELETE FROM {level.total_table}")
    rollup_totals_rebuild()
    assert totals() == before
