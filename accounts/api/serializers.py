"""Request and response shapes of /api/auth (camelCase on the wire)."""

from __future__ import annotations

from rest_framework import serializers

from accounts.scopes import API_KEY_SCOPES
from eventstream.core.durations import parse_duration

MAX_KEY_LIFETIME_DAYS = 3650


class RegisterIn(serializers.Serializer):
    username = serializers.CharField(max_length=150, trim_whitespace=True)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RegisterOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    accountId = serializers.UUIDField()
    role = serializers.CharField()


class LoginIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    accountId = serializers.UUIDField(required=False, allow_null=True)


class TokenPairOut(serializers.Serializer):
    accessToken = serializers.CharField()
    refreshToken = serializers.CharField()
    tokenType = serializers.CharField(default="Bearer")
    expiresIn = serializers.IntegerField(help_text="Access token lifetime in seconds")
    accountId = serializers.UUIDField()


class RefreshIn(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096)


class LogoutIn(serializers.Serializer):
    refreshToken = serializers.CharField(max_length=4096, required=False, allow_blank=True)


class ChangePasswordIn(serializers.Serializer):
    currentPassword = serializers.CharField(max_length=256, trim_whitespace=False)
    newPassword = serializers.CharField(max_length=256, trim_whitespace=False)


class PasswordResetIn(serializers.Serializer):
    username = serializers.CharField(max_length=150)


class PasswordResetConfirmIn(serializers.Serializer):
    token = serializers.CharField(max_length=512)
    newPassword = serializers.CharField(max_length=256, trim_whitespace=False)


class AcceptedOut(serializers.Serializer):
    message = serializers.CharField()


class MembershipOut(serializers.Serializer):
    accountId = serializers.UUIDField(source="account_id")
    name = serializers.CharField(source="account.name")
    role = serializers.CharField()


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    accountId = serializers.UUIDField()
    role = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    accounts = MembershipOut(many=True)


class ApiKeyCreateIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    expiresIn = serializers.CharField(
        required=False, allow_null=True, help_text='e.g. "30d", "12h"; omitted: never expires'
    )
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(API_KEY_SCOPES)),
        required=False,
        allow_empty=False,
        help_text="Defaults to every key scope the caller's role grants",
    )

    def validate_expiresIn(self, value):
        if value in (None, ""):
            return None
        try:
            duration = parse_duration(value)
        except ValueError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        if duration.days > MAX_KEY_LIFETIME_DAYS:
            raise serializers.ValidationError(f"at most {MAX_KEY_LIFETIME_DAYS}d")
        return duration


class ApiKeyOut(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    prefix = serializers.CharField()
    scopes = serializers.ListField(child=serializers.CharField())
    createdAt = serializers.DateTimeField(source="created_at")
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    revokedAt = serializers.DateTimeField(source="revoked_at", allow_null=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", allow_null=True)
    usageCount = serializers.IntegerField(source="usage_count")
    replacedBy = serializers.UUIDField(source="replaced_by_id", allow_null=True)


class ApiKeyIssuedOut(ApiKeyOut):
    key = serializers.CharField(help_text="The secret: shown only in this response")


class ApiKeyRotatedOut(ApiKeyIssuedOut):
    replaces = serializers.UUIDField()
    oldKeyValidUntil = serializers.DateTimeField()


class ApiKeyListQuery(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)
    includeRevoked = serializers.BooleanField(default=False)


class PaginationOut(serializers.Serializer):
    page = serializers.IntegerField()
    limit = serializers.IntegerField()
    total = serializers.IntegerField()
    totalPages = serializers.IntegerField()


class ApiKeyListOut(serializers.Serializer):
    data = ApiKeyOut(many=True)
    pagination = PaginationOut()
