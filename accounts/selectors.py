"""Reads for the accounts app."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts import usage
from accounts.models import ApiKey, Membership, UserSecurity


@dataclass(frozen=True)
class TokenMembership:
    user: object
    user_id: int
    account_id: uuid.UUID
    role: str
    token_version: int


def membership_for_token(*, user_id, account_id: uuid.UUID) -> TokenMembership | None:
    """The active user's membership of the account and their token version, in one query."""
    membership = (
        Membership.objects.filter(user_id=user_id, account_id=account_id, user__is_active=True)
        .select_related("user")
        .annotate(tv=Coalesce("user__security__token_version", 0))
        .first()
    )
    if membership is None:
        return None
    return TokenMembership(
        user=membership.user,
        user_id=membership.user_id,
        account_id=membership.account_id,
        role=membership.role,
        token_version=membership.tv,
    )


def user_token_version(*, user) -> int:
    version = UserSecurity.objects.filter(user=user).values_list("token_version", flat=True)
    return next(iter(version), 0)


def user_memberships(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("account").order_by("created_at")


def user_get_by_username(*, username: str):
    return get_user_model().objects.filter(username=username).first()


def api_key_list(*, account_id: uuid.UUID, include_revoked: bool = False) -> QuerySet[ApiKey]:
    keys = ApiKey.objects.filter(account_id=account_id).order_by("-created_at", "-id")
    if not include_revoked:
        keys = keys.filter(Q(revoked_at__isnull=True) | Q(revoked_at__gt=timezone.now()))
    return keys


def api_key_get(*, account_id: uuid.UUID, key_id: uuid.UUID) -> ApiKey | None:
    return ApiKey.objects.filter(account_id=account_id, id=key_id).first()


def api_keys_with_pending_usage(keys: list[ApiKey]) -> list[ApiKey]:
    """Adds the usage recorded in Redis since the last flush to each key's counters."""
    pending = usage.pending_usage([k.id for k in keys])
    for key in keys:
        count, last = pending.get(str(key.id), (0, None))
        key.usage_count += count
        if last is not None:
            seen = datetime.fromtimestamp(last, tz=UTC)
            if key.last_used_at is None or seen > key.last_used_at:
                key.last_used_at = seen
    return keys
