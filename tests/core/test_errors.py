import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_unknown_path_is_404_in_error_format(client):
    response = client.get("/no/such/path")
    assert response.status_code == 404
    assert response.json() == {
        "statusCode": 404,
        "error": "NOT_FOUND",
        "message": "Not found",
        "details": {},
    }


@pytest.mark.django_db
def test_wrong_method_is_405_in_error_format(client):
    response = client.post("/healthz")
    assert response.status_code == 405
    body = response.json()
    assert body["statusCode"] == 405
    assert body["error"] == "BAD_REQUEST_ERROR"
    assert body["details"] == {"allowed": ["GET"]}
    assert response["Allow"] == "GET"


@pytest.mark.urls("tests.core.urls")
def test_validation_error_names_each_field(api_client):
    response = api_client.post("/validate", {"name": "too long", "count": -1}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["statusCode"] == 400
    assert set(body["details"]["fields"]) == {"name", "count"}


@pytest.mark.urls("tests.core.urls")
def test_malformed_json_is_a_validation_error(api_client):
    response = api_client.generic("POST", "/validate", "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"


@pytest.mark.urls("tests.core.urls")
def test_unhandled_exception_is_500_without_stack_trace(api_client, settings):
    settings.DEBUG = False
    response = api_client.get("/crash")
    assert response.status_code == 500
    assert response.json() == {
        "statusCode": 500,
        "error": "INTERNAL_ERROR",
        "message": "Internal server error",
        "details": {},
    }


def _run_python(code: str, env: dict) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter: settings are read once per process."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


_OUTAGE_PROBE = """
import django, json, time
django.setup()
from django.test import Client
client = Client()
for path in ("/healthz", "/healthz/details"):
    started = time.monotonic()
    r = client.get(path)
    print(json.dumps({"path": path, "status": r.status_code, "body": r.json(),
                      "retry": r.get("Retry-After"), "seconds": time.monotonic() - started}))
"""


@pytest.mark.parametrize("pool", ["true", "false"])
def test_unreachable_database_answers_503_not_500(pool):
    env = dict(os.environ)
    env.update(
        DATABASE_URL="postgresql://postgres@127.0.0.1:1/nowhere",
        DJANGO_SETTINGS_MODULE="eventstream.settings",
        APP_ENV="test",
        DB_POOL=pool,
    )
    result = _run_python(_OUTAGE_PROBE, env)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    by_path = {line["path"]: line for line in lines}
    health = by_path["/healthz"]
    assert health["status"] == 503
    assert health["body"]["error"] == "DATABASE_ERROR"
    assert health["body"]["statusCode"] == 503
    assert health["retry"] == "5"
    assert health["seconds"] < 2.0
    details = by_path["/healthz/details"]
    assert details["status"] == 503
    assert details["body"]["checks"]["database"]["status"] == "error"


def test_production_refuses_default_secrets():
    env = dict(os.environ)
    env.pop("SECRET_KEY", None)
    env.pop("JWT_SECRET", None)
    env.update(APP_ENV="production", DJANGO_SETTINGS_MODULE="eventstream.settings")
    result = _run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_refuses_jwt_secret_equal_to_secret_key():
    env = dict(os.environ)
    secret = "s" * 40
    env.update(
        APP_ENV="production",
        SECRET_KEY=secret,
        JWT_SECRET=secret,
        DJANGO_SETTINGS_MODULE="eventstream.settings",
    )
    result = _run_python("import django; django.setup()", env)
    assert result.returncode != 0
    assert "JWT_SECRET must be set" in result.stderr


@pytest.mark.urls("tests.core.urls")
def test_django_permission_denied_is_403_in_error_format(api_client):
    response = api_client.get("/denied")
    assert response.status_code == 403
    assert response.json() == {
        "statusCode": 403,
        "error": "FORBIDDEN",
        "message": "Permission denied",
        "details": {},
    }


@pytest.mark.django_db
def test_admin_permission_denied_stays_an_html_403(client):
    from tests.factories import UserFactory

    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    response = client.get("/admin/accounts/auditlog/add/")
    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_healthz_through_the_connection_pool_is_ok():
    env = dict(os.environ)
    env.update(
        DATABASE_URL="postgresql://postgres@127.0.0.1:5432/postgres",
        DJANGO_SETTINGS_MODULE="eventstream.settings",
        APP_ENV="test",
        DB_POOL="true",
    )
    result = _run_python(_OUTAGE_PROBE, env)
    assert result.returncode == 0, result.stderr
    first = json.loads(next(x for x in result.stdout.splitlines() if x.startswith("{")))
    assert first["path"] == "/healthz"
    assert (first["status"], first["body"]) == (200, {"status": "ok"})
