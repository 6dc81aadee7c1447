import time

import pytest


@pytest.mark.django_db
def test_healthz_is_ok_when_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


@pytest.mark.django_db
def test_health_details_reports_every_dependency(client):
    response = client.get("/healthz/details")
    assert response.status_code == 200
    body = response.json()
    checks = body["checks"]
    assert checks["database"]["status"] == "ok"
    assert checks["database"]["version"].split(".")[0].isdigit()
    assert checks["database"]["latencyMs"] >= 0
    assert checks["redis"]["status"] == "ok"
    assert checks["migrations"] == {"status": "ok", "pending": []}
    assert "workers" in checks["celery"]
    assert body["system"]["disk"]["totalBytes"] > 0
    assert body["system"]["memory"]["availableBytes"] > 0
    assert body["uptimeSeconds"] >= 0
    assert body["version"]


@pytest.mark.django_db
def test_health_details_lists_a_live_celery_worker(client, celery_worker_for_tests):
    # The test worker's solo pool answers pings only between tasks: give it time to finish
    # whatever an earlier test queued.
    deadline = time.monotonic() + 20
    while True:
        celery = client.get("/healthz/details").json()["checks"]["celery"]
        if celery["workers"] or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert celery["status"] == "ok"
    assert celery["workers"]


@pytest.mark.django_db
def test_openapi_schema_and_offline_swagger_ui(client):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    assert schema.json()["info"]["title"] == "EventStream API"
    docs = client.get("/api/docs")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn." not in html and "unpkg" not in html


@pytest.mark.django_db
def test_prometheus_metrics_are_exposed(client):
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert b"django_http_requests_total_by_method_total" in response.content
