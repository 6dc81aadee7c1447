"""DRF authentication: API keys (``X-API-Key`` or ``Authorization: Bearer esk_...``) and JWTs.

Both resolve the request to a :class:`~accounts.credentials.Credential` carrying the account,
so every view scopes by ``request.auth.account_id`` and nothing else.
"""

from __future__ import annotations

import uuid

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from accounts import key_cache, usage
from accounts.credentials import ApiKeyUser, Credential
from accounts.keys import looks_like_key
from accounts.scopes import ROLE_SCOPES
from accounts.selectors import membership_for_token
from accounts.tokens import access_token_is_denied


def _presented_key(request) -> str | None:
    meta = request.META  # not request.headers, which parses every header of the request
    key = meta.get("HTTP_X_API_KEY")
    if key:
        return key.strip()
    header = meta.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and looks_like_key(value.strip()):
        return value.strip()
    return None


class ApiKeyAuthentication(BaseAuthentication):
    """Looks the key up by the SHA-256 of the secret (cached briefly in-process and in Redis,
    invalidated on every change of the key row); counts the use in Redis, never with a database
    write (in the rate limiter's round trip when the view defers it)."""

    def authenticate(self, request):
        key = _presented_key(request)
        if key is None:
            return None
        entry = key_cache.resolve(key)
        if entry is None:
            raise exceptions.AuthenticationFailed("Invalid API key")
        problem = entry.problem()
        if problem:
            raise exceptions.AuthenticationFailed(problem)
        credential = Credential(
            account_id=entry.account_id,
            scopes=entry.scopes,
            kind="api_key",
            api_key_id=entry.id,
        )
        usage.use_api_key(request, entry.id)
        request.account_id = entry.account_id
        return ApiKeyUser(entry.id), credential

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class AccountJWTAuthentication(JWTAuthentication):
    """simplejwt access tokens carrying an ``account_id`` claim, checked against the membership.

    One query loads the user, the membership and the user's token version (bumped by password
    change/reset, which revokes every older token); one Redis read checks the logout denylist.
    The algorithm is pinned (HS256): ``alg: none`` and other algorithms fail verification.
    """

    def authenticate(self, request):
        header = self.get_header(request)
        if header is None:
            return None
        raw = self.get_raw_token(header)
        if raw is None:
            return None
        token = self.get_validated_token(raw)
        try:
            user_id = token[jwt_settings.USER_ID_CLAIM]
            account_id = uuid.UUID(str(token.get("account_id")))
        except (KeyError, ValueError) as exc:
            raise exceptions.AuthenticationFailed("Token is not valid for any account") from exc
        membership = membership_for_token(user_id=user_id, account_id=account_id)
        if membership is None:
            raise exceptions.AuthenticationFailed("Token is not valid for any account")
        if int(token.get("tv", 0)) != membership.token_version:
            raise exceptions.AuthenticationFailed("Token has been revoked")
        jti = token.get(jwt_settings.JTI_CLAIM)
        if jti and access_token_is_denied(jti):
            raise exceptions.AuthenticationFailed("Token has been revoked")
        credential = Credential(
            account_id=membership.account_id,
            scopes=ROLE_SCOPES[membership.role],
            kind="jwt",
            role=membership.role,
            extra={"jti": jti, "exp": token.get("exp"), "user_id": membership.user_id},
        )
        request.account_id = membership.account_id
        return membership.user, credential

    def get_validated_token(self, raw_token):
        try:
            return super().get_validated_token(raw_token)
        except (InvalidToken, TokenError) as exc:
            raise exceptions.AuthenticationFailed("Invalid or expired token") from exc
