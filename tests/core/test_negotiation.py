"""JSON is negotiated without DRF's full Accept parsing only when the answer is the same."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from eventstream.core.negotiation import JsonFirstContentNegotiation

pytestmark = pytest.mark.django_db


def _login(client, **extra):
    return client.post(
        "/api/auth/login", {"username": "x", "password": "y"}, content_type="application/json",
        **extra,
    )  # fmt: skip


@pytest.mark.parametrize("accept", [None, "*/*", "application/json", " application/json "])
def test_plain_accept_headers_get_json(client, accept):
    extra = {"HTTP_ACCEPT": accept} if accept is not None else {}
    response = _login(client, **extra)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "UNAUTHORIZED"


def test_an_unservable_accept_header_is_still_406(client):
    response = _login(client, HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert response.json()["statusCode"] == 406


def _outcome(negotiator, django_request, renderers):
    try:
        renderer, media_type = negotiator.select_renderer(Request(django_request), renderers)
    except NotAcceptable:
        return "406"
    return type(renderer), media_type


@pytest.mark.parametrize(
    ("accept", "query"),
    [("", ""), ("*/*", ""), ("application/json", ""), ("text/html", ""), ("*/*", "?format=api"),
     ("application/json; indent=4", ""), ("application/*", "")],
)  # fmt: skip
def test_the_fast_path_answers_as_drf_would(accept, query):
    renderers = [JSONRenderer(), BrowsableAPIRenderer()]
    django_request = APIRequestFactory().get(f"/api/x{query}", HTTP_ACCEPT=accept)
    expected = _outcome(DefaultContentNegotiation(), django_request, renderers)
    assert _outcome(JsonFirstContentNegotiation(), django_request, renderers) == expected
