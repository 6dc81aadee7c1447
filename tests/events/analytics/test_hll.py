"""HyperLogLog sketches of distinct users, sessions and tags (approximate=true): accuracy
within the stated bound, mergeability, refresh with late and PATCHed events, and the response's
method and error bound."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.analytics.hll import HLL_M, HLL_STANDARD_ERROR, hashes_sql
from events.analytics.refresh import rollup_refresh, rollup_watermark
from tests.events.analytics.helpers import event, insert_events, patch_event

ANA = "/api/events/analytics"
ALL_METRICS = (
    "count,unique_sources,unique_users,unique_sessions,avg_duration,min_duration,max_duration,"
    "dominant_status,unique_tags,p50_duration,p90_duration,p95_duration,p99_duration"
)


def within_bound(estimate: float, exact: int) -> bool:
    """3 standard errors, plus 2 for the small-range (linear counting) noise."""
    return abs(estimate - exact) <= 3 * HLL_STANDARD_ERROR * exact + 2


def sketch(values: list[str]) -> str:
    source = (
        "(SELECT unnest(%s::text[]) AS user_id, NULL::text AS session_id, '{}'::text[] AS tags)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT events_hll_build(array_agg(idx), array_agg(rnk))"
            f" FROM ({hashes_sql(source, '1', [0])}) h(one, kind, idx, rnk)",
            [values],
        )
        return cursor.fetchone()[0]


def union(a: str, b: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT events_hll_union(%s::varbit, %s::varbit)", [a, b])
        return cursor.fetchone()[0]


def estimate(value: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT events_hll_estimate(%s::varbit)", [value])
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("n", [0, 1, 7, 300, 2000, 5000, 40000])
def test_estimate_is_within_three_standard_errors_of_the_exact_count(seed, n):
    rng = random.Random(seed * 1000003 + n)
    values = [f"user-{rng.getrandbits(64):x}" for _ in range(n)]
    exact = len(set(values))
    assert within_bound(estimate(sketch(values + values[: n // 2])), exact)


@pytest.mark.django_db
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    values=st.lists(  # PostgreSQL text holds no NUL, UTF-8 no surrogates
        st.text(
            st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
            min_size=1,
            max_size=12,
        ),
        max_size=300,
    ),
    cuts=st.tuples(st.integers(0, 300), st.integers(0, 300)),
)
def test_merge_is_associative_idempotent_and_equals_the_sketch_of_the_union(values, cuts):
    lo, hi = sorted(cuts)
    a, b, c = sketch(values[:lo]), sketch(values[lo:hi]), sketch(values[hi:])
    whole = sketch(values)
    assert len(whole) == HLL_M * 32
    assert union(union(a, b), c) == union(a, union(b, c)) == whole
    assert union(whole, whole) == whole  # merging a bucket's sketch with itself changes nothing
    assert union(a, None) == a


@pytest.mark.django_db
def test_approximate_distinct_counts_merge_sketches_with_late_patched_and_tail_events(
    key_client, account
):
    _late_patched_and_tail_scenario(key_client, account)


@pytest.mark.django_db(transaction=True)
def test_sketches_read_on_a_second_connection_in_the_same_snapshot_give_the_same_bounds(
    key_client, account
):
    """Committed data and a request that owns its transaction: the sketches are merged on a
    helper connection sharing the request's exported snapshot."""
    _late_patched_and_tail_scenario(key_client, account)


def _late_patched_and_tail_scenario(key_client, account):
    rng = random.Random(42)
    now = datetime.now(UTC).replace(microsecond=0)
    base = now.replace(minute=0, second=0) - timedelta(days=3)
    types = ["click", "view", "buy"]

    def make(count, hours, received_at=None):
        return [
            event(
                account.id,
                base + timedelta(seconds=rng.randrange(int(hours * 3600))),
                event_type=rng.choice(types),
                user_id=f"u{rng.randrange(20000)}",
                session_id=f"s{rng.randrange(5000)}" if rng.random() < 0.9 else None,
                tags=[f"t{rng.randrange(3000)}" for _ in range(rng.randrange(3))],
                duration=float(rng.randrange(1, 500)),
                received_at=received_at,
            )
            for _ in range(count)
        ]

    # received after the current watermark (a committed earlier test may have moved it)
    received = max(now - timedelta(hours=1), rollup_watermark() + timedelta(seconds=1))
    early = make(6000, 50, received_at=received)
    insert_events(early)
    deadline = time.monotonic() + 20
    # A concurrent transaction (the test worker draining an outbox nudge) rightly holds the
    # watermark back; refresh again once it has ended.
    while (rollup_refresh(upto=received + timedelta(seconds=1)).watermark or received) <= received:
        assert time.monotonic() < deadline, "the watermark never passed the early events"
        time.sleep(0.2)
    late = make(400, 50)  # received after the watermark: the tail, in materialized buckets
    insert_events(late)
    patched = early[:5]
    for row in patched:
        patch_event(row, updated_at=now, tags=["patched-tag", *row["tags"]])
    start, end = base + timedelta(minutes=17), base + timedelta(hours=49, minutes=13)
    rows = [r for r in early + late if start <= r["ts"] < end]
    params = {
        "startTime": start.isoformat().replace("+00:00", "Z"),
        "endTime": end.isoformat().replace("+00:00", "Z"),
        "groupBy": "eventType",
        "metrics": ALL_METRICS,
    }

    def check(body):
        for metric in ("uniqueUsers", "uniqueSessions", "uniqueTags"):
            info = body["meta"]["exactness"][metric]
            assert info["exact"] is False and info["method"] == "hyperloglog"
            assert info["registers"] == HLL_M
            assert info["standardError"] == pytest.approx(1.04 / HLL_M**0.5, abs=1e-5)
        assert {"1h", "1d"} & set(body["meta"]["freshness"]["source"])
        assert len(body["data"]) == len(types)
        for out in body["data"]:
            mine = [r for r in rows if r["event_type"] == out["eventType"]]
            assert out["count"] == len(mine)
            users = {r["user_id"] for r in mine}
            sessions = {r["session_id"] for r in mine if r["session_id"]}
            tags = {t for r in mine for t in r["tags"]}
            assert "patched-tag" in tags or out["eventType"] not in {
                r["event_type"] for r in patched if start <= r["ts"] < end
            }
            assert within_bound(out["uniqueUsers"], len(users)), (out, len(users))
            assert within_bound(out["uniqueSessions"], len(sessions)), (out, len(sessions))
            assert within_bound(out["uniqueTags"], len(tags)), (out, len(tags))

    response = key_client.get(ANA, {**params, "approximate": "true"})
    assert response.status_code == 200, response.json()
    check(response.json())
    exact = key_client.get(ANA, params).json()  # the default stays exact
    for out in exact["data"]:
        mine = [r for r in rows if r["event_type"] == out["eventType"]]
        assert out["uniqueUsers"] == len({r["user_id"] for r in mine})
        assert out["uniqueTags"] == len({t for r in mine for t in r["tags"]})
        assert exact["meta"]["exactness"]["uniqueUsers"] == {"exact": True, "method": "raw"}
    rollup_refresh()  # folds the tail and recomputes the PATCHed buckets' sketches
    check(key_client.get(ANA, {**params, "approximate": "true"}).json())
