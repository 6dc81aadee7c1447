import time

import pytest
from rest_framework.test import APIClient

from accounts.models import ApiKey
from accounts.tasks import flush_api_key_usage_task
from accounts.usage import flush_api_key_usage
from eventstream.celery import app
from tests.factories import ApiKeyFactory


def _use(raw_key: str, times: int) -> None:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    for _ in range(times):
        assert client.get("/whoami").status_code == 200


@pytest.mark.django_db
@pytest.mark.urls("tests.core.urls")
def test_requests_do_not_write_usage_until_the_flush(account, django_assert_max_num_queries):
    key = ApiKeyFactory(account=account)
    other = ApiKeyFactory(account=account)
    with django_assert_max_num_queries(1):  # the first lookup; cached afterwards, no writes
        _use(key.raw_key, 3)
    _use(other.raw_key, 1)
    key.refresh_from_db()
    assert key.usage_count == 0 and key.last_used_at is None

    assert flush_api_key_usage() == 2
    key.refresh_from_db()
    other.refresh_from_db()
    assert key.usage_count == 3 and other.usage_count == 1
    assert key.last_used_at is not None
    assert flush_api_key_usage() == 0  # nothing counted twice
    _use(key.raw_key, 2)
    flush_api_key_usage()
    key.refresh_from_db()
    assert key.usage_count == 5


@pytest.mark.django_db
@pytest.mark.urls("tests.core.urls")
def test_key_list_includes_usage_not_yet_flushed(account):
    from tests.accounts.conftest import bearer, login
    from tests.factories import MembershipFactory

    key = ApiKeyFactory(account=account)
    _use(key.raw_key, 2)
    owner = MembershipFactory(account=account, role="owner")
    client = bearer(login(APIClient(), owner.user.username)["accessToken"])
    (item,) = client.get("/api/auth/api-keys").json()["data"]
    assert item["usageCount"] == 2
    assert item["lastUsedAt"] is not None


def test_flush_runs_every_minute_in_beat():
    entry = app.conf.beat_schedule["accounts-flush-api-key-usage"]
    assert entry == {"task": "accounts.flush_api_key_usage", "schedule": 60.0}


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.core.urls")
def test_flush_task_runs_on_a_real_worker(celery_worker_for_tests, account):
    key = ApiKeyFactory(account=account)
    _use(key.raw_key, 4)
    flush_api_key_usage_task.delay()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if ApiKey.objects.get(pk=key.pk).usage_count == 4:
            break
        time.sleep(0.1)
    assert ApiKey.objects.get(pk=key.pk).usage_count == 4


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.urls")
def test_rate_limited_views_count_each_use_once_in_the_limiters_round_trip(account):
    from accounts.usage import pending_usage

    key = ApiKeyFactory(account=account)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key.raw_key)
    statuses = [client.get("/limited/mixin").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]  # the 429 is an authenticated use too
    count, last_used = pending_usage([key.id])[str(key.id)]
    assert count == 4 and last_used is not None


@pytest.mark.django_db
@pytest.mark.urls("tests.accounts.urls")
def test_use_is_counted_when_the_key_lacks_the_scope(account):
    from accounts.usage import pending_usage

    key = ApiKeyFactory(account=account, scopes=["events:write"])
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=key.raw_key)
    denied = client.get("/limited/mixin")
    assert denied.status_code == 403
    assert denied.json()["error"] == "FORBIDDEN"
    assert pending_usage([key.id])[str(key.id)][0] == 1
