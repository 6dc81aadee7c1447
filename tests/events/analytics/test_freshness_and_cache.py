"""Freshness (ingested/PATCHed events visible at once), the real worker's refresh, and caching."""

import time
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import REGISTRY

from events.analytics.levels import LEVELS
from events.analytics.refresh import rollup_refresh, rollup_watermark
from events.analytics.tasks import refresh_rollups
from eventstream.celery import app as celery_app
from tests.events.analytics.helpers import event, insert_events

AGG, ANA, RAW = "/api/events/aggregated", "/api/events/analytics", "/api/events/raw"


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


def _ingest(client, count: int, ts: datetime, **fields) -> list[str]:
    items = [
        {"timestamp": _iso(ts), "eventType": "signup", "source": "web", **fields}
        for _ in range(count)
    ]
    response = client.post("/api/events/batch", items, format="json")
    assert response.status_code in (200, 201), response.content
    return [r["id"] for r in response.json()["results"] if r.get("id")]


@pytest.fixture
def no_margin(settings):
    """Caching is exercised right after ingest: no clock margin between commit and query."""
    settings.ANALYTICS_COMMIT_MARGIN_SECONDS = 0


def _window(now):
    return {"startTime": _iso(now - timedelta(hours=2)), "endTime": _iso(now + timedelta(hours=1))}


@pytest.mark.django_db
def test_an_ingested_event_is_visible_in_every_endpoint_within_a_second(key_client):
    now = datetime.now(UTC)
    rollup_refresh(upto=now - timedelta(minutes=30))  # rollups exist but predate the ingest
    started = time.monotonic()
    ids = _ingest(key_client, 3, now - timedelta(minutes=5), duration=120)
    raw = key_client.get(RAW, _window(now)).json()
    agg = key_client.get(AGG, {**_window(now), "interval": "1h", "metrics": "count"}).json()
    ana = key_client.get(ANA, {**_window(now), "groupBy": "eventType"}).json()
    elapsed = time.monotonic() - started
    assert sorted(row["id"] for row in raw["data"]) == sorted(ids)
    assert sum(row["count"] for row in agg["data"]) == 3
    assert agg["meta"]["exactness"] == {"count": {"exact": True, "method": "rollup"}}
    assert agg["meta"]["freshness"]["includesUnmaterialized"] is True
    assert ana["data"] == [{"eventType": "signup", "count": 3}]
    assert elapsed < 1.0


@pytest.mark.django_db(transaction=True)
def test_a_patched_status_shows_at_once_in_materialized_buckets(key_client, settings):
    settings.ANALYTICS_REFRESH_LAG_SECONDS = 0
    now = datetime.now(UTC)
    ids = _ingest(key_client, 2, now - timedelta(minutes=50), status="ok")
    deadline = time.monotonic() + 20
    # A concurrent transaction (the test worker draining the ingest's outbox nudge) rightly
    # holds the watermark back; refresh again once it has ended.
    while (rollup_refresh().watermark or now) <= now and time.monotonic() < deadline:
        time.sleep(0.2)
    assert rollup_watermark() > now
    response = key_client.patch(f"/api/events/{ids[0]}", {"status": "error"}, format="json")
    assert response.status_code == 200, response.content
    body = key_client.get(ANA, {**_window(now), "groupBy": "status", "orderBy": "status"}).json()
    assert body["data"] == [{"status": "error", "count": 1}, {"status": "ok", "count": 1}]


@pytest.mark.django_db(transaction=True)
def test_second_identical_query_is_served_from_the_cache(key_client, no_margin):
    now = datetime.now(UTC).replace(microsecond=0)
    _ingest(key_client, 2, now - timedelta(minutes=10))
    params = {**_window(now), "interval": "1h"}
    first = key_client.get(AGG, params).json()
    second = key_client.get(AGG, params).json()
    assert first["meta"]["cached"] is False
    assert second["meta"]["cached"] is True
    assert second["data"] == first["data"]


@pytest.mark.django_db(transaction=True)
def test_ingest_into_the_range_invalidates_the_cached_answer(key_client, no_margin):
    now = datetime.now(UTC).replace(microsecond=0)
    params = {**_window(now), "groupBy": "eventType"}
    _ingest(key_client, 1, now - timedelta(minutes=10))
    assert key_client.get(ANA, params).json()["data"] == [{"eventType": "signup", "count": 1}]
    _ingest(key_client, 2, now - timedelta(minutes=20))
    body = key_client.get(ANA, params).json()
    assert body["meta"]["cached"] is False
    assert body["data"] == [{"eventType": "signup", "count": 3}]


@pytest.mark.django_db(transaction=True)
def test_ingest_outside_the_range_keeps_the_cached_answer(key_client, no_margin):
    now = datetime.now(UTC).replace(microsecond=0)
    params = {**_window(now), "groupBy": "eventType"}
    _ingest(key_client, 1, now - timedelta(minutes=10))
    key_client.get(ANA, params)
    _ingest(key_client, 1, now - timedelta(days=2))
    body = key_client.get(ANA, params).json()
    assert body["meta"]["cached"] is True
    assert body["data"] == [{"eventType": "signup", "count": 1}]


@pytest.mark.django_db(transaction=True)
def test_cache_hits_and_misses_are_exported_as_metrics(key_client, no_margin):
    def sample(result):
        value = REGISTRY.get_sample_value(
            "eventstream_analytics_cache_requests_total",
            {"endpoint": "analytics", "result": result},
        )
        return value or 0.0

    now = datetime.now(UTC).replace(microsecond=0)
    hits, misses = sample("hit"), sample("miss")
    key_client.get(ANA, _window(now))
    key_client.get(ANA, _window(now))
    assert (sample("hit") - hits, sample("miss") - misses) == (1.0, 1.0)
    ratio = REGISTRY.get_sample_value(
        "eventstream_analytics_cache_hit_ratio", {"endpoint": "analytics"}
    )
    assert 0.0 < ratio < 1.0
    assert b"eventstream_analytics_cache_hit_ratio" in key_client.get("/metrics").content


@pytest.mark.django_db(transaction=True)
def test_the_worker_refreshes_rollups_from_the_watermark(
    celery_worker_for_tests, key_client, account, settings
):
    settings.ANALYTICS_REFRESH_LAG_SECONDS = 0
    now = datetime.now(UTC)
    rows = [
        event(account.id, now - timedelta(hours=3, minutes=i), duration=float(i), status="ok")
        for i in range(5)
    ]
    before = rollup_watermark()
    insert_events(rows)  # received now: after the watermark
    refresh_rollups.delay()
    deadline = time.monotonic() + 15
    while rollup_watermark() == before and time.monotonic() < deadline:
        time.sleep(0.1)
    assert rollup_watermark() >= max(row["received_at"] for row in rows)
    from django.db import connection

    with connection.cursor() as cursor:
        for level in LEVELS:
            cursor.execute(
                f"SELECT sum(event_count) FROM {level.table} WHERE account_id = %s",
                [account.id],
            )
            assert cursor.fetchone()[0] == 5, level.name
    body = key_client.get(
        AGG,
        {
            "startTime": _iso(now - timedelta(hours=4)),
            "endTime": _iso(now),
            "interval": "1h",
            "metrics": "count,max_duration",
        },
    ).json()
    assert sum(row["count"] for row in body["data"]) == 5
    assert max(row["maxDuration"] or 0 for row in body["data"]) == 4.0


def test_beat_schedules_the_refresh_and_the_retention():
    tasks = {entry["task"] for entry in celery_app.conf.beat_schedule.values()}
    assert {"events.analytics.refresh_rollups", "events.analytics.enforce_retention"} <= tasks
