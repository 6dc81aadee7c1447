"""/api/auth: register, login, refresh, logout, me, change-password, password reset."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import permissions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.ratelimit import RateLimit, RateLimitMixin
from accounts.scopes import ROLE_SCOPES
from accounts.tokens import TokenPair
from eventstream.core.tenancy import AccountScopedAPIView

TAGS = ["auth"]
_ERRORS = {
    400: OpenApiResponse(description="VALIDATION_ERROR"),
    401: OpenApiResponse(description="UNAUTHORIZED"),
    429: OpenApiResponse(description="RATE_LIMIT (Retry-After, RateLimit headers)"),
}


def _login_username(request) -> str:
    data = request.data if isinstance(request.data, dict) else {}
    return str(data.get("username", "")).strip().lower()


def _pair(pair: TokenPair) -> dict:
    return {
        "accessToken": pair.access,
        "refreshToken": pair.refresh,
        "tokenType": "Bearer",
        "expiresIn": pair.expires_in,
        "accountId": str(pair.account_id),
    }


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


class PublicAuthView(RateLimitMixin, APIView):
    """Endpoints for callers without a token: limited per client IP."""

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]


class IsUserToken(permissions.BasePermission):
    message = "This endpoint needs a user's access token, not an API key"

    def has_permission(self, request, view) -> bool:
        return getattr(request.auth, "kind", None) == "jwt"


class UserTokenView(RateLimitMixin, AccountScopedAPIView):
    permission_classes = [*AccountScopedAPIView.permission_classes, IsUserToken]


class RegisterView(PublicAuthView):
    rate_limits = (RateLimit("register", "RATELIMIT_REGISTER", key="ip"),)

    @extend_schema(
        tags=TAGS,
        request=s.RegisterIn,
        responses={201: s.RegisterOut, 409: OpenApiResponse(description="CONFLICT_ERROR")}
        | _ERRORS,
        summary="Create a user and a new account owned by them",
    )
    def post(self, request):
        data = _valid(s.RegisterIn, request)
        result = services.user_register(
            username=data["username"], password=data["password"], request=request
        )
        body = {
            "id": result.user.pk,
            "username": result.user.username,
            "accountId": str(result.account.id),
            "role": result.membership.role,
        }
        return Response(body, status=status.HTTP_201_CREATED)


class LoginView(PublicAuthView):
    rate_limits = (
        RateLimit("login", "RATELIMIT_LOGIN", key="ip"),
        RateLimit("login-username", "RATELIMIT_LOGIN_PER_USERNAME", key=_login_username),
    )

    @extend_schema(
        tags=TAGS,
        request=s.LoginIn,
        responses={200: s.TokenPairOut, 403: OpenApiResponse(description="FORBIDDEN")} | _ERRORS,
        summary="Exchange username and password for an access and a refresh token",
    )
    def post(self, request):
        data = _valid(s.LoginIn, request)
        pair = services.user_login(
            username=data["username"],
            password=data["password"],
            account_id=data.get("accountId"),
            request=request,
        )
        return Response(_pair(pair))


class RefreshView(PublicAuthView):
    rate_limits = (RateLimit("token", "RATELIMIT_TOKEN", key="ip"),)

    @extend_schema(
        tags=TAGS,
        request=s.RefreshIn,
        responses={200: s.TokenPairOut} | _ERRORS,
        summary="Rotate a refresh token (the used one is blacklisted) for a new pair",
    )
    def post(self, request):
        data = _valid(s.RefreshIn, request)
        return Response(_pair(services.session_refresh(refresh_token=data["refreshToken"])))


class LogoutView(UserTokenView):
    rate_limits = (RateLimit("token", "RATELIMIT_TOKEN"),)

    @extend_schema(
        tags=TAGS,
        request=s.LogoutIn,
        responses={204: None} | _ERRORS,
        summary="Revoke the access token in use and the given refresh token",
    )
    def post(self, request):
        data = _valid(s.LogoutIn, request)
        services.session_logout(
            user=request.user,
            credential=request.auth,
            refresh_token=data.get("refreshToken") or None,
            request=request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(UserTokenView):
    @extend_schema(tags=TAGS, responses={200: s.MeOut} | _ERRORS, summary="The current user")
    def get(self, request):
        user, credential = request.user, request.auth
        memberships = selectors.user_memberships(user=user)
        body = {
            "id": user.pk,
            "username": user.username,
            "email": user.email,
            "accountId": str(credential.account_id),
            "role": credential.role,
            "scopes": sorted(ROLE_SCOPES[credential.role]),
            "accounts": s.MembershipOut(memberships, many=True).data,
        }
        return Response(body)


class ChangePasswordView(UserTokenView):
    rate_limits = (RateLimit("change-password", "RATELIMIT_LOGIN"),)

    @extend_schema(
        tags=TAGS,
        request=s.ChangePasswordIn,
        responses={200: s.TokenPairOut} | _ERRORS,
        summary="Change the password; every token issued before stops working",
        description="Answers with a fresh token pair for the current account.",
    )
    def post(self, request):
        data = _valid(s.ChangePasswordIn, request)
        pair = services.user_change_password(
            user=request.user,
            account_id=request.auth.account_id,
            current_password=data["currentPassword"],
            new_password=data["newPassword"],
            request=request,
        )
        return Response(_pair(pair))


class PasswordResetView(PublicAuthView):
    rate_limits = (RateLimit("password-reset", "RATELIMIT_PASSWORD_RESET", key="ip"),)

    @extend_schema(
        tags=TAGS,
        request=s.PasswordResetIn,
        responses={202: s.AcceptedOut} | _ERRORS,
        summary="Mail a single-use reset token (same answer whether the user exists or not)",
    )
    def post(self, request):
        data = _valid(s.PasswordResetIn, request)
        services.password_reset_request(username=data["username"], request=request)
        message = "If the user exists, a reset token has been sent to their email address"
        return Response({"message": message}, status=status.HTTP_202_ACCEPTED)


class PasswordResetConfirmView(PublicAuthView):
    rate_limits = (RateLimit("password-reset-confirm", "RATELIMIT_PASSWORD_RESET", key="ip"),)

    @extend_schema(
        tags=TAGS,
        request=s.PasswordResetConfirmIn,
        responses={204: None} | _ERRORS,
        summary="Set a new password with a reset token; every existing token is revoked",
    )
    def post(self, request):
        data = _valid(s.PasswordResetConfirmIn, request)
        services.password_reset_confirm(
            token=data["token"], new_password=data["newPassword"], request=request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
