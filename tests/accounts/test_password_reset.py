import re

import pytest
from django.core import mail
from django.test import override_settings

from accounts.models import AuditLog
from tests.accounts.conftest import PASSWORD, bearer, login
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Fresh-Meadow-Kettle-42"


@pytest.fixture
def member():
    return MembershipFactory(user__username="reset.me@example.com")


def _request_reset(client, username: str):
    return client.post("/api/auth/password-reset", {"username": username}, format="json")


def _mailed_token() -> str:
    assert len(mail.outbox) == 1
    match = re.search(r"^(\S+\.\S+-\S+)$", mail.outbox[0].body, re.MULTILINE)
    assert match, mail.outbox[0].body
    return match.group(1)


def _confirm(client, token: str, password: str = NEW_PASSWORD):
    return client.post(
        "/api/auth/password-reset/confirm",
        {"token": token, "newPassword": password},
        format="json",
    )


def test_reset_flow_end_to_end(api_client, member):
    session = login(api_client, member.user.username)
    response = _request_reset(api_client, member.user.username)
    assert response.status_code == 202
    assert mail.outbox[0].to == ["reset.me@example.com"]
    token = _mailed_token()

    confirmed = _confirm(api_client, token)
    assert confirmed.status_code == 204
    assert login(api_client, member.user.username, NEW_PASSWORD)["accessToken"]
    old = api_client.post(
        "/api/auth/login",
        {"username": member.user.username, "password": PASSWORD},
        format="json",
    )
    assert old.status_code == 401
    # Tokens issued before the reset are revoked.
    assert bearer(session["accessToken"]).get("/api/auth/me").status_code == 401
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"user.password_reset_requested", "user.password_reset"} <= actions


def test_reset_token_is_single_use(api_client, member):
    _request_reset(api_client, member.user.username)
    token = _mailed_token()
    assert _confirm(api_client, token).status_code == 204
    second = _confirm(api_client, token, "Yet-Another-Pass-77")
    assert second.status_code == 400
    assert second.json()["error"] == "VALIDATION_ERROR"
    assert second.json()["details"] == {"fields": {"token": ["invalid or expired"]}}


def test_reset_token_expires(api_client, member):
    _request_reset(api_client, member.user.username)
    token = _mailed_token()
    with override_settings(PASSWORD_RESET_TIMEOUT=-1):
        assert _confirm(api_client, token).status_code == 400


@pytest.mark.parametrize("token", ["garbage", "Mg.abc-def", ".", "!!!.x-y"])
def test_malformed_reset_token_is_400(api_client, member, token):
    response = _confirm(api_client, token)
    assert response.status_code == 400
    assert response.json()["message"] == "Invalid or expired reset token"


def test_unknown_user_gets_the_identical_answer_and_no_mail(api_client, member):
    known = _request_reset(api_client, member.user.username)
    mail.outbox.clear()
    unknown = _request_reset(api_client, "nobody@example.com")
    assert unknown.status_code == known.status_code == 202
    assert unknown.content == known.content
    assert mail.outbox == []


def test_reset_confirm_applies_password_validators(api_client, member):
    _request_reset(api_client, member.user.username)
    response = _confirm(api_client, _mailed_token(), "abc")
    assert response.status_code == 400
    assert "newPassword" in response.json()["details"]["fields"]


@pytest.mark.django_db(transaction=True)
@override_settings(PASSWORD_RESET_EMAIL_ASYNC=True)
def test_reset_mail_is_sent_by_the_worker(celery_worker_for_tests, api_client):
    import time

    member = MembershipFactory(user__username="async.reset@example.com")
    response = _request_reset(api_client, member.user.username)
    assert response.status_code == 202
    deadline = time.monotonic() + 15
    while not mail.outbox and time.monotonic() < deadline:
        time.sleep(0.05)
    assert mail.outbox[0].to == ["async.reset@example.com"]
    assert _confirm(api_client, _mailed_token()).status_code == 204
