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
    checks = client.get("/healthz/details").json()["checks"]
    assert checks["celery"]["status"] == "ok"
    assert checks["celery"]["workers"]
