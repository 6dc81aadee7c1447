"""Every bad input is rejected in the error format, and nothing is stored."""

import gzip
import json
from datetime import UTC, datetime, timedelta

import pytest

from events.ingest import limits as L
from tests.events.ingest_helpers import count_events, event, post_gzip, post_raw

pytestmark = pytest.mark.django_db

BAD_SINGLE_BODIES = {
    "malformed json": (b'{"eventType": "a", "source": ', "non_field_errors"),
    "nan literal": (b'{"eventType": "a", "source": "b", "duration": NaN}', "non_field_errors"),
    "infinity literal": (
        b'{"eventType": "a", "source": "b", "duration": Infinity}',
        "non_field_errors",
    ),
    "number out of range": (b'{"eventType": "a", "source": "b", "duration": 1e999}', "duration"),
    "unknown top-level field": (b'{"eventType": "a", "source": "b", "colour": 1}', "colour"),
    "missing eventType": (b'{"source": "b"}', "eventType"),
    "eventType of wrong type": (b'{"eventType": 5, "source": "b"}', "eventType"),
    "empty source": (b'{"eventType": "a", "source": ""}', "source"),
    "data not an object": (b'{"eventType": "a", "source": "b", "data": [1]}', "data"),
    "data null": (b'{"eventType": "a", "source": "b", "data": null}', "data"),
    "metadata a string": (b'{"eventType": "a", "source": "b", "metadata": "x"}', "metadata"),
    "negative duration": (b'{"eventType": "a", "source": "b", "duration": -1}', "duration"),
    "boolean duration": (b'{"eventType": "a", "source": "b", "duration": true}', "duration"),
    "priority above range": (b'{"eventType": "a", "source": "b", "priority": 11}', "priority"),
    "priority not integer": (b'{"eventType": "a", "source": "b", "priority": 1.5}', "priority"),
    "tag too long": (
        b'{"eventType": "a", "source": "b", "tags": ["' + b"x" * 65 + b'"]}',
        "tags[0]",
    ),
    "tag not a string": (b'{"eventType": "a", "source": "b", "tags": ["ok", 1]}', "tags[1]"),
    "bad uuid": (b'{"eventType": "a", "source": "b", "id": "nope"}', "id"),
    "bad timestamp": (b'{"eventType": "a", "source": "b", "timestamp": "yesterday"}', "timestamp"),
    "nul in eventType": (b'{"eventType": "a\\u0000", "source": "b"}', "eventType"),
    "nul in a tag": (b'{"eventType": "a", "source": "b", "tags": ["ok", "\\u0000"]}', "tags[1]"),
    "nul deep in data": (
        b'{"eventType": "a", "source": "b", "data": {"x": [{"y": "\\u0000"}]}}',
        "data",
    ),
    "nul in a data key": (b'{"eventType": "a", "source": "b", "data": {"\\u0000": 1}}', "data"),
    "nul in metadata": (
        b'{"eventType": "a", "source": "b", "metadata": {"v": "\\u0000"}}',
        "metadata",
    ),
    # msgspec rejects a lone surrogate while scanning the item, before fields are known.
    "lone surrogate in data": (
        b'{"eventType": "a", "source": "b", "data": {"x": "\\ud800"}}',
        "non_field_errors",
    ),
    "lone surrogate in source": (b'{"eventType": "a", "source": "\\udc00"}', "non_field_errors"),
    "data nested too deep": (
        b'{"eventType": "a", "source": "b", "data": '
        + b'{"a": ' * (L.MAX_DEPTH + 1)
        + b"1"
        + b"}" * (L.MAX_DEPTH + 1)
        + b"}",
        "data",
    ),
    "data too large": (
        json.dumps(
            {"eventType": "a", "source": "b", "data": {"x": "y" * L.MAX_JSON_BYTES}}
        ).encode(),
        "data",
    ),
}


@pytest.mark.parametrize("name", sorted(BAD_SINGLE_BODIES))
def test_bad_single_event_is_400_with_field_path(key_client, account, name):
    body, path = BAD_SINGLE_BODIES[name]
    response = post_raw(key_client, "/api/events", body)

    assert response.status_code == 400, response.content
    payload = response.json()
    assert payload["statusCode"] == 400
    assert payload["error"] == "VALIDATION_ERROR"
    assert path in payload["details"]["fields"], payload
    assert all(isinstance(m, str) for m in payload["details"]["fields"][path])
    assert count_events(account.id) == 0


def test_escaped_backslash_before_u0000_is_text_not_nul(key_client):
    response = post_raw(key_client, "/api/events", b'{"eventType": "a\\\\u0000", "source": "b"}')
    assert response.status_code == 201
    assert response.json()["eventType"] == "a\\u0000"


def test_valid_surrogate_pair_is_accepted(key_client):
    response = post_raw(
        key_client,
        "/api/events",
        b'{"eventType": "a", "source": "b", "data": {"e": "\\ud83c\\udf89"}}',
    )
    assert response.status_code == 201
    assert response.json()["data"] == {"e": "🎉"}


def test_nesting_at_the_limit_is_accepted(key_client):
    data = {}
    node = data
    for _ in range(L.MAX_DEPTH - 1):
        node["a"] = {}
        node = node["a"]
    response = key_client.post("/api/events", event(data=data), format="json")
    assert response.status_code == 201


def test_invalid_utf8_is_400(key_client, account):
    response = post_raw(key_client, "/api/events", b'{"eventType": "\xff\xfe", "source": "b"}')
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert count_events(account.id) == 0


@pytest.mark.parametrize(
    "days, ok",
    [(-(L.MAX_PAST_DAYS + 1), False), (L.MAX_FUTURE_DAYS + 1, False), (-1, True), (1, True)],
)
def test_timestamp_window_is_enforced(key_client, days, ok):
    ts = (datetime.now(UTC) + timedelta(days=days)).isoformat()
    response = key_client.post("/api/events", event(timestamp=ts), format="json")
    assert response.status_code == (201 if ok else 400)
    if not ok:
        assert "timestamp" in response.json()["details"]["fields"]


def test_too_many_tags_is_400(key_client):
    response = key_client.post(
        "/api/events", event(tags=[f"t{n}" for n in range(L.MAX_TAGS + 1)]), format="json"
    )
    assert response.status_code == 400
    assert "tags" in response.json()["details"]["fields"]


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"],
)
def test_wrong_content_type_is_415(key_client, account, content_type):
    response = post_raw(
        key_client, "/api/events", json.dumps(event()).encode(), content_type=content_type
    )
    assert response.status_code == 415
    assert response.json()["statusCode"] == 415
    assert count_events(account.id) == 0


def test_unsupported_content_encoding_is_415(key_client):
    response = post_raw(
        key_client, "/api/events", json.dumps(event()).encode(), HTTP_CONTENT_ENCODING="br"
    )
    assert response.status_code == 415


def test_single_body_over_the_limit_is_413(key_client, account):
    body = json.dumps(event(data={"x": "y" * L.MAX_SINGLE_BODY_BYTES})).encode()
    response = post_raw(key_client, "/api/events", body)
    assert response.status_code == 413
    assert response.json()["details"]["limitBytes"] == L.MAX_SINGLE_BODY_BYTES
    assert count_events(account.id) == 0


def test_batch_body_over_the_limit_is_413(key_client, account):
    body = b"[" + b" " * L.MAX_BATCH_BODY_BYTES + b"]"
    response = post_raw(key_client, "/api/events/batch", body)
    assert response.status_code == 413
    assert count_events(account.id) == 0


def test_gzip_body_is_accepted(key_client, account):
    response = post_gzip(key_client, "/api/events/batch", json.dumps([event(), event()]).encode())
    assert response.status_code == 201
    assert response.json()["accepted"] == 2
    assert count_events(account.id) == 2


def test_gzip_bomb_over_the_inflated_limit_is_413(key_client, account):
    bomb = b"[" + b" " * (L.MAX_BATCH_BODY_BYTES + 10) + b"]"
    compressed = gzip.compress(bomb)
    assert len(compressed) < 100_000
    response = post_raw(key_client, "/api/events/batch", compressed, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 413
    assert count_events(account.id) == 0


def test_malformed_gzip_is_400(key_client):
    response = post_raw(key_client, "/api/events", b"not gzip at all", HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


def test_empty_body_is_400(key_client):
    response = post_raw(key_client, "/api/events", b"")
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


@pytest.mark.parametrize(
    "body, field",
    [
        (b"[]", "events"),
        (b'{"events": []}', "events"),
        (b'{"events": [], "extra": 1}', "extra"),
        (b'"not a list"', "non_field_errors"),
        (b"[{]", "body"),
    ],
)
def test_bad_batch_envelope_is_400(key_client, body, field):
    response = post_raw(key_client, "/api/events/batch", body)
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]["fields"]


def test_batch_over_the_event_limit_is_400(key_client, account):
    response = key_client.post(
        "/api/events/batch", [event()] * (L.MAX_BATCH_EVENTS + 1), format="json"
    )
    assert response.status_code == 400
    assert response.json()["details"]["fields"]["events"] == [
        f"{L.MAX_BATCH_EVENTS + 1} events sent"
    ]
    assert count_events(account.id) == 0
