"""Request id, access log and the last line of defence for the error format."""

from __future__ import annotations

import re
import time
import uuid

import structlog
from django.conf import settings
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware

from eventstream.core.errors import ErrorType, error_response, exception_to_response

log = structlog.get_logger("eventstream.request")

_REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
# Paths whose non-JSON error pages are left alone (HTML for humans).
_HTML_PREFIXES = ("/admin", "/api/docs", "/static")


def _request_id(request: HttpRequest) -> str:
    sent = request.META.get("HTTP_X_REQUEST_ID", "")  # not request.headers: it parses all
    return sent if _REQUEST_ID_RE.match(sent) else uuid.uuid4().hex


class RequestContextMiddleware:
    """Binds request_id/method/path for every log line; writes one access line per request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request_id = _request_id(request)
        request.request_id = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(
            request_id=request_id, method=request.method, path=request.path
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        account_id = getattr(request, "account_id", None)
        log.info(
            "request",
            status=response.status_code,
            duration_ms=round((time.perf_counter() - started) * 1000, 2),
            account=str(account_id) if account_id else None,
        )
        structlog.contextvars.clear_contextvars()
        return response


class ErrorFormatMiddleware:
    """Shapes every error that did not come from DRF into the contract's format.

    Catches exceptions raised outside DRF (database outages in plain views, crashes) and rewrites
    Django's own non-JSON 4xx/5xx pages (404 for unknown paths, 405, 400 for bad hosts).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or request.path.startswith(_HTML_PREFIXES):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        return self._reshape(response)

    def process_exception(self, request: HttpRequest, exc: Exception) -> HttpResponse | None:
        if request.path.startswith(_HTML_PREFIXES):
            return None  # the admin renders its own pages (403, 404, 500) for humans
        response = exception_to_response(exc)
        if response is not None:
            return response
        log.error("unhandled_exception", exc_info=exc)
        message = "Internal server error"
        details = {}
        if settings.DEBUG:
            details = {"exception": f"{type(exc).__name__}: {exc}"}
        return error_response(500, ErrorType.INTERNAL, message, details)

    @staticmethod
    def _reshape(response: HttpResponse) -> HttpResponse:
        status = response.status_code
        messages = {
            404: "Not found",
            405: "Method not allowed",
            400: "Bad request",
            413: "Request body too large",
            500: "Internal server error",
        }
        error = ErrorType.INTERNAL if status >= 500 else None
        if status == 405:
            error = ErrorType.BAD_REQUEST
        details = {}
        if status == 405 and response.has_header("Allow"):
            details = {"allowed": [m.strip() for m in response["Allow"].split(",")]}
        shaped = error_response(status, error, messages.get(status, "Request failed"), details)
        for header in ("Allow", "Retry-After"):
            if response.has_header(header):
                shaped[header] = response[header]
        return shaped


# Browser-only middlewares: the API (/api/, except the HTML docs) is authenticated by DRF with
# API keys or JWTs, never by a session cookie, and DRF views are CSRF-exempt, so sessions, CSRF
# cookies, request.user and messages are work without effect there (≈ 40-50 µs per request,
# measured with bench/ingest/cpu_probe.py). The admin and the docs keep the full stack.
_API_PREFIX = "/api/"


def _is_api(request: HttpRequest) -> bool:
    path = request.path_info
    return path.startswith(_API_PREFIX) and not path.startswith(_HTML_PREFIXES)


class BrowserSessionMiddleware(SessionMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request) if _is_api(request) else super().__call__(request)


class BrowserCsrfViewMiddleware(CsrfViewMiddleware):
    # process_view still runs for API views; it returns at once for CSRF-exempt views.
    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request) if _is_api(request) else super().__call__(request)


class BrowserAuthenticationMiddleware(AuthenticationMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request) if _is_api(request) else super().__call__(request)


class BrowserMessageMiddleware(MessageMiddleware):
    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request) if _is_api(request) else super().__call__(request)
