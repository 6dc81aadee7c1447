import base64
import json
import time

import jwt
import pytest
from django.conf import settings
from rest_framework.test import APIClient

from accounts.models import AuditLog
from tests.accounts.conftest import PASSWORD, bearer, login

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Another-Solid-Passphrase-9"


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def _claims(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def assert_401(client: APIClient, path: str = "/api/auth/me") -> dict:
    response = client.get(path)
    assert response.status_code == 401, response.json()
    assert response.json()["error"] == "UNAUTHORIZED"
    return response.json()


def test_valid_access_token_works(owner_client):
    assert owner_client.get("/api/auth/me").status_code == 200


def test_access_token_carries_account_and_user_claims(owner_tokens, owner):
    claims = _claims(owner_tokens["accessToken"])
    assert claims["account_id"] == str(owner.account_id)
    assert claims["user_id"] == str(owner.user_id)
    assert claims["token_type"] == "access"


def test_alg_none_token_is_401(owner_tokens):
    claims = _claims(owner_tokens["accessToken"])
    unsigned = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
    assert_401(bearer(unsigned))


def test_token_with_other_hmac_algorithm_is_401(owner_tokens):
    claims = _claims(owner_tokens["accessToken"])
    token = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS512")
    assert_401(bearer(token))


def test_token_signed_with_another_secret_is_401(owner_tokens):
    claims = _claims(owner_tokens["accessToken"])
    assert_401(bearer(jwt.encode(claims, "x" * 64, algorithm="HS256")))


def test_tampered_payload_is_401(owner_tokens, other_account):
    header, _, signature = owner_tokens["accessToken"].split(".")
    claims = _claims(owner_tokens["accessToken"]) | {"account_id": str(other_account.id)}
    assert_401(bearer(f"{header}.{_b64(claims)}.{signature}"))


def test_expired_token_is_401(owner_tokens):
    claims = _claims(owner_tokens["accessToken"]) | {"exp": int(time.time()) - 5}
    expired = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")
    assert_401(bearer(expired))


def test_same_claims_re_signed_correctly_work(owner_tokens):
    """Control for the tests above: only the altered part makes them fail."""
    claims = _claims(owner_tokens["accessToken"])
    token = jwt.encode(claims, settings.JWT_SECRET, algorithm="HS256")
    assert bearer(token).get("/api/auth/me").status_code == 200


def test_refresh_token_used_as_access_token_is_401(owner_tokens):
    assert_401(bearer(owner_tokens["refreshToken"]))


def test_refresh_rotates_and_blacklists_the_used_token(api_client, owner_tokens):
    first = api_client.post(
        "/api/auth/refresh", {"refreshToken": owner_tokens["refreshToken"]}, format="json"
    )
    assert first.status_code == 200
    pair = first.json()
    assert pair["refreshToken"] != owner_tokens["refreshToken"]
    assert pair["tokenType"] == "Bearer"
    assert bearer(pair["accessToken"]).get("/api/auth/me").status_code == 200
    reused = api_client.post(
        "/api/auth/refresh", {"refreshToken": owner_tokens["refreshToken"]}, format="json"
    )
    assert reused.status_code == 401
    assert reused.json()["error"] == "UNAUTHORIZED"
    again = api_client.post(
        "/api/auth/refresh", {"refreshToken": pair["refreshToken"]}, format="json"
    )
    assert again.status_code == 200


def test_access_token_cannot_be_used_to_refresh(api_client, owner_tokens):
    response = api_client.post(
        "/api/auth/refresh", {"refreshToken": owner_tokens["accessToken"]}, format="json"
    )
    assert response.status_code == 401


def test_logout_revokes_access_and_refresh_tokens(api_client, owner_tokens, owner_client):
    response = owner_client.post(
        "/api/auth/logout", {"refreshToken": owner_tokens["refreshToken"]}, format="json"
    )
    assert response.status_code == 204
    assert_401(owner_client)
    refreshed = api_client.post(
        "/api/auth/refresh", {"refreshToken": owner_tokens["refreshToken"]}, format="json"
    )
    assert refreshed.status_code == 401
    assert AuditLog.objects.filter(action="user.logout").count() == 1


def test_logout_leaves_other_sessions_working(api_client, owner):
    first = login(api_client, owner.user.username)
    second = login(api_client, owner.user.username)
    bearer(first["accessToken"]).post("/api/auth/logout", {}, format="json")
    assert bearer(second["accessToken"]).get("/api/auth/me").status_code == 200


def test_change_password_revokes_every_earlier_token(api_client, owner, owner_tokens):
    other_session = login(api_client, owner.user.username)
    response = bearer(owner_tokens["accessToken"]).post(
        "/api/auth/change-password",
        {"currentPassword": PASSWORD, "newPassword": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    fresh = response.json()
    for token in (owner_tokens["accessToken"], other_session["accessToken"]):
        assert_401(bearer(token))
    stale_refresh = api_client.post(
        "/api/auth/refresh", {"refreshToken": other_session["refreshToken"]}, format="json"
    )
    assert stale_refresh.status_code == 401
    assert bearer(fresh["accessToken"]).get("/api/auth/me").status_code == 200
    assert login(api_client, owner.user.username, NEW_PASSWORD)["accessToken"]
    old = api_client.post(
        "/api/auth/login", {"username": owner.user.username, "password": PASSWORD}, format="json"
    )
    assert old.status_code == 401
    assert AuditLog.objects.filter(action="user.password_changed", actor=owner.user).exists()


def test_change_password_with_wrong_current_password_is_400(owner_client):
    response = owner_client.post(
        "/api/auth/change-password",
        {"currentPassword": "wrong", "newPassword": NEW_PASSWORD},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "statusCode": 400,
        "error": "VALIDATION_ERROR",
        "message": "Current password is incorrect",
        "details": {"fields": {"currentPassword": ["incorrect"]}},
    }
    assert owner_client.get("/api/auth/me").status_code == 200


def test_change_password_to_a_weak_one_is_400(owner_client):
    response = owner_client.post(
        "/api/auth/change-password",
        {"currentPassword": PASSWORD, "newPassword": "123"},
        format="json",
    )
    assert response.status_code == 400
    assert "newPassword" in response.json()["details"]["fields"]


def test_token_of_removed_membership_is_401(owner, owner_client):
    owner.delete()
    assert_401(owner_client)


def test_token_of_deactivated_user_is_401(owner, owner_client):
    owner.user.is_active = False
    owner.user.save()
    assert_401(owner_client)


def test_expired_refresh_tokens_are_purged(owner, owner_tokens):
    from datetime import timedelta

    from django.utils import timezone
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    from accounts.tasks import purge_expired_refresh_tokens_task

    OutstandingToken.objects.create(
        user=owner.user, jti="old", token="x", expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert purge_expired_refresh_tokens_task() == 1
    assert list(OutstandingToken.objects.values_list("user_id", flat=True)) == [owner.user_id]
