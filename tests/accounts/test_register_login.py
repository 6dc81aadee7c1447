import pytest
from django.contrib.auth import get_user_model

from accounts.models import Account, AuditLog, Membership
from tests.accounts.conftest import PASSWORD, bearer, login
from tests.factories import AccountFactory, MembershipFactory

pytestmark = pytest.mark.django_db

STRONG = "Tr1cky-Lantern-Oboe"


def test_register_creates_user_account_and_owner_membership(api_client):
    response = api_client.post(
        "/api/auth/register", {"username": "ada@example.com", "password": STRONG}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    user = get_user_model().objects.get(username="ada@example.com")
    membership = Membership.objects.get(user=user)
    assert body == {
        "id": user.pk,
        "username": "ada@example.com",
        "accountId": str(membership.account_id),
        "role": "owner",
    }
    assert membership.role == "owner"
    assert Account.objects.get(pk=membership.account_id).name == "ada@example.com"
    assert user.email == "ada@example.com"
    assert not user.check_password("wrong") and user.check_password(STRONG)
    assert "password" not in response.content.decode()


def test_register_taken_username_is_409_conflict(api_client):
    MembershipFactory(user__username="taken@example.com")
    response = api_client.post(
        "/api/auth/register", {"username": "Taken@example.com", "password": STRONG}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "statusCode": 409,
        "error": "CONFLICT_ERROR",
        "message": "Username is already taken",
        "details": {"fields": {"username": ["taken"]}},
    }


@pytest.mark.parametrize("password", ["short", "password123", "12345678901"])
def test_register_weak_password_is_400_validation_error(api_client, password):
    response = api_client.post(
        "/api/auth/register", {"username": "bob@example.com", "password": password}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "VALIDATION_ERROR"
    assert body["details"]["fields"]["password"]
    assert not get_user_model().objects.filter(username="bob@example.com").exists()


def test_register_missing_fields_is_400(api_client):
    response = api_client.post("/api/auth/register", {"username": "x"}, format="json")
    assert response.status_code == 400
    assert response.json()["details"]["fields"] == {"password": ["This field is required."]}


def test_login_returns_bearer_pair_with_account_claim(api_client, owner):
    body = login(api_client, owner.user.username)
    assert set(body) == {"accessToken", "refreshToken", "tokenType", "expiresIn", "accountId"}
    assert body["tokenType"] == "Bearer"
    assert body["expiresIn"] == 15 * 60
    assert body["accountId"] == str(owner.account_id)
    me = bearer(body["accessToken"]).get("/api/auth/me")
    assert me.status_code == 200
    assert me.json()["accountId"] == str(owner.account_id)
    assert me.json()["role"] == "owner"


def test_login_with_wrong_password_is_401_and_audited(api_client, owner):
    response = api_client.post(
        "/api/auth/login",
        {"username": owner.user.username, "password": "nope"},
        format="json",
        HTTP_USER_AGENT="curl/8",
    )
    assert response.status_code == 401
    assert response.json() == {
        "statusCode": 401,
        "error": "UNAUTHORIZED",
        "message": "Invalid username or password",
        "details": {},
    }
    entry = AuditLog.objects.get(action="user.login_failed")
    assert entry.actor_id == owner.user_id
    assert entry.ip == "127.0.0.1"
    assert entry.user_agent == "curl/8"


def test_login_for_unknown_user_is_the_same_401(api_client):
    response = api_client.post(
        "/api/auth/login", {"username": "ghost", "password": "nope"}, format="json"
    )
    assert response.status_code == 401
    assert response.json()["message"] == "Invalid username or password"


def test_login_picks_requested_account_for_users_in_several(api_client, owner):
    second = AccountFactory()
    MembershipFactory(user=owner.user, account=second, role="viewer")
    body = login(api_client, owner.user.username, accountId=str(second.id))
    me = bearer(body["accessToken"]).get("/api/auth/me").json()
    assert me["accountId"] == str(second.id)
    assert me["role"] == "viewer"
    assert me["scopes"] == ["events:read", "export:read", "webhooks:read"]
    assert {a["accountId"] for a in me["accounts"]} == {str(owner.account_id), str(second.id)}


def test_login_for_an_account_the_user_is_not_in_is_403(api_client, owner, other_account):
    response = api_client.post(
        "/api/auth/login",
        {"username": owner.user.username, "password": PASSWORD, "accountId": str(other_account.id)},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"


def test_login_writes_audit_row_with_ip_and_user_agent(api_client, owner):
    api_client.post(
        "/api/auth/login",
        {"username": owner.user.username, "password": PASSWORD},
        format="json",
        HTTP_USER_AGENT="pytest-agent",
        REMOTE_ADDR="203.0.113.9",
    )
    entry = AuditLog.objects.get(action="user.login")
    assert (entry.account_id, entry.actor_id) == (owner.account_id, owner.user_id)
    assert (entry.ip, entry.user_agent) == ("203.0.113.9", "pytest-agent")


def test_register_writes_audit_row(api_client):
    api_client.post(
        "/api/auth/register", {"username": "cy@example.com", "password": STRONG}, format="json"
    )
    entry = AuditLog.objects.get(action="user.register")
    assert entry.actor.username == "cy@example.com"
    assert entry.details == {"username": "cy@example.com"}


def test_me_with_an_api_key_is_403(key_client):
    response = key_client.get("/api/auth/me")
    assert response.status_code == 403
    assert response.json()["error"] == "FORBIDDEN"
