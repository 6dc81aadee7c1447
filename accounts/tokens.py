"""JWT pairs with an ``account_id`` claim and the user's token version (``tv``), and the
access-token denylist that makes logout take effect before the token expires.

The denylist lives in Redis with the token's remaining lifetime as TTL (15 minutes by default):
it is small, it expires by itself, and losing it can at worst let a logged-out access token live
to its natural expiry.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

import structlog
from django.conf import settings
from django.core.cache import cache
from rest_framework_simplejwt.tokens import RefreshToken

log = structlog.get_logger("eventstream.accounts")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int
    account_id: uuid.UUID


def access_lifetime_seconds() -> int:
    return int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds())


def issue_token_pair(*, user, account_id: uuid.UUID, token_version: int) -> TokenPair:
    refresh = RefreshToken.for_user(user)  # records an OutstandingToken (for the blacklist)
    refresh["account_id"] = str(account_id)
    refresh["tv"] = token_version
    access = refresh.access_token  # copies account_id and tv
    return TokenPair(
        access=str(access),
        refresh=str(refresh),
        expires_in=access_lifetime_seconds(),
        account_id=account_id,
    )


def _deny_key(jti: str) -> str:
    return f"jwt-deny:{jti}"


def deny_access_token(*, jti: str, exp: int | None) -> None:
    ttl = int(exp - time.time()) + 1 if exp else access_lifetime_seconds()
    if ttl > 0:
        cache.set(_deny_key(jti), 1, ttl)


def access_token_is_denied(jti: str) -> bool:
    """Fails open when Redis is unreachable (logged): an outage of the cache must not log every
    user out; the exposure is a logged-out token living to its expiry (minutes)."""
    try:
        return cache.get(_deny_key(jti)) is not None
    except Exception as exc:
        log.warning("jwt_denylist_unavailable", error=str(exc))
        return False
