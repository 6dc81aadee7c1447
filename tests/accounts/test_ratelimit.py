import re

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from accounts.client_ip import client_ip
from tests.accounts.conftest import PASSWORD, bearer, login
from tests.factories import ApiKeyFactory, MembershipFactory

pytestmark = pytest.mark.django_db

POLICY = re.compile(r'^"login";q=10;w=60, "login-username";q=30;w=3600$')


def _login(client, username="someone", password="wrong", **extra):  # noqa: S107
    return client.post(
        "/api/auth/login", {"username": username, "password": password}, format="json", **extra
    )


def test_login_brute_force_gets_429_with_headers(api_client, owner):
    for attempt in range(10):
        response = _login(api_client, owner.user.username)
        assert response.status_code == 401
        assert POLICY.match(response["RateLimit-Policy"])
        remaining = int(re.search(r";r=(\d+);", response["RateLimit"]).group(1))
        assert remaining == 9 - attempt
    blocked = _login(api_client, owner.user.username, PASSWORD)  # even the right password
    assert blocked.status_code == 429
    body = blocked.json()
    assert body["statusCode"] == 429
    assert body["error"] == "RATE_LIMIT"
    assert body["message"] == "Too many requests"
    assert body["details"]["policy"] == "login" and body["details"]["limit"] == 10
    retry_after = int(blocked["Retry-After"])
    assert 1 <= retry_after <= 60
    assert POLICY.match(blocked["RateLimit-Policy"])
    assert re.fullmatch(r'"login";r=0;t=\d+', blocked["RateLimit"])


def test_spoofed_x_forwarded_for_does_not_reset_the_limit(api_client):
    for i in range(10):
        assert _login(api_client, HTTP_X_FORWARDED_FOR=f"198.51.100.{i}").status_code == 401
    response = _login(api_client, HTTP_X_FORWARDED_FOR="203.0.113.77")
    assert response.status_code == 429


def test_other_client_ips_have_their_own_limit(api_client):
    for _ in range(10):
        _login(api_client, REMOTE_ADDR="192.0.2.1")
    assert _login(api_client, REMOTE_ADDR="192.0.2.1").status_code == 429
    assert _login(api_client, REMOTE_ADDR="192.0.2.2").status_code == 401


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_a_trusted_proxy_the_client_is_the_last_forwarded_entry(api_client):
    for i in range(10):
        # The client prepends a fake address each time; the proxy appends the real one.
        spoofed = f"10.0.0.{i}, 198.51.100.5"
        assert _login(api_client, HTTP_X_FORWARDED_FOR=spoofed).status_code == 401
    assert _login(api_client, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.5").status_code == 429
    assert _login(api_client, HTTP_X_FORWARDED_FOR="198.51.100.6").status_code == 401


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "1.1.1.1", "127.0.0.1"),
        (1, "1.1.1.1, 2.2.2.2", "2.2.2.2"),
        (2, "1.1.1.1, 2.2.2.2, 3.3.3.3", "2.2.2.2"),
        (2, "3.3.3.3", "127.0.0.1"),  # fewer hops than proxies: not through them
        (1, "not-an-ip", "127.0.0.1"),
    ],
)
def test_client_ip_trusts_only_configured_proxies(rf, proxies, forwarded, expected):
    request = rf.get("/", HTTP_X_FORWARDED_FOR=forwarded, REMOTE_ADDR="127.0.0.1")
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        assert client_ip(request) == expected


@override_settings(RATELIMIT_LOGIN="100/m", RATELIMIT_LOGIN_PER_USERNAME="3/h")
def test_login_is_also_limited_per_username_across_ips(api_client, owner):
    for i in range(3):
        _login(api_client, owner.user.username, REMOTE_ADDR=f"192.0.2.{i}")
    response = _login(api_client, owner.user.username, REMOTE_ADDR="192.0.2.99")
    assert response.status_code == 429
    assert response.json()["details"]["policy"] == "login-username"
    assert _login(api_client, "somebody-else", REMOTE_ADDR="192.0.2.99").status_code == 401


@override_settings(RATELIMIT_REGISTER="2/h")
def test_register_has_its_own_stricter_limit(api_client):
    for i in range(2):
        api_client.post("/api/auth/register", {"username": f"u{i}", "password": "x"}, format="json")
    response = api_client.post(
        "/api/auth/register", {"username": "u9", "password": "x"}, format="json"
    )
    assert response.status_code == 429
    assert response["RateLimit-Policy"] == '"register";q=2;w=3600'


@override_settings(RATELIMIT_PASSWORD_RESET="2/h")
def test_password_reset_is_limited(api_client):
    statuses = [
        api_client.post("/api/auth/password-reset", {"username": "x"}, format="json").status_code
        for _ in range(3)
    ]
    assert statuses == [202, 202, 429]


@override_settings(RATELIMIT_API="2/m")
def test_authenticated_calls_are_limited_per_user_not_per_ip(api_client, owner_client, account):
    assert owner_client.get("/api/auth/api-keys").status_code == 200
    assert owner_client.get("/api/auth/api-keys").status_code == 200
    assert owner_client.get("/api/auth/api-keys").status_code == 429
    other = MembershipFactory(role="owner")
    other_client = bearer(login(api_client, other.user.username)["accessToken"])
    assert other_client.get("/api/auth/api-keys").status_code == 200  # same IP, own counter


@override_settings(RATELIMIT_ENABLE=False)
def test_limits_can_be_switched_off(api_client):
    assert all(_login(api_client).status_code == 401 for _ in range(12))


@pytest.mark.urls("tests.accounts.urls")
def test_mixin_limits_per_api_key(account):
    first, second = ApiKeyFactory(account=account), ApiKeyFactory(account=account)
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=first.raw_key)
    responses = [client.get("/limited/mixin") for _ in range(4)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429]
    assert responses[0]["RateLimit"].startswith('"test-mixin";r=2;t=')
    assert responses[0]["RateLimit-Policy"] == '"test-mixin";q=3;w=60'
    assert responses[3].json()["error"] == "RATE_LIMIT"
    client.credentials(HTTP_X_API_KEY=second.raw_key)
    assert client.get("/limited/mixin").status_code == 200


@pytest.mark.urls("tests.accounts.urls")
def test_decorator_limits_only_the_decorated_handler(key_client):
    statuses = [key_client.get("/limited/decorator").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert key_client.post("/limited/decorator").status_code == 200
    limited = key_client.get("/limited/decorator")
    assert int(limited["Retry-After"]) >= 1


def test_counters_load_their_script_when_redis_does_not_know_it():
    from django.core.cache import cache
    from redis.exceptions import NoScriptError

    from accounts.counters import bump

    client = cache._cache.get_client(write=True)

    class Forgetful:  # a server that has just restarted: EVALSHA fails, EVAL loads the script
        def evalsha(self, *args):
            raise NoScriptError("NOSCRIPT")

        def eval(self, *args):
            return client.eval(*args)

    key = cache.make_key("test-counter-noscript")
    client.delete(key)
    assert bump(Forgetful(), [(key, 30)]) == [1]
    assert bump(client, [(key, 30)]) == [2]
    assert 0 < client.ttl(key) <= 30
    client.delete(key)
