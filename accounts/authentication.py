"""DRF authentication: API keys (``X-API-Key`` or ``Authorization: Bearer esk_...``) and JWTs.

Both resolve the request to a :class:`~accounts.credentials.Credential` carrying the account,
so every view scopes by ``request.auth.account_id`` and nothing else.
"""

from __future__ import annotations

import hmac

from django.utils import timezone
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError

from accounts.credentials import ApiKeyUser, Credential
from accounts.keys import hash_key, looks_like_key
from accounts.models import ApiKey, Membership
from accounts.scopes import ROLE_SCOPES


def _presented_key(request) -> str | None:
    key = request.headers.get("X-API-Key")
    if key:
        return key.strip()
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and looks_like_key(value.strip()):
        return value.strip()
    return None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request):
        key = _presented_key(request)
        if key is None:
            return None
        digest = hash_key(key)
        api_key = (
            ApiKey.objects.filter(key_hash=digest)
            .only("id", "account_id", "scopes", "expires_at", "revoked_at", "key_hash")
            .first()
        )
        # compare_digest keeps the final check constant-time; the lookup is by a hash of a
        # high-entropy secret, which leaks nothing useful through timing.
        if api_key is None or not hmac.compare_digest(api_key.key_hash, digest):
            raise exceptions.AuthenticationFailed("Invalid API key")
        now = timezone.now()
        if api_key.revoked_at is not None and api_key.revoked_at <= now:
            raise exceptions.AuthenticationFailed("API key revoked")
        if api_key.expires_at is not None and api_key.expires_at <= now:
            raise exceptions.AuthenticationFailed("API key expired")
        credential = Credential(
            account_id=api_key.account_id,
            scopes=frozenset(api_key.scopes),
            kind="api_key",
            api_key_id=api_key.id,
        )
        request.account_id = api_key.account_id
        return ApiKeyUser(api_key.id), credential

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class AccountJWTAuthentication(JWTAuthentication):
    """simplejwt access tokens carrying an ``account_id`` claim, checked against the membership."""

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        try:
            token = self.get_validated_token(raw)
        except InvalidToken as exc:
            raise exceptions.AuthenticationFailed("Invalid or expired token") from exc
        user = self.get_user(token)
        account_id = token.get("account_id")
        membership = (
            Membership.objects.filter(user=user, account_id=account_id).only("role").first()
            if account_id
            else None
        )
        if membership is None:
            raise exceptions.AuthenticationFailed("Token is not valid for any account")
        credential = Credential(
            account_id=membership.account_id,
            scopes=ROLE_SCOPES[membership.role],
            kind="jwt",
            role=membership.role,
            extra={"jti": token.get("jti")},
        )
        request.account_id = membership.account_id
        return user, credential

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except TokenError as exc:
            raise InvalidToken(str(exc)) from exc
