"""Rate limits for DRF views: django-ratelimit counters in the Redis cache (shared by every web
worker), a 429 ``RATE_LIMIT`` in the error format, ``Retry-After`` and the IETF draft
``RateLimit-Policy`` / ``RateLimit`` headers on every limited response.

Use it from any app (this module imports nothing outside ``accounts`` and ``eventstream.core``)::

    from accounts.ratelimit import RateLimit, RateLimitMixin

    class EventBatchView(RateLimitMixin, AccountScopedAPIView):
        rate_limits = (RateLimit("ingest", "RATELIMIT_INGEST"),)   # a settings name or "100/m"

or on one handler of a view: ``@rate_limited(RateLimit("export", "10/m"))``.

Counting is one Redis command per request for all of a view's limits (a Lua script in
:mod:`accounts.counters`; django-ratelimit's keys and windows), which also carries the API key
usage counters that authentication deferred to it (see :mod:`accounts.usage`).

Keys: ``"credential"`` (default) counts per API key, else per user, else per client IP;
``"ip"`` counts per client IP (see :mod:`accounts.client_ip`); a callable ``(request) -> str``
counts per whatever it returns.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import caches
from django_ratelimit.core import ALL, EXPIRATION_FUDGE, _get_window, _make_cache_key, _split_rate

from accounts import usage as key_usage
from accounts.client_ip import client_ip
from accounts.counters import bump
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


@dataclass(frozen=True)
class _Counter:
    limit: RateLimit
    rate: str
    allowed: int
    period: int
    window: int  # end of the current window (epoch seconds), as django-ratelimit computes it
    key: str


def _counter(request, limit: RateLimit, cache) -> _Counter | None:
    rate = limit.resolved_rate()
    if rate is None:
        return None
    allowed, period = _split_rate(rate)
    if allowed == 0:  # "0/m" disables the limit, as in django-ratelimit
        return None
    value = _key_value(limit, request)
    window = _get_window(value, period)
    key = cache.make_key(_make_cache_key(limit.group, window, rate, value, ALL))
    return _Counter(limit, rate, allowed, period, window, key)


def _count_all(request, limits: Sequence[RateLimit]) -> list[Usage]:
    """Count every limit (and the deferred API key use) in one Redis command."""
    cache_name = getattr(settings, "RATELIMIT_USE_CACHE", "default")
    cache = caches[cache_name]
    pending = key_usage.take_pending(request)
    counters: list[_Counter] = []
    if getattr(settings, "RATELIMIT_ENABLE", True):
        counters = [c for c in (_counter(request, lim, cache) for lim in limits) if c]
    if pending is not None and cache_name != "default":  # usage lives in the default cache
        key_usage.record_api_key_use(pending)
        pending = None
    if not counters and pending is None:
        return []
    try:
        counts = bump(
            cache._cache.get_client(write=True),
            [(c.key, c.period + EXPIRATION_FUDGE) for c in counters],
            key_usage.usage_hashes() if pending is not None else None,
            pending,
        )
    except Exception as exc:  # Redis down: fail open rather than take the whole API down
        log.warning("rate_limit_unavailable", error=str(exc))
        return []
    now = int(time.time())
    return [
        Usage(
            group=c.limit.group,
            limit=c.allowed,
            count=counts[n],
            window=_window_seconds(c.rate),
            reset=max(c.window - now, 1),
        )
        for n, c in enumerate(counters)
    ]


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
    usages = _count_all(request, limits)
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
        key_usage.defer(request)  # counted in the rate limiter's round trip
        try:
            super().initial(request, *args, **kwargs)
        except Exception:
            key_usage.record_pending(request)  # e.g. authenticated but lacking the scope
            raise
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
