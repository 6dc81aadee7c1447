import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.keys import hash_key
from accounts.models import ApiKey, AuditLog
from tests.accounts.conftest import bearer, login
from tests.factories import ApiKeyFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls")]


def key_client(raw_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw_key)
    return client


def create_key(client, **body):
    payload = {"name": "ingest", "expiresIn": "30d", "scopes": ["events:read"]} | body
    return client.post("/api/auth/api-keys", payload, format="json")


def test_create_returns_the_secret_once_and_stores_only_its_hash(owner_client, account):
    response = create_key(owner_client)
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith("esk_") and len(body["key"]) >= 4 + 43
    assert body["prefix"] == body["key"][:12]
    assert body["scopes"] == ["events:read"]
    assert body["name"] == "ingest"
    assert body["usageCount"] == 0 and body["lastUsedAt"] is None
    stored = ApiKey.objects.get(id=body["id"])
    assert stored.account_id == account.id
    assert stored.key_hash == hash_key(body["key"]) and body["key"] not in str(stored.__dict__)
    expires = timezone.now() + timedelta(days=30)
    assert abs((stored.expires_at - expires).total_seconds()) < 5
    # The key authenticates for its account.
    whoami = key_client(body["key"]).get("/whoami")
    assert whoami.json() == {"account": str(account.id), "kind": "api_key"}


def test_create_without_scopes_gets_every_key_scope_of_the_role(owner_client):
    body = owner_client.post("/api/auth/api-keys", {"name": "all"}, format="json").json()
    assert body["scopes"] == sorted(
        ["events:read", "events:write", "export:read", "webhooks:read", "webhooks:write"]
    )
    assert body["expiresAt"] is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"expiresIn": "soon"}, "expiresIn"),
        ({"scopes": ["keys:manage"]}, "scopes.0"),
        ({"scopes": []}, "scopes"),
        ({"name": ""}, "name"),
    ],
)
def test_create_with_invalid_input_is_400(owner_client, payload, field):
    response = create_key(owner_client, **payload)
    assert response.status_code == 400
    assert response.json()["error"] == "VALIDATION_ERROR"
    assert field in response.json()["details"]["fields"]


def test_list_shows_metadata_but_never_the_secret(owner_client, account, other_account):
    created = create_key(owner_client).json()
    ApiKeyFactory(account=other_account)
    response = owner_client.get("/api/auth/api-keys")
    assert response.status_code == 200
    body = response.json()
    assert body["pagination"] == {"page": 1, "limit": 20, "total": 1, "totalPages": 1}
    (item,) = body["data"]
    assert item["id"] == created["id"]
    assert set(item) == {
        "id",
        "name",
        "prefix",
        "scopes",
        "createdAt",
        "expiresAt",
        "revokedAt",
        "lastUsedAt",
        "usageCount",
        "replacedBy",
    }
    assert created["key"] not in response.content.decode()
    assert hash_key(created["key"]) not in response.content.decode()


def test_list_paginates(owner_client, account):
    for _ in range(3):
        ApiKeyFactory(account=account)
    page = owner_client.get("/api/auth/api-keys?page=2&limit=2").json()
    assert page["pagination"] == {"page": 2, "limit": 2, "total": 3, "totalPages": 2}
    assert len(page["data"]) == 1


def test_accounts_cannot_see_or_touch_each_others_keys(owner_client, other_account):
    foreign = ApiKeyFactory(account=other_account)
    assert owner_client.get("/api/auth/api-keys").json()["data"] == []
    for response in (
        owner_client.delete(f"/api/auth/api-keys/{foreign.id}"),
        owner_client.post(f"/api/auth/api-keys/{foreign.id}/rotate"),
    ):
        assert response.status_code == 404
        assert response.json() == {
            "statusCode": 404,
            "error": "NOT_FOUND",
            "message": "API key not found",
            "details": {},
        }
    foreign.refresh_from_db()
    assert foreign.revoked_at is None and foreign.replaced_by_id is None
    assert key_client(foreign.raw_key).get("/whoami").status_code == 200


def test_api_key_cannot_manage_keys(api_client, account):
    key = ApiKeyFactory(account=account)
    response = key_client(key.raw_key).get("/api/auth/api-keys")
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_members_and_viewers_cannot_manage_keys(api_client, account, role):
    membership = MembershipFactory(account=account, role=role)
    client = bearer(login(api_client, membership.user.username)["accessToken"])
    assert create_key(client).status_code == 403
    assert client.get("/api/auth/api-keys").status_code == 403


def test_admin_can_manage_keys(api_client, account):
    membership = MembershipFactory(account=account, role="admin")
    client = bearer(login(api_client, membership.user.username)["accessToken"])
    assert create_key(client).status_code == 201


def test_key_without_the_scope_is_403(account):
    key = ApiKeyFactory(account=account, scopes=["events:write"])
    response = key_client(key.raw_key).get("/whoami")  # needs events:read
    assert response.status_code == 403
    assert response.json()["message"] == "This credential lacks the 'events:read' scope"


def test_revoke_stops_the_key_at_once_even_when_cached(owner_client, account):
    created = create_key(owner_client).json()
    client = key_client(created["key"])
    assert client.get("/whoami").status_code == 200  # now cached
    assert cache.get(f"apikey:{hash_key(created['key'])}") is not None
    response = owner_client.delete(f"/api/auth/api-keys/{created['id']}")
    assert response.status_code == 204
    denied = client.get("/whoami")
    assert denied.status_code == 401
    assert denied.json()["message"] == "API key revoked"
    assert owner_client.get("/api/auth/api-keys").json()["data"] == []
    listed = owner_client.get("/api/auth/api-keys?includeRevoked=true").json()["data"]
    assert listed[0]["revokedAt"] is not None
    entry = AuditLog.objects.get(action="api_key.revoked")
    assert entry.details["apiKeyId"] == created["id"]
    # Revoking again is harmless and not audited twice.
    assert owner_client.delete(f"/api/auth/api-keys/{created['id']}").status_code == 204
    assert AuditLog.objects.filter(action="api_key.revoked").count() == 1


@override_settings(API_KEY_CACHE_SECONDS=60)
@override_settings(API_KEY_LOCAL_CACHE_SECONDS=0)  # the Redis layer alone
def test_cached_key_still_expires_on_time(account):
    key = ApiKeyFactory(account=account, expires_at=timezone.now() + timedelta(hours=1))
    client = key_client(key.raw_key)
    assert client.get("/whoami").status_code == 200
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    cached = cache.get(f"apikey:{key.key_hash}")
    cached["expires_at"] = (timezone.now() - timedelta(seconds=1)).timestamp()
    cache.set(f"apikey:{key.key_hash}", cached, 60)
    assert client.get("/whoami").json()["message"] == "API key expired"


def test_key_held_in_process_still_expires_on_time(account, monkeypatch):
    key = ApiKeyFactory(account=account, expires_at=timezone.now() + timedelta(hours=1))
    client = key_client(key.raw_key)
    assert client.get("/whoami").status_code == 200
    cache.delete(f"apikey:{key.key_hash}")  # only the per-process copy is left
    later = timezone.now() + timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = client.get("/whoami")
    assert response.status_code == 401
    assert response.json()["message"] == "API key expired"


@override_settings(API_KEY_LOCAL_CACHE_SECONDS=0.2)
def test_change_made_by_another_process_reaches_this_one_within_the_local_ttl(account):
    key = ApiKeyFactory(account=account)
    client = key_client(key.raw_key)
    assert client.get("/whoami").status_code == 200
    # Another process revokes the key: its signal drops the Redis entry and its own copy only.
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    cache.delete(f"apikey:{key.key_hash}")
    assert client.get("/whoami").status_code == 200  # this process's copy, within the TTL
    time.sleep(0.25)
    denied = client.get("/whoami")
    assert denied.status_code == 401
    assert denied.json()["message"] == "API key revoked"


def test_rotation_keeps_old_key_working_within_grace_only(owner_client, account):
    old = create_key(owner_client, scopes=["events:read", "events:write"]).json()
    response = owner_client.post(f"/api/auth/api-keys/{old['id']}/rotate")
    assert response.status_code == 201
    new = response.json()
    assert new["key"] != old["key"] and new["key"].startswith("esk_")
    assert new["replaces"] == old["id"]
    assert new["scopes"] == old["scopes"] and new["name"] == old["name"]
    old_row = ApiKey.objects.get(id=old["id"])
    grace_end = old_row.revoked_at
    assert abs((grace_end - timezone.now() - timedelta(hours=24)).total_seconds()) < 5
    assert str(old_row.replaced_by_id) == new["id"]

    assert key_client(old["key"]).get("/whoami").status_code == 200  # within grace
    assert key_client(new["key"]).get("/whoami").status_code == 200

    old_row.revoked_at = timezone.now() - timedelta(seconds=1)  # the grace period is over
    old_row.save(update_fields=["revoked_at"])
    assert key_client(old["key"]).get("/whoami").status_code == 401
    assert key_client(new["key"]).get("/whoami").status_code == 200
    rotated = AuditLog.objects.get(action="api_key.rotated")
    assert rotated.details["newApiKeyId"] == new["id"]


@override_settings(API_KEY_ROTATION_GRACE=timedelta(minutes=5))
def test_rotation_grace_is_configurable(owner_client):
    old = create_key(owner_client).json()
    owner_client.post(f"/api/auth/api-keys/{old['id']}/rotate")
    revoked_at = ApiKey.objects.get(id=old["id"]).revoked_at
    assert timedelta(minutes=4) < revoked_at - timezone.now() <= timedelta(minutes=5)


def test_rotating_a_revoked_key_is_409(owner_client):
    old = create_key(owner_client).json()
    owner_client.delete(f"/api/auth/api-keys/{old['id']}")
    response = owner_client.post(f"/api/auth/api-keys/{old['id']}/rotate")
    assert response.status_code == 409
    assert response.json()["error"] == "CONFLICT_ERROR"


def test_create_is_audited(owner_client, owner):
    created = create_key(owner_client).json()
    entry = AuditLog.objects.get(action="api_key.created")
    assert entry.actor_id == owner.user_id and entry.account_id == owner.account_id
    assert entry.details["apiKeyId"] == created["id"]
    assert created["key"] not in str(entry.details)


def test_revoking_a_rotated_key_ends_its_grace_at_once(owner_client):
    old = create_key(owner_client).json()
    owner_client.post(f"/api/auth/api-keys/{old['id']}/rotate")
    assert key_client(old["key"]).get("/whoami").status_code == 200
    assert owner_client.delete(f"/api/auth/api-keys/{old['id']}").status_code == 204
    assert key_client(old["key"]).get("/whoami").status_code == 401
