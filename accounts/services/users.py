"""Registration: a user, a new account and the owner membership, in one transaction."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts import audit
from accounts.models import Account, Membership, Role, UserSecurity
from eventstream.core.errors import Conflict, ValidationFailed


@dataclass(frozen=True)
class Registration:
    user: object
    account: Account
    membership: Membership


def check_password_strength(*, password: str, user, field: str) -> None:
    try:
        validate_password(password, user=user)
    except ValidationError as exc:
        raise ValidationFailed(
            "Invalid input data", details={"fields": {field: list(exc.messages)}}
        ) from exc


def _email_for(username: str) -> str:
    try:
        validate_email(username)
    except ValidationError:
        return ""
    return username


def user_register(*, username: str, password: str, request=None) -> Registration:
    User = get_user_model()
    conflict = Conflict("Username is already taken", details={"fields": {"username": ["taken"]}})
    if User.objects.filter(username__iexact=username).exists():
        raise conflict
    candidate = User(username=username, email=_email_for(username))
    check_password_strength(password=password, user=candidate, field="password")
    try:
        with transaction.atomic():
            candidate.set_password(password)
            candidate.save()
            UserSecurity.objects.create(user=candidate)
            account = Account.objects.create(name=username)
            membership = Membership.objects.create(user=candidate, account=account, role=Role.OWNER)
            audit.audit_record(
                action=audit.USER_REGISTER,
                request=request,
                account_id=account.id,
                actor=candidate,
                details={"username": username},
            )
    except IntegrityError as exc:  # a concurrent registration won the race
        raise conflict from exc
    return Registration(user=candidate, account=account, membership=membership)
