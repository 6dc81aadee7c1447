"""Login, refresh (rotation + blacklist of the used refresh token) and logout."""

from __future__ import annotations

import contextlib
import uuid
from datetime import UTC, datetime

from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from accounts import audit, selectors, tokens
from accounts.models import Membership
from eventstream.core.errors import ApplicationError, ErrorType, Forbidden


class Unauthorized(ApplicationError):
    status_code = 401
    error_type = ErrorType.UNAUTHORIZED


def _pick_membership(*, user, account_id: uuid.UUID | None) -> Membership:
    memberships = selectors.user_memberships(user=user)
    if account_id is not None:
        memberships = memberships.filter(account_id=account_id)
    membership = memberships.first()
    if membership is None:
        raise Forbidden(
            "This user is not a member of that account"
            if account_id
            else "This user is not a member of any account"
        )
    return membership


def user_login(
    *, username: str, password: str, account_id: uuid.UUID | None = None, request=None
) -> tokens.TokenPair:
    user = authenticate(None, username=username, password=password)
    if user is None:
        known = selectors.user_get_by_username(username=username)
        audit.audit_record(
            action=audit.USER_LOGIN_FAILED,
            request=request,
            actor=known,
            details={"username": username[:150]},
        )
        raise Unauthorized("Invalid username or password")
    membership = _pick_membership(user=user, account_id=account_id)
    pair = tokens.issue_token_pair(
        user=user,
        account_id=membership.account_id,
        token_version=selectors.user_token_version(user=user),
    )
    user.last_login = timezone.now()
    user.save(update_fields=["last_login"])
    audit.audit_record(
        action=audit.USER_LOGIN, request=request, account_id=membership.account_id, actor=user
    )
    return pair


def _consume_refresh(refresh: RefreshToken, raw: str) -> None:
    """Blacklist the refresh token; a token that is already blacklisted is a reuse (401)."""
    jti = refresh[jwt_settings.JTI_CLAIM]
    try:
        with transaction.atomic():
            outstanding, _ = OutstandingToken.objects.get_or_create(
                jti=jti,
                defaults={
                    "user_id": refresh.get(jwt_settings.USER_ID_CLAIM),
                    "token": raw,
                    "created_at": refresh.current_time,
                    "expires_at": datetime.fromtimestamp(refresh["exp"], tz=UTC),
                },
            )
            _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
    except IntegrityError:
        created = False
    if not created:
        raise Unauthorized("Refresh token has already been used")


def _parse_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # signature, expiry, type and blacklist checks
    except TokenError as exc:
        raise Unauthorized("Invalid or expired refresh token") from exc


def session_refresh(*, refresh_token: str) -> tokens.TokenPair:
    refresh = _parse_refresh(refresh_token)
    try:
        account_id = uuid.UUID(str(refresh.get("account_id")))
    except ValueError as exc:
        raise Unauthorized("Invalid or expired refresh token") from exc
    membership = selectors.membership_for_token(
        user_id=refresh.get(jwt_settings.USER_ID_CLAIM), account_id=account_id
    )
    if membership is None or int(refresh.get("tv", 0)) != membership.token_version:
        raise Unauthorized("Refresh token has been revoked")
    _consume_refresh(refresh, refresh_token)
    return tokens.issue_token_pair(
        user=membership.user, account_id=account_id, token_version=membership.token_version
    )


def session_logout(*, user, credential, refresh_token: str | None, request=None) -> None:
    """Denylist the access token in use; blacklist the refresh token if it is this user's."""
    jti = credential.extra.get("jti")
    if jti:
        try:
            tokens.deny_access_token(jti=jti, exp=credential.extra.get("exp"))
        except Exception as exc:  # cannot promise the token is dead: say so
            raise ApplicationError(
                "Logout is unavailable right now; retry later",
                status_code=503,
                error_type=ErrorType.EXTERNAL_SERVICE,
                headers={"Retry-After": "5"},
            ) from exc
    if refresh_token:
        try:
            refresh = RefreshToken(refresh_token)
        except TokenError:
            refresh = None  # expired or already blacklisted: unusable already
        if refresh is not None and str(refresh.get(jwt_settings.USER_ID_CLAIM)) == str(user.pk):
            with contextlib.suppress(Unauthorized):  # already used: nothing left to revoke
                _consume_refresh(refresh, refresh_token)
    audit.audit_record(
        action=audit.USER_LOGOUT, request=request, account_id=credential.account_id, actor=user
    )
