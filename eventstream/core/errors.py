"""One error format for every error the API can produce.

``{"statusCode": 400, "error": "VALIDATION_ERROR", "message": "...", "details": {}}``

Services raise :class:`ApplicationError` (no DRF import needed); DRF exceptions go through
:func:`drf_exception_handler`; everything else (Django's own 404/405, database outages, crashes)
is shaped by :class:`eventstream.core.middleware.ErrorFormatMiddleware`.
"""

from __future__ import annotations

import enum
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError, InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions as drf
from rest_framework.response import Response


class ErrorType(enum.StrEnum):
    VALIDATION = "VALIDATION_ERROR"
    NOT_FOUND = "NOT_FOUND"
    UNAUTHORIZED = "UNAUTHORIZED"
    FORBIDDEN = "FORBIDDEN"
    RATE_LIMIT = "RATE_LIMIT"
    DATABASE = "DATABASE_ERROR"
    EXTERNAL_SERVICE = "EXTERNAL_SERVICE_ERROR"
    INTERNAL = "INTERNAL_ERROR"
    CONFLICT = "CONFLICT_ERROR"
    BAD_REQUEST = "BAD_REQUEST_ERROR"


_DEFAULT_TYPE_FOR_STATUS = {
    400: ErrorType.BAD_REQUEST,
    401: ErrorType.UNAUTHORIZED,
    403: ErrorType.FORBIDDEN,
    404: ErrorType.NOT_FOUND,
    409: ErrorType.CONFLICT,
    422: ErrorType.VALIDATION,
    429: ErrorType.RATE_LIMIT,
    503: ErrorType.DATABASE,
}

DB_RETRY_AFTER_SECONDS = 5


class ApplicationError(Exception):
    """A domain error with an HTTP status, a contract error type and details."""

    status_code = 400
    error_type = ErrorType.BAD_REQUEST

    def __init__(
        self,
        message: str,
        *,
        details: dict[str, Any] | None = None,
        status_code: int | None = None,
        error_type: ErrorType | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or {}
        if status_code is not None:
            self.status_code = status_code
        if error_type is not None:
            self.error_type = error_type
        self.headers = headers or {}


class ValidationFailed(ApplicationError):
    status_code = 400
    error_type = ErrorType.VALIDATION


class NotFound(ApplicationError):
    status_code = 404
    error_type = ErrorType.NOT_FOUND


class Conflict(ApplicationError):
    status_code = 409
    error_type = ErrorType.CONFLICT


class Forbidden(ApplicationError):
    status_code = 403
    error_type = ErrorType.FORBIDDEN


def error_body(status: int, error: ErrorType | str, message: str, details: Any = None) -> dict:
    if isinstance(error, ErrorType):
        error = error.value
    return {"statusCode": status, "error": error, "message": message, "details": details or {}}


def error_response(
    status: int,
    error: ErrorType | str | None = None,
    message: str = "",
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JsonResponse:
    error = error or _DEFAULT_TYPE_FOR_STATUS.get(status, ErrorType.BAD_REQUEST)
    response = JsonResponse(error_body(status, error, message, details), status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _validation_details(detail: Any) -> dict:
    """Flatten DRF's nested error dict into ``{"fields": {"a.b": [...]}}``."""
    fields: dict[str, list[str]] = {}

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else str(key))
        elif isinstance(node, list) and node and not all(isinstance(x, str) for x in node):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]" if path else f"[{index}]")
        else:
            messages = node if isinstance(node, list) else [node]
            fields.setdefault(path or "non_field_errors", []).extend(str(m) for m in messages)

    walk(detail, "")
    return {"fields": fields}


def _from_drf(exc: drf.APIException) -> tuple[int, ErrorType, str, Any]:
    status = exc.status_code
    if isinstance(exc, drf.ValidationError):
        return status, ErrorType.VALIDATION, "Invalid input data", _validation_details(exc.detail)
    if isinstance(exc, drf.ParseError):
        return 400, ErrorType.VALIDATION, f"Malformed request body: {exc.detail}", {}
    if isinstance(exc, (drf.NotAuthenticated, drf.AuthenticationFailed)):
        return 401, ErrorType.UNAUTHORIZED, str(exc.detail), {}
    if isinstance(exc, drf.PermissionDenied):
        return 403, ErrorType.FORBIDDEN, str(exc.detail), {}
    if isinstance(exc, drf.NotFound):
        return 404, ErrorType.NOT_FOUND, str(exc.detail), {}
    if isinstance(exc, drf.Throttled):
        return 429, ErrorType.RATE_LIMIT, "Too many requests", {"retryAfter": exc.wait}
    if isinstance(exc, drf.MethodNotAllowed):
        return 405, ErrorType.BAD_REQUEST, str(exc.detail), {}
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    return status, _DEFAULT_TYPE_FOR_STATUS.get(status, ErrorType.BAD_REQUEST), detail, {}


def describe_exception(exc: Exception) -> tuple[int, dict, dict[str, str]] | None:
    """``(status, body, headers)`` for a known exception; ``None`` for an unknown one (a 500)."""
    if isinstance(exc, ApplicationError):
        body = error_body(exc.status_code, exc.error_type, exc.message, exc.details)
        return exc.status_code, body, exc.headers
    if isinstance(exc, Http404):
        return 404, error_body(404, ErrorType.NOT_FOUND, "Not found"), {}
    if isinstance(exc, DjangoPermissionDenied):
        return 403, error_body(403, ErrorType.FORBIDDEN, "Permission denied"), {}
    if isinstance(exc, drf.APIException):
        status, error, message, details = _from_drf(exc)
        headers = {}
        if getattr(exc, "wait", None):
            headers["Retry-After"] = str(int(exc.wait))
        auth_header = getattr(exc, "auth_header", None)
        if auth_header:
            headers["WWW-Authenticate"] = auth_header
        return status, error_body(status, error, message, details), headers
    if isinstance(exc, (OperationalError, InterfaceError)):
        message = "The database is unavailable; retry later"
        headers = {"Retry-After": str(DB_RETRY_AFTER_SECONDS)}
        return 503, error_body(503, ErrorType.DATABASE, message), headers
    if isinstance(exc, DatabaseError):
        return 500, error_body(500, ErrorType.DATABASE, "A database error occurred"), {}
    return None


def exception_to_response(exc: Exception) -> JsonResponse | None:
    described = describe_exception(exc)
    if described is None:
        return None
    status, body, headers = described
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name] = value
    return response


def drf_exception_handler(exc: Exception, context: dict) -> Response | None:
    described = describe_exception(exc)
    if described is None:
        return None  # the middleware logs it and answers 500
    status, body, headers = described
    return Response(data=body, status=status, headers=headers)


def ratelimited_view(request, exception=None) -> JsonResponse:
    """django-ratelimit's RATELIMIT_VIEW: a 429 in the contract format."""
    return error_response(429, ErrorType.RATE_LIMIT, "Too many requests")
