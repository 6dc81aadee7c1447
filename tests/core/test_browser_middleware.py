"""Sessions, CSRF, request.user and messages run for the admin (browser) paths only."""

import pytest
from django.http import HttpResponse
from django.test import Client

from eventstream.core.middleware import (
    BrowserAuthenticationMiddleware,
    BrowserMessageMiddleware,
    BrowserSessionMiddleware,
    _is_api,
)

pytestmark = pytest.mark.django_db


def test_admin_login_still_requires_a_csrf_token():
    client = Client(enforce_csrf_checks=True)
    page = client.get("/admin/login/")
    assert page.status_code == 200
    assert "csrftoken" in page.cookies  # the CSRF middleware ran and set its cookie
    response = client.post("/admin/login/", {"username": "x", "password": "y"})
    assert response.status_code == 403


def test_api_requests_get_no_session_user_or_messages(rf):
    stack = BrowserSessionMiddleware(
        BrowserAuthenticationMiddleware(BrowserMessageMiddleware(lambda request: HttpResponse()))
    )
    api, admin = rf.post("/api/events"), rf.get("/admin/")
    stack(api)
    stack(admin)
    assert not hasattr(api, "session") and not hasattr(api, "user")
    assert not hasattr(api, "_messages")
    assert hasattr(admin, "session") and hasattr(admin, "user") and hasattr(admin, "_messages")


@pytest.mark.parametrize(
    ("path", "api"),
    [("/api/events", True), ("/api/docs/", False), ("/admin/", False), ("/healthz", False)],
)
def test_only_api_paths_skip_the_browser_middlewares(rf, path, api):
    assert _is_api(rf.get(path)) is api
