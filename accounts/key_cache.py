"""API key lookup, cached in the shared (Redis) cache for ``API_KEY_CACHE_SECONDS``.

The cache holds what authentication needs (account, scopes, expiry, revocation time), so expiry
and the end of a rotation grace period take effect on time even for a cached entry. Any save or
delete of the key row drops the entry (see :func:`forget`).

In front of Redis each process keeps its own copy of a resolved key for
``API_KEY_LOCAL_CACHE_SECONDS`` (default 1 s; 0 turns it off), so a busy worker asks Redis about
a key about once a second instead of on every request. :func:`forget` drops the local copy at
once in the process that changed the key; other processes stop using theirs within that TTL.
So a revocation takes effect on the next request in the process that made it and within
``API_KEY_LOCAL_CACHE_SECONDS`` in every other web worker.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from accounts.keys import hash_key
from accounts.models import ApiKey

log = structlog.get_logger("eventstream.accounts")


@dataclass(frozen=True)
class CachedKey:
    id: uuid.UUID
    account_id: uuid.UUID
    scopes: frozenset[str]
    expires_at: datetime | None
    revoked_at: datetime | None

    def problem(self, now: datetime | None = None) -> str | None:
        now = now or timezone.now()
        if self.revoked_at is not None and self.revoked_at <= now:
            return "API key revoked"
        if self.expires_at is not None and self.expires_at <= now:
            return "API key expired"
        return None


# digest -> (monotonic deadline, entry); bounded, per process.
_local: dict[str, tuple[float, CachedKey]] = {}
_LOCAL_MAX_ENTRIES = 4096


def _local_get(digest: str) -> tuple[bool, CachedKey | None]:
    hit = _local.get(digest)
    if hit is None or hit[0] < time.monotonic():
        return False, None
    return True, hit[1]


def _local_put(digest: str, entry: CachedKey) -> None:
    ttl = settings.API_KEY_LOCAL_CACHE_SECONDS
    if ttl <= 0:
        return
    if len(_local) >= _LOCAL_MAX_ENTRIES:
        _local.clear()  # rare (that many distinct keys within a TTL); keeps the bound simple
    _local[digest] = (time.monotonic() + ttl, entry)


def _cache_key(digest: str) -> str:
    return f"apikey:{digest}"


def _ts(value: datetime | None) -> float | None:
    return value.timestamp() if value else None


def _dt(value: float | None) -> datetime | None:
    return datetime.fromtimestamp(value, tz=UTC) if value is not None else None


def _load(digest: str) -> CachedKey | None:
    row = (
        ApiKey.objects.filter(key_hash=digest)
        .values("id", "account_id", "scopes", "expires_at", "revoked_at")
        .first()
    )
    if row is None:
        return None
    return CachedKey(
        id=row["id"],
        account_id=row["account_id"],
        scopes=frozenset(row["scopes"]),
        expires_at=row["expires_at"],
        revoked_at=row["revoked_at"],
    )


def resolve(raw_key: str) -> CachedKey | None:
    # Lookup by the SHA-256 of a 32-byte random secret: equality on the digest reveals nothing
    # usable through timing (an attacker cannot steer the digest), so no secret is compared.
    digest = hash_key(raw_key)
    found, local = _local_get(digest)
    if found:
        return local
    entry = _resolve_shared(digest)
    if entry is not None:  # unknown keys are not remembered locally: a new key works at once
        _local_put(digest, entry)
    return entry


def _resolve_shared(digest: str) -> CachedKey | None:
    ttl = settings.API_KEY_CACHE_SECONDS
    if ttl > 0:
        cached = _cache_call(cache.get, _cache_key(digest))
        if cached is not None:
            return CachedKey(
                id=uuid.UUID(cached["id"]),
                account_id=uuid.UUID(cached["account_id"]),
                scopes=frozenset(cached["scopes"]),
                expires_at=_dt(cached["expires_at"]),
                revoked_at=_dt(cached["revoked_at"]),
            )
    entry = _load(digest)
    if entry is not None and ttl > 0:
        _cache_call(
            cache.set,
            _cache_key(digest),
            {
                "id": str(entry.id),
                "account_id": str(entry.account_id),
                "scopes": sorted(entry.scopes),
                "expires_at": _ts(entry.expires_at),
                "revoked_at": _ts(entry.revoked_at),
            },
            ttl,
        )
    return entry


def forget(key_hash: str) -> None:
    _local.pop(key_hash, None)
    _cache_call(cache.delete, _cache_key(key_hash))


def _cache_call(operation, *args):
    """Redis trouble degrades to a database lookup; it never fails the request."""
    try:
        return operation(*args)
    except Exception as exc:
        log.warning("api_key_cache_unavailable", error=str(exc))
        return None
