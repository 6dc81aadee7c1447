import json
import logging

import pytest


@pytest.mark.django_db
def test_request_id_is_echoed_when_sent(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"


@pytest.mark.django_db
def test_request_id_is_generated_when_missing_or_unsafe(client):
    first = client.get("/healthz")["X-Request-ID"]
    second = client.get("/healthz", HTTP_X_REQUEST_ID="bad id\nwith newline")["X-Request-ID"]
    assert len(first) == 32 and len(second) == 32
    assert first != second


@pytest.mark.django_db
def test_error_responses_carry_request_id(client):
    response = client.get("/nope", HTTP_X_REQUEST_ID="req-404")
    assert response.status_code == 404
    assert response["X-Request-ID"] == "req-404"


@pytest.mark.django_db
def test_access_log_line_is_json_with_request_fields(client, capsys):
    handler = logging.getLogger().handlers[0]
    handler.setStream(__import__("sys").stdout)
    client.get("/healthz", HTTP_X_REQUEST_ID="log-me")
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    access = [x for x in lines if x.get("event") == "request" and x.get("request_id") == "log-me"]
    assert len(access) == 1
    line = access[0]
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["duration_ms"] >= 0
