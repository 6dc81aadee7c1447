"""Property tests: every query endpoint equals the plain-Python oracle on randomized events.

Each example writes events for two accounts into the real events table, refreshes the rollups
to a watermark, then adds late arrivals (received after the watermark, with old timestamps) and
PATCHes of already-materialized events, optionally refreshes again (not at all, part way, or
fully), and compares /raw, /aggregated and /analytics with the oracle.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.analytics.hll import HLL_METRICS, HLL_STANDARD_ERROR
from events.analytics.levels import LEVELS
from events.analytics.refresh import rollup_refresh
from tests.events.analytics import oracle
from tests.events.analytics.helpers import event, insert_events, patch_event
from tests.factories import AccountFactory, ApiKeyFactory

pytestmark = pytest.mark.django_db(transaction=True)

NOW = datetime.now(UTC).replace(microsecond=0)
BASE = NOW - timedelta(days=3)  # events lie in [BASE, BASE + 2 days)
SPAN_SECONDS = 2 * 86400
T_REFRESH_1 = NOW - timedelta(minutes=90)
TYPES = ["click", "page_view", "signup"]
SOURCES = ["web", "ios", "api"]
STATUSES = ["ok", "error", "slow"]
TAGS = ["a", "b", "c", "d"]
COUNTRIES = ["US", "FR", "IN"]
ZONES = ["UTC", "Europe/Paris", "Asia/Kolkata", "America/New_York", "Asia/Kathmandu"]
METRICS = [
    "count",
    "unique_sources",
    "unique_users",
    "unique_sessions",
    "avg_duration",
    "min_duration",
    "max_duration",
    "dominant_status",
    "unique_tags",
    "p50_duration",
    "p90_duration",
    "p95_duration",
    "p99_duration",
]
PERCENTILES = {"p50_duration", "p90_duration", "p95_duration", "p99_duration"}
TOTALS_METRICS = ["count", "avg_duration", "min_duration", "max_duration", *sorted(PERCENTILES)]

event_fields = st.fixed_dictionaries(
    {
        # half the events crowd into two hours, so buckets hold several of them
        "offset": st.one_of(st.integers(0, SPAN_SECONDS - 1), st.integers(3600, 3 * 3600)),
        "micros": st.integers(0, 999_999),
        "event_type": st.sampled_from(TYPES),
        "source": st.sampled_from(SOURCES),
        "status": st.sampled_from(STATUSES),
        "user_id": st.one_of(st.none(), st.sampled_from(["u1", "u2", "u3", "u4"])),
        "session_id": st.one_of(st.none(), st.sampled_from(["s1", "s2", "s3"])),
        "duration": st.one_of(
            st.none(),
            st.floats(0, 5000, allow_nan=False).map(lambda x: round(x, 3)),
            st.sampled_from([0.0, 0.5, 1.0, 250.0]),
        ),
        "priority": st.one_of(st.none(), st.integers(0, 5)),
        "tags": st.lists(st.sampled_from(TAGS), max_size=3, unique=True),
        "country": st.one_of(st.none(), st.sampled_from(COUNTRIES)),
        "other_account": st.booleans(),
    }
)


def _materialize(fields: dict, accounts, received_at: datetime) -> dict:
    account = accounts[1] if fields["other_account"] else accounts[0]
    ts = BASE + timedelta(seconds=fields["offset"], microseconds=fields["micros"])
    data = {"country": fields["country"]} if fields["country"] else {}
    return event(
        account.id,
        ts,
        received_at=received_at,
        event_type=fields["event_type"],
        source=fields["source"],
        status=fields["status"],
        user_id=fields["user_id"],
        session_id=fields["session_id"],
        duration=fields["duration"],
        priority=fields["priority"],
        tags=fields["tags"],
        data=data,
    )


_example_accounts: list = []


def _reset_rollups() -> None:
    """Each example starts from empty rollups and a watermark at the epoch. Only the events of
    earlier examples' accounts are deleted (other tests' rows are left alone); the rollup
    tables and the watermark are this package's own."""
    with connection.cursor() as cursor:
        if _example_accounts:
            cursor.execute(
                "DELETE FROM events WHERE account_id = ANY(%s)", [list(_example_accounts)]
            )
            _example_accounts.clear()
        for level in LEVELS:
            for table in level.tables:
                cursor.execute(f"DELETE FROM {table}")
        cursor.execute("UPDATE events_rollup_state SET watermark = '2000-01-01T00:00:00Z'")


scenario = st.fixed_dictionaries(
    {
        "early": st.lists(event_fields, min_size=8, max_size=40),
        "late": st.lists(event_fields, min_size=2, max_size=15),
        "patches": st.lists(
            st.tuples(st.integers(0, 39), st.sampled_from(STATUSES)), min_size=1, max_size=5
        ),
        "second_refresh": st.sampled_from(["none", "partial", "full"]),
    }
)


def _setup(data_scenario) -> tuple[object, list[dict]]:
    _reset_rollups()
    accounts = [AccountFactory(), AccountFactory()]
    _example_accounts.extend(account.id for account in accounts)
    early = [
        _materialize(f, accounts, T_REFRESH_1 - timedelta(minutes=60, seconds=i))
        for i, f in enumerate(data_scenario["early"])
    ]
    insert_events(early)
    rollup_refresh(upto=T_REFRESH_1)
    late = [
        _materialize(f, accounts, T_REFRESH_1 + timedelta(minutes=10, seconds=i))
        for i, f in enumerate(data_scenario["late"])
    ]
    insert_events(late)
    for index, status in data_scenario["patches"]:
        if early:
            index %= len(early)
            patch_event(
                early[index],
                updated_at=T_REFRESH_1 + timedelta(minutes=20),
                status=status,
                tags=[*early[index]["tags"], "patched"][:4],
            )
    second = data_scenario["second_refresh"]
    if second == "partial":
        rollup_refresh(upto=T_REFRESH_1 + timedelta(minutes=10, seconds=len(late) // 2))
    elif second == "full":
        rollup_refresh(upto=NOW - timedelta(minutes=1))
    key = ApiKeyFactory(account=accounts[0])
    mine = [e for e in early + late if e["account_id"] == accounts[0].id]
    return key, mine


def _client(key):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key.raw_key)
    return client


def _close(actual, expected, approximate: bool, name: str = "") -> bool:
    if expected is None or actual is None:
        return actual == expected
    if isinstance(expected, str):
        return actual == expected
    if approximate and name in HLL_METRICS:  # 3 standard errors, +2 for linear counting
        return abs(actual - expected) <= 3 * HLL_STANDARD_ERROR * expected + 2
    if approximate:
        return abs(actual - expected) <= 0.01 * abs(expected) + 0.5 + 1e-9
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def _iso(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


window = st.tuples(
    st.one_of(st.integers(-3600, SPAN_SECONDS // 2), st.integers(-3600, 3600)),
    st.integers(SPAN_SECONDS // 4, SPAN_SECONDS + 3600),
)
filters = st.fixed_dictionaries(
    {},
    optional={
        "eventType": st.lists(st.sampled_from(TYPES), min_size=1, max_size=2, unique=True),
        "status": st.lists(st.sampled_from(STATUSES), min_size=1, max_size=2, unique=True),
        "source": st.lists(st.sampled_from(SOURCES), min_size=1, max_size=2, unique=True),
    },
)
extra_filters = st.fixed_dictionaries(
    {},
    optional={
        "userId": st.lists(st.sampled_from(["u1", "u2"]), min_size=1, max_size=2, unique=True),
        "tags": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True),
        "tagsAll": st.lists(st.sampled_from(TAGS), min_size=1, max_size=2, unique=True),
        "minPriority": st.integers(0, 5),
    },
)


def _query_params(q: dict) -> dict:
    params = {"startTime": _iso(q["start"]), "endTime": _iso(q["end"])}
    for key in ("eventType", "status", "source", "userId", "tags", "tagsAll"):
        if q.get(key):
            params[key] = ",".join(q[key])
    if q.get("minPriority") is not None:
        params["minPriority"] = str(q["minPriority"])
    return params


def _window(w) -> dict:
    start = BASE + timedelta(seconds=w[0], milliseconds=137)
    return {"start": start, "end": start + timedelta(seconds=w[1])}


SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@SETTINGS
@given(
    data_scenario=scenario,
    w=window,
    f=filters,
    extra=extra_filters,
    interval=st.sampled_from(["1m", "5m", "15m", "1h", "1d"]),
    zone=st.sampled_from(ZONES),
    metrics=st.one_of(
        st.lists(st.sampled_from(METRICS), min_size=1, max_size=5, unique=True),
        st.lists(st.sampled_from(TOTALS_METRICS), min_size=1, max_size=5, unique=True),
    ),
    approximate=st.booleans(),
    use_extra=st.booleans(),
    no_filters=st.booleans(),
)
def test_aggregated_equals_oracle(
    data_scenario, w, f, extra, interval, zone, metrics, approximate, use_extra, no_filters
):
    key, events = _setup(data_scenario)
    if no_filters:  # answerable from the per-bucket totals when the metrics allow
        f, use_extra = {}, False
    q = {**_window(w), **f, **(extra if use_extra else {}), "interval": interval}
    q["timezone"] = zone if interval == "1d" else "UTC"
    if interval == "1m" and q["end"] - q["start"] > timedelta(hours=12):
        q["end"] = q["start"] + timedelta(hours=12)
    q["metrics"] = metrics
    params = {
        **_query_params(q),
        "interval": interval,
        "timezone": q["timezone"],
        "metrics": ",".join(metrics),
        "approximate": str(approximate).lower(),
    }
    response = _client(key).get("/api/events/aggregated", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = oracle.aggregated(events, q)
    assert len(body["data"]) == len(expected)
    exactness = body["meta"]["exactness"]
    for row, (bucket, values) in zip(body["data"], sorted(expected.items()), strict=True):
        assert datetime.fromisoformat(row["bucket"]) == bucket
        for name, value in values.items():
            field = oracle_field(name)
            approx = not exactness[field]["exact"]
            assert approx is False or name in PERCENTILES or name in HLL_METRICS
            assert _close(row[field], value, approx, name), (name, row, values)


def oracle_field(metric: str) -> str:
    head, *rest = metric.split("_")
    return head + "".join(part.capitalize() for part in rest)


GROUP_KEYS = ["eventType", "source", "status", "userId", "sessionId", "tags", "data.country"]


@SETTINGS
@given(
    data_scenario=scenario,
    w=window,
    f=filters,
    extra=extra_filters,
    use_extra=st.booleans(),
    group_by=st.lists(st.sampled_from(GROUP_KEYS), max_size=2, unique=True),
    rollup_only=st.booleans(),
    interval=st.one_of(st.none(), st.sampled_from(["1h", "1d"])),
    zone=st.sampled_from(ZONES),
    metrics=st.lists(st.sampled_from(METRICS), min_size=1, max_size=6, unique=True),
    approximate=st.booleans(),
)
def test_analytics_equals_oracle(
    data_scenario,
    w,
    f,
    extra,
    use_extra,
    group_by,
    rollup_only,
    interval,
    zone,
    metrics,
    approximate,
):
    key, events = _setup(data_scenario)
    if rollup_only:  # keep it answerable from the rollups, to exercise that engine
        group_by = [g for g in group_by if g in ("eventType", "source", "status")]
        use_extra = False
    q = {**_window(w), **f, **(extra if use_extra else {}), "groupBy": group_by}
    q["metrics"] = metrics
    if interval:
        q["interval"] = interval
        q["timezone"] = zone if interval == "1d" else "UTC"
    params = {
        **_query_params(q),
        "metrics": ",".join(metrics),
        "approximate": str(approximate).lower(),
        "limit": "10000",
    }
    if group_by:
        params["groupBy"] = ",".join(group_by)
    if interval:
        params.update(interval=interval, timezone=q["timezone"])
    response = _client(key).get("/api/events/analytics", params)
    assert response.status_code == 200, response.json()
    body = response.json()
    expected = oracle.analytics(events, q)
    exactness = body["meta"]["exactness"]
    actual = {}
    for row in body["data"]:
        group = ((datetime.fromisoformat(row["bucket"]),) if interval else ()) + tuple(
            row[g] for g in group_by
        )
        actual[group] = row
    assert set(actual) == set(expected)
    for group, values in expected.items():
        for name, value in values.items():
            field = oracle_field(name)
            approx = not exactness[field]["exact"]
            assert approx is False or name in PERCENTILES or name in HLL_METRICS
            assert _close(actual[group][field], value, approx, name), (name, group, values)


@SETTINGS
@given(
    data_scenario=scenario,
    w=window,
    f=filters,
    extra=extra_filters,
    use_extra=st.booleans(),
    ascending=st.booleans(),
    page_size=st.integers(1, 7),
)
def test_raw_pages_equal_oracle(data_scenario, w, f, extra, use_extra, ascending, page_size):
    key, events = _setup(data_scenario)
    q = {**_window(w), **f, **(extra if use_extra else {})}
    expected = oracle.raw_order(events, q, ascending)
    client = _client(key)
    params = {**_query_params(q), "pageSize": page_size, "order": "asc" if ascending else "desc"}
    seen, cursor = [], None
    for _ in range(100):
        page = client.get("/api/events/raw", {**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.json()
        body = page.json()
        seen += [row["id"] for row in body["data"]]
        cursor = body["pagination"]["nextCursor"]
        if not body["pagination"]["hasMore"]:
            break
    assert seen == expected
    second = client.get("/api/events/raw", {**params, "page": 2})
    assert [row["id"] for row in second.json()["data"]] == expected[page_size : 2 * page_size]


@pytest.mark.parametrize("interval", ["5m", "15m", "1h", "1d"])
def test_buckets_mixing_dimensions_match_the_oracle(interval):
    """Many events of different eventType/source/status in the same buckets, fully refreshed:
    the per-bucket totals and the per-dimension rows must both merge exactly."""
    fields = [
        {
            "offset": 3600 + i * 97,
            "micros": i,
            "event_type": TYPES[i % 3],
            "source": SOURCES[i % 2],
            "status": STATUSES[i % 3],
            "user_id": f"u{i % 4}",
            "session_id": None,
            "duration": float((i * 37) % 101),
            "priority": i % 5,
            "tags": [],
            "country": None,
            "other_account": False,
        }
        for i in range(60)
    ]
    key, events = _setup({"early": fields, "late": [], "patches": [], "second_refresh": "full"})
    q = {"start": BASE, "end": BASE + timedelta(hours=5), "interval": interval}
    q.update(timezone="UTC", metrics=TOTALS_METRICS)
    for approximate in ("false", "true"):
        body = (
            _client(key)
            .get(
                "/api/events/aggregated",
                {
                    **_query_params(q),
                    "interval": interval,
                    "metrics": ",".join(TOTALS_METRICS),
                    "approximate": approximate,
                },
            )
            .json()
        )
        expected = oracle.aggregated(events, q)
        sources = body["meta"]["freshness"]["source"]
        assert (sources == ["raw"]) == (approximate == "false")
        for row, (bucket, values) in zip(body["data"], sorted(expected.items()), strict=True):
            assert datetime.fromisoformat(row["bucket"]) == bucket
            for name, value in values.items():
                approx = approximate == "true" and name in PERCENTILES
                assert _close(row[oracle_field(name)], value, approx), (name, row, values)


def test_analytics_by_event_type_from_the_type_totals_matches_the_oracle():
    fields = [
        {
            "offset": 3600 + i * 211,
            "micros": i,
            "event_type": TYPES[i % 3],
            "source": SOURCES[(i // 3) % 3],
            "status": STATUSES[(i // 2) % 3],
            "user_id": None,
            "session_id": None,
            "duration": float((i * 53) % 997) / 3,
            "priority": None,
            "tags": [],
            "country": None,
            "other_account": False,
        }
        for i in range(80)
    ]
    key, events = _setup(
        {
            "early": fields,
            "late": fields[:5],
            "patches": [(3, "error")],
            "second_refresh": "partial",
        }
    )
    for metrics in (TOTALS_METRICS, [*TOTALS_METRICS, "unique_sources", "dominant_status"]):
        _compare_by_event_type(key, events, metrics)


def _compare_by_event_type(key, events, metrics):
    q = {
        "start": BASE,
        "end": BASE + timedelta(hours=7),
        "groupBy": ["eventType"],
        "interval": "1h",
        "timezone": "UTC",
        "metrics": metrics,
    }
    body = (
        _client(key)
        .get(
            "/api/events/analytics",
            {
                **_query_params(q),
                "groupBy": "eventType",
                "interval": "1h",
                "metrics": ",".join(metrics),
                "approximate": "true",
                "limit": 1000,
            },
        )
        .json()
    )
    assert body["meta"]["freshness"]["source"] != ["raw"]
    expected = oracle.analytics(events, q)
    actual = {(datetime.fromisoformat(r["bucket"]), r["eventType"]): r for r in body["data"]}
    assert set(actual) == set(expected)
    for group, values in expected.items():
        for name, value in values.items():
            field = oracle_field(name)
            assert _close(actual[group][field], value, name in PERCENTILES), (name, group)
