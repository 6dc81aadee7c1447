from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken

from tests.factories import ApiKeyFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


def test_api_key_resolves_its_own_account(key_client, account):
    response = key_client.get("/whoami")
    assert response.status_code == 200
    assert response.json() == {"account": str(account.id), "kind": "api_key"}


def test_api_key_works_as_bearer_token(api_client, api_key, account):
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_key.raw_key}")
    assert api_client.get("/whoami").json()["account"] == str(account.id)


def test_missing_credentials_is_401(api_client):
    response = api_client.get("/whoami")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    "change",
    [
        {"expires_at": timezone.now() - timedelta(seconds=1)},
        {"revoked_at": timezone.now() - timedelta(seconds=1)},
    ],
)
def test_expired_or_revoked_key_is_401(api_client, account, change):
    key = ApiKeyFactory(account=account, **change)
    api_client.credentials(HTTP_X_API_KEY=key.raw_key)
    response = api_client.get("/whoami")
    assert response.status_code == 401
    assert response.json()["error"] == "UNAUTHORIZED"


def test_unknown_key_is_401(api_client):
    api_client.credentials(HTTP_X_API_KEY="esk_" + "x" * 43)
    assert api_client.get("/whoami").status_code == 401


def test_key_without_scope_is_403(api_client, account):
    key = ApiKeyFactory(account=account, scopes=["events:write"])
    api_client.credentials(HTTP_X_API_KEY=key.raw_key)
    response = api_client.get("/whoami")
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


def test_jwt_resolves_membership_account_and_role(api_client):
    membership = MembershipFactory(role="viewer")
    token = AccessToken.for_user(membership.user)
    token["account_id"] = str(membership.account_id)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api_client.get("/whoami")
    assert response.status_code == 200
    assert response.json() == {"account": str(membership.account_id), "kind": "jwt"}


def test_jwt_for_an_account_without_membership_is_401(api_client, other_account):
    membership = MembershipFactory()
    token = AccessToken.for_user(membership.user)
    token["account_id"] = str(other_account.id)
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api_client.get("/whoami").status_code == 401


def test_tampered_jwt_is_401(api_client):
    membership = MembershipFactory()
    token = AccessToken.for_user(membership.user)
    token["account_id"] = str(membership.account_id)
    tampered = str(token)[:-2] + ("AA" if not str(token).endswith("AA") else "BB")
    api_client.credentials(HTTP_AUTHORIZATION=f"Bearer {tampered}")
    assert api_client.get("/whoami").status_code == 401
