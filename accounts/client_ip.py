"""The client's IP address, believing ``X-Forwarded-For`` only as far as trusted proxies go.

With ``TRUSTED_PROXY_COUNT = 0`` (the default) the address is ``REMOTE_ADDR``: a client cannot
pick its own address (and so reset its rate limit) by sending ``X-Forwarded-For``. Behind N
trusted proxies, each of which appends the address it saw, the client is the N-th entry from the
right; anything to the left of it was written by the client and is ignored.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings


def _valid_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request) -> str:
    remote = request.META.get("REMOTE_ADDR", "") or "0.0.0.0"  # noqa: S104 (a value, not a bind)
    trusted = int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0)
    if trusted <= 0:
        return remote
    forwarded = [
        part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part
    ]
    if len(forwarded) < trusted:
        # Fewer hops than proxies: the request did not come through all of them.
        return remote
    return _valid_ip(forwarded[-trusted]) or remote


def user_agent(request) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]
