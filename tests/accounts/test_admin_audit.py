import logging

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import audit
from accounts.models import AuditLog, Membership
from tests.factories import ApiKeyFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_audit_record_writes_a_row_and_a_json_log_line(caplog, account):
    user = UserFactory()
    with caplog.at_level(logging.INFO, logger="eventstream.audit"):
        entry = audit.audit_record(
            action="api_key.created", account_id=account.id, actor=user, details={"a": 1}
        )
    assert AuditLog.objects.get() == entry
    (record,) = [r for r in caplog.records if r.name == "eventstream.audit"]
    assert record.msg["event"] == "audit"
    assert record.msg["action"] == "api_key.created"
    assert record.msg["account"] == str(account.id)
    assert record.msg["details"] == {"a": 1}


def test_api_key_admin_never_shows_the_hash(admin_client, account):
    key = ApiKeyFactory(account=account)
    page = admin_client.get(reverse("admin:accounts_apikey_change", args=[key.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert key.prefix in html
    assert key.key_hash not in html and key.raw_key not in html
    listing = admin_client.get(reverse("admin:accounts_apikey_changelist"))
    assert listing.status_code == 200 and key.key_hash not in listing.content.decode()


def test_admin_revoke_action_revokes_and_audits(admin_client, account):
    keys = [ApiKeyFactory(account=account) for _ in range(2)]
    response = admin_client.post(
        reverse("admin:accounts_apikey_changelist"),
        {"action": "revoke_keys", "_selected_action": [str(k.pk) for k in keys]},
    )
    assert response.status_code == 302
    for key in keys:
        key.refresh_from_db()
        assert key.revoked_at is not None
    assert AuditLog.objects.filter(action="api_key.revoked").count() == 2


def test_membership_role_change_in_admin_is_audited(admin_client):
    membership = MembershipFactory(role="member")
    response = admin_client.post(
        reverse("admin:accounts_membership_change", args=[membership.pk]),
        {"user": membership.user_id, "account": membership.account_id, "role": "admin"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    membership.refresh_from_db()
    assert membership.role == "admin"
    entry = AuditLog.objects.get(action="membership.role_changed")
    assert entry.details == {"userId": membership.user_id, "from": "member", "to": "admin"}
    assert entry.account_id == membership.account_id
    assert entry.actor.username == "admin"


def test_adding_a_member_through_the_account_inline_is_audited(admin_client, account):
    user = UserFactory()
    prefix = "memberships"
    response = admin_client.post(
        reverse("admin:accounts_account_change", args=[account.pk]),
        {
            "name": account.name,
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-user": str(user.pk),
            f"{prefix}-0-role": "viewer",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    assert Membership.objects.get(user=user, account=account).role == "viewer"
    entry = AuditLog.objects.get(action="membership.created")
    assert entry.details == {"userId": user.pk, "from": None, "to": "viewer"}


def test_audit_log_is_read_only_in_admin(admin_client, rf, account):
    entry = audit.audit_record(action="user.login", account_id=account.id)
    listing = admin_client.get(reverse("admin:accounts_auditlog_changelist"))
    assert listing.status_code == 200
    assert reverse("admin:accounts_auditlog_add") not in listing.content.decode()
    detail = admin_client.get(reverse("admin:accounts_auditlog_change", args=[entry.pk]))
    assert detail.status_code == 200  # viewable
    model_admin = admin.site._registry[AuditLog]
    request = rf.get("/")
    request.user = get_user_model().objects.get(username="admin")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)
    admin_client.post(
        reverse("admin:accounts_auditlog_change", args=[entry.pk]), {"action": "forged"}
    )
    entry.refresh_from_db()
    assert entry.action == "user.login"


@pytest.mark.parametrize(
    "name", ["auth_user", "accounts_account", "accounts_membership", "accounts_apikey"]
)
def test_admin_changelists_load(admin_client, name):
    MembershipFactory()
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200
