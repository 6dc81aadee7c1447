"""With Redis unreachable, authentication and the auth endpoints keep working (rate limits,
the key cache and the logout denylist fail open, usage counting is skipped); logout says 503."""

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from tests.accounts.conftest import bearer, login
from tests.factories import ApiKeyFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]

DEAD_REDIS = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@pytest.fixture
def dead_redis():
    with override_settings(CACHES=DEAD_REDIS):
        yield


def test_api_key_auth_falls_back_to_the_database(account):
    key = ApiKeyFactory(account=account)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key.raw_key)
    with override_settings(CACHES=DEAD_REDIS):
        response = client.get("/whoami")
    assert response.status_code == 200
    assert response.json()["account"] == str(account.id)


def test_login_and_jwt_work_without_rate_limit_headers(owner, dead_redis):
    client = APIClient()
    response = client.post(
        "/api/auth/login",
        {"username": owner.user.username, "password": "correct-horse-battery-staple"},
        format="json",
    )
    assert response.status_code == 200
    assert "RateLimit" not in response
    me = bearer(response.json()["accessToken"]).get("/api/auth/me")
    assert me.status_code == 200


def test_logout_answers_503_when_it_cannot_revoke(owner):
    tokens = login(APIClient(), owner.user.username)
    with override_settings(CACHES=DEAD_REDIS):
        response = bearer(tokens["accessToken"]).post("/api/auth/logout", {}, format="json")
    assert response.status_code == 503
    assert response.json()["error"] == "EXTERNAL_SERVICE_ERROR"
    assert response["Retry-After"] == "5"
