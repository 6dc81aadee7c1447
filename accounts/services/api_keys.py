"""API key lifecycle: create (the secret is returned once), revoke, rotate with a grace period."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts import audit
from accounts.keys import DISPLAY_PREFIX_LEN, generate_key, hash_key
from accounts.models import Account, ApiKey
from eventstream.core.errors import Conflict


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    raw_key: str  # shown once, never stored


def _new_key(
    *, account_id, name: str, scopes: Iterable[str], expires_at: datetime | None, created_by
) -> IssuedKey:
    raw = generate_key()
    api_key = ApiKey.objects.create(
        account_id=account_id,
        name=name,
        prefix=raw[:DISPLAY_PREFIX_LEN],
        key_hash=hash_key(raw),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
        created_by=created_by,
    )
    return IssuedKey(api_key=api_key, raw_key=raw)


@transaction.atomic
def api_key_create(
    *,
    account: Account | None = None,
    account_id=None,
    name: str,
    scopes: Iterable[str],
    expires_in: timedelta | None = None,
    created_by=None,
    request=None,
) -> IssuedKey:
    account_id = account.id if account is not None else account_id
    expires_at = timezone.now() + expires_in if expires_in else None
    issued = _new_key(
        account_id=account_id,
        name=name,
        scopes=scopes,
        expires_at=expires_at,
        created_by=created_by,
    )
    audit.audit_record(
        action=audit.API_KEY_CREATED,
        request=request,
        account_id=account_id,
        actor=created_by,
        details={
            "apiKeyId": str(issued.api_key.id),
            "prefix": issued.api_key.prefix,
            "scopes": issued.api_key.scopes,
        },
    )
    return issued


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor=None, request=None) -> bool:
    """Revoke now; returns False if the key was already revoked. Idempotent."""
    api_key = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    now = timezone.now()
    if api_key.revoked_at is not None and api_key.revoked_at <= now:
        return False
    api_key.revoked_at = now
    api_key.save(update_fields=["revoked_at"])  # post_save drops the cached lookup
    audit.audit_record(
        action=audit.API_KEY_REVOKED,
        request=request,
        account_id=api_key.account_id,
        actor=actor,
        details={"apiKeyId": str(api_key.id), "prefix": api_key.prefix},
    )
    return True


@transaction.atomic
def api_key_rotate(*, api_key: ApiKey, actor=None, request=None) -> IssuedKey:
    """Issue a new secret with the same name, scopes and expiry; the old secret keeps working
    for ``settings.API_KEY_ROTATION_GRACE`` (then it is revoked)."""
    old = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    now = timezone.now()
    if old.revoked_at is not None:
        raise Conflict("This API key is revoked or already rotated")
    if old.expires_at is not None and old.expires_at <= now:
        raise Conflict("This API key has expired")
    issued = _new_key(
        account_id=old.account_id,
        name=old.name,
        scopes=old.scopes,
        expires_at=old.expires_at,
        created_by=actor if getattr(actor, "pk", None) else old.created_by,
    )
    old.revoked_at = now + settings.API_KEY_ROTATION_GRACE
    old.replaced_by = issued.api_key
    old.save(update_fields=["revoked_at", "replaced_by"])
    audit.audit_record(
        action=audit.API_KEY_ROTATED,
        request=request,
        account_id=old.account_id,
        actor=actor,
        details={
            "apiKeyId": str(old.id),
            "newApiKeyId": str(issued.api_key.id),
            "oldKeyValidUntil": old.revoked_at.isoformat(),
        },
    )
    return issued
