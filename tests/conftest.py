"""Shared fixtures. Tests use the machine's real PostgreSQL and Redis (see `make test`)."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import AccountFactory, ApiKeyFactory


@pytest.fixture(autouse=True)
def _clear_cache():
    """Rate-limit counters and cached answers must not leak between tests."""
    client = cache._cache.get_client(write=True)
    for key in client.scan_iter(f"{cache.key_prefix}:*", count=1000):
        client.delete(key)
    yield


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def account():
    return AccountFactory()


@pytest.fixture
def other_account():
    return AccountFactory()


@pytest.fixture
def api_key(account):
    return ApiKeyFactory(account=account)


@pytest.fixture
def key_client(api_key) -> APIClient:
    """A client authenticated with an all-scopes API key of ``account``."""
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=api_key.raw_key)
    return client


@pytest.fixture(scope="session")
def celery_worker_for_tests():
    """A real Celery worker (in a thread of this process) on the real Redis broker.

    Tests that rely on it must commit their data (``django_db(transaction=True)``): the worker
    uses its own database connection.
    """
    from celery.contrib.testing.worker import start_worker

    from eventstream.celery import app

    with start_worker(
        app,
        pool="solo",
        perform_ping_check=False,
        loglevel="WARNING",
        queues=["default", "events", "webhooks", "exports"],
        shutdown_timeout=10,
    ) as worker:
        yield worker
