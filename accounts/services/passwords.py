"""Password change and reset. Both bump the user's token version: every JWT issued before (access
and refresh) stops working at once."""

from __future__ import annotations

import structlog
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from accounts import audit, tokens
from accounts.models import UserSecurity
from accounts.services.users import check_password_strength
from eventstream.core.errors import ValidationFailed

log = structlog.get_logger("eventstream.accounts")


def user_tokens_revoke_all(*, user) -> int:
    """Invalidate every token issued to ``user`` so far; returns the new token version."""
    UserSecurity.objects.get_or_create(user=user)
    UserSecurity.objects.filter(user=user).update(
        token_version=F("token_version") + 1, tokens_valid_after=timezone.now()
    )
    return UserSecurity.objects.values_list("token_version", flat=True).get(user=user)


@transaction.atomic
def user_change_password(
    *, user, account_id, current_password: str, new_password: str, request=None
) -> tokens.TokenPair:
    if not user.check_password(current_password):
        # 400, not 401: the caller is authenticated; a 401 would read as "your token is bad".
        raise ValidationFailed(
            "Current password is incorrect",
            details={"fields": {"currentPassword": ["incorrect"]}},
        )
    check_password_strength(password=new_password, user=user, field="newPassword")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    version = user_tokens_revoke_all(user=user)
    audit.audit_record(
        action=audit.USER_PASSWORD_CHANGED, request=request, account_id=account_id, actor=user
    )
    return tokens.issue_token_pair(user=user, account_id=account_id, token_version=version)


def _reset_token(user) -> str:
    return (
        f"{urlsafe_base64_encode(force_bytes(user.pk))}.{default_token_generator.make_token(user)}"
    )


def _recipient(user) -> str:
    if user.email:
        return user.email
    return user.username if "@" in user.username else ""


def password_reset_request(*, username: str, request=None) -> None:
    """Mails a single-use reset token if the user exists; says nothing either way.

    With ``PASSWORD_RESET_EMAIL_ASYNC`` (the default outside tests) the mail is sent by a Celery
    task, so the answer takes as long for a known user as for an unknown one.
    """
    user = get_user_model().objects.filter(username=username, is_active=True).first()
    audit.audit_record(
        action=audit.USER_PASSWORD_RESET_REQUESTED,
        request=request,
        actor=user,
        details={"username": username[:150], "known": user is not None},
    )
    if user is None or not _recipient(user):
        return
    if not settings.PASSWORD_RESET_EMAIL_ASYNC:
        password_reset_email_send(user_id=user.pk)
        return
    from accounts.tasks import send_password_reset_email_task

    def enqueue() -> None:
        try:
            send_password_reset_email_task.delay(user.pk)
        except Exception as exc:  # the answer must not depend on whether a mail goes out
            log.error("password_reset_email_not_queued", user=user.pk, error=str(exc))

    transaction.on_commit(enqueue)


def password_reset_email_send(*, user_id: int) -> bool:
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or not _recipient(user):
        return False
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    send_mail(
        subject="Reset your EventStream password",
        message=(
            f"Someone asked to reset the password of {user.username}.\n\n"
            f"Reset token (valid for {minutes} minutes, usable once):\n{_reset_token(user)}\n\n"
            'Send it as POST /api/auth/password-reset/confirm {"token": "...", '
            '"newPassword": "..."}.\nIf you did not ask for this, ignore this message.\n'
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[_recipient(user)],
    )
    return True


def _user_for_token(token: str):
    invalid = ValidationFailed(
        "Invalid or expired reset token",
        details={"fields": {"token": ["invalid or expired"]}},
    )
    uidb64, _, secret = token.partition(".")
    try:
        user_id = force_str(urlsafe_base64_decode(uidb64))
        user = get_user_model().objects.filter(pk=int(user_id), is_active=True).first()
    except (ValueError, TypeError, OverflowError):
        user = None
    if user is None or not default_token_generator.check_token(user, secret):
        raise invalid
    return user


@transaction.atomic
def password_reset_confirm(*, token: str, new_password: str, request=None) -> None:
    user = _user_for_token(token)
    check_password_strength(password=new_password, user=user, field="newPassword")
    user.set_password(new_password)  # changes the hash the token is bound to: single use
    user.save(update_fields=["password"])
    user_tokens_revoke_all(user=user)
    audit.audit_record(action=audit.USER_PASSWORD_RESET, request=request, actor=user)
