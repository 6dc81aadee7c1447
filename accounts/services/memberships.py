"""Membership role changes (from Django admin), audited."""

from __future__ import annotations

from django.db import transaction

from accounts import audit
from accounts.models import Membership


@transaction.atomic
def membership_set_role(*, membership: Membership, role: str, actor=None, request=None) -> bool:
    """Set the role; returns whether it changed (and was audited)."""
    previous = (
        Membership.objects.filter(pk=membership.pk).values_list("role", flat=True).first()
        if membership.pk
        else None
    )
    membership.role = role
    membership.save()
    if previous == role:
        return False
    audit.audit_record(
        action=audit.MEMBERSHIP_ROLE_CHANGED if previous else audit.MEMBERSHIP_CREATED,
        request=request,
        account_id=membership.account_id,
        actor=actor,
        details={"userId": membership.user_id, "from": previous, "to": role},
    )
    return True
