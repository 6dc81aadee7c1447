"""Rate limits for DRF views: django-ratelimit counters in the Redis cache (shared by every web
worker), a 429 ``RATE_LIMIT`` in the error format, ``Retry-After`` and the IETF draft
``RateLimit-Policy`` / ``RateLimit`` headers on every limited response.

Use it from any app (this module imports nothing outside ``accounts`` and ``eventstream.core``)::

    from accounts.ratelimit import RateLimit, RateLimitMixin

    class EventBatchView(RateLimitMixin, AccountScopedAPIView):
        rate_limits = (RateLimit("ingest", "RATELIMIT_INGEST"),)   # a settings name or "100/m"

or on one handler of a view: ``@rate_limited(RateLimit("export", "10/m"))``.

Keys: ``"credential"`` (default) counts per API key, else per user, else per client IP;
``"ip"`` counts per client IP (see :mod:`accounts.client_ip`); a callable ``(request) -> str``
counts per whatever it returns.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from django.conf import settings
from django_ratelimit.core import get_usage

from accounts.client_ip import client_ip
from eventstream.core.errors import ApplicationError, ErrorType

log = structlog.get_logger("eventstream.ratelimit")

_STATE_ATTR = "_eventstream_rate_limits"


@dataclass(frozen=True)
class RateLimit:
    group: str  # also the policy name in the headers
    rate: str  # a settings attribute holding "<count>/<period>", or such a literal
    key: str | Callable = "credential"

    def resolved_rate(self) -> str | None:
        if "/" in self.rate:
            return self.rate
        return getattr(settings, self.rate, None) or None


@dataclass(frozen=True)
class Usage:
    group: str
    limit: int
    count: int
    window: int
    reset: int

    @property
    def remaining(self) -> int:
        return max(self.limit - self.count, 0)

    @property
    def exceeded(self) -> bool:
        return self.count > self.limit


def credential_key(request) -> str:
    credential = getattr(request, "auth", None)
    api_key_id = getattr(credential, "api_key_id", None)
    if api_key_id:
        return f"key:{api_key_id}"
    user = getattr(request, "user", None)
    if getattr(user, "is_authenticated", False) and getattr(user, "pk", None) is not None:
        return f"user:{user.pk}"
    return f"ip:{client_ip(request)}"


def _key_value(limit: RateLimit, request) -> str:
    if callable(limit.key):
        raw = limit.key(request)
        return "v:" + hashlib.sha256(str(raw).encode()).hexdigest()[:32]
    if limit.key == "ip":
        return f"ip:{client_ip(request)}"
    return credential_key(request)


def _window_seconds(rate: str) -> int:
    _count, _, period = rate.partition("/")
    multiplier = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    unit = period[-1] if period and period[-1] in multiplier else "s"
    amount = period[:-1] if period and period[-1] in multiplier else period
    return int(amount or 1) * multiplier[unit]


def _count(request, limit: RateLimit) -> Usage | None:
    rate = limit.resolved_rate()
    if rate is None:
        return None
    value = _key_value(limit, request)
    try:
        usage = get_usage(
            request,
            group=limit.group,
            key=lambda _group, _request: value,
            rate=rate,
            increment=True,
        )
    except Exception as exc:  # Redis down: fail open rather than take the whole API down
        log.warning("rate_limit_unavailable", group=limit.group, error=str(exc))
        return None
    if usage is None or usage["limit"] == 0:  # disabled, or the counter could not be read
        return None
    return Usage(
        group=limit.group,
        limit=usage["limit"],
        count=usage["count"],
        window=_window_seconds(rate),
        reset=max(int(usage["time_left"]), 1),
    )


def rate_limit_headers(usages: Sequence[Usage]) -> dict[str, str]:
    if not usages:
        return {}
    tightest = min(usages, key=lambda u: (u.remaining, -u.reset))
    return {
        "RateLimit-Policy": ", ".join(f'"{u.group}";q={u.limit};w={u.window}' for u in usages),
        "RateLimit": f'"{tightest.group}";r={tightest.remaining};t={tightest.reset}',
    }


class RateLimited(ApplicationError):
    status_code = 429
    error_type = ErrorType.RATE_LIMIT


def enforce_rate_limits(request, limits: Sequence[RateLimit]) -> list[Usage]:
    """Count this request against every limit; raise a 429 when one of them is exceeded."""
    usages = [u for u in (_count(request, limit) for limit in limits) if u is not None]
    setattr(request, _STATE_ATTR, usages)
    exceeded = [u for u in usages if u.exceeded]
    if exceeded:
        worst = max(exceeded, key=lambda u: u.reset)
        headers = rate_limit_headers(usages)
        headers["Retry-After"] = str(worst.reset)
        log.info("rate_limited", group=worst.group, limit=worst.limit, retry_after=worst.reset)
        raise RateLimited(
            "Too many requests",
            details={"retryAfter": worst.reset, "limit": worst.limit, "policy": worst.group},
            headers=headers,
        )
    return usages


def _add_headers(request, response) -> None:
    for name, value in rate_limit_headers(getattr(request, _STATE_ATTR, [])).items():
        if not response.has_header(name):
            response[name] = value


class RateLimitMixin:
    """For DRF views: limits are counted after authentication (so per key/user works)."""

    rate_limits: Sequence[RateLimit] = (RateLimit("api", "RATELIMIT_API"),)

    def get_rate_limits(self) -> Sequence[RateLimit]:
        return self.rate_limits

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        enforce_rate_limits(request, self.get_rate_limits())

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        _add_headers(request, response)
        return response


def rate_limited(*limits: RateLimit):
    """Decorate one handler (``def post(self, request, ...)``) of a DRF view."""

    def decorator(handler):
        @functools.wraps(handler)
        def wrapper(view, request, *args, **kwargs):
            enforce_rate_limits(request, limits)
            response = handler(view, request, *args, **kwargs)
            _add_headers(request, response)
            return response

        return wrapper

    return decorator
