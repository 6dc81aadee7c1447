"""Helpers for the accounts tests: users with memberships and tokens obtained through the API."""

import pytest
from rest_framework.test import APIClient

from tests.factories import MembershipFactory

PASSWORD = "correct-horse-battery-staple"


def login(client: APIClient, username: str, password: str = PASSWORD, **extra) -> dict:
    response = client.post(
        "/api/auth/login", {"username": username, "password": password, **extra}, format="json"
    )
    assert response.status_code == 200, response.json()
    return response.json()


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


@pytest.fixture
def owner(account):
    return MembershipFactory(account=account, role="owner")


@pytest.fixture
def owner_tokens(owner) -> dict:
    return login(APIClient(), owner.user.username)


@pytest.fixture
def owner_client(owner_tokens) -> APIClient:
    return bearer(owner_tokens["accessToken"])
