"""Fixtures of the event ingest tests (the analytics tests have their own)."""

import pytest
from rest_framework.test import APIClient

from tests.factories import ApiKeyFactory


@pytest.fixture
def other_client(other_account) -> APIClient:
    """A client with an all-scopes key of ``other_account``."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=ApiKeyFactory(account=other_account).raw_key)
    return client


@pytest.fixture
def scoped_client(account):
    """``scoped_client(["events:read"])``: a client whose key has only those scopes."""

    def make(scopes: list[str]) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_X_API_KEY=ApiKeyFactory(account=account, scopes=scopes).raw_key)
        return client

    return make
