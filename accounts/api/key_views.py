"""/api/auth/api-keys: create, list, revoke, rotate. Needs ``keys:manage`` (owner/admin JWT)."""

from __future__ import annotations

import math

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from accounts import selectors, services
from accounts.api import serializers as s
from accounts.ratelimit import RateLimitMixin
from accounts.scopes import API_KEY_SCOPES, KEYS_MANAGE, ROLE_SCOPES
from eventstream.core.errors import Forbidden, NotFound
from eventstream.core.tenancy import AccountScopedAPIView

TAGS = ["api-keys"]
_ERRORS = {
    401: OpenApiResponse(description="UNAUTHORIZED"),
    403: OpenApiResponse(description="FORBIDDEN (keys:manage scope missing)"),
    429: OpenApiResponse(description="RATE_LIMIT"),
}


def _key_body(api_key, **extra) -> dict:
    return s.ApiKeyOut(api_key).data | extra


class KeyManagementView(RateLimitMixin, AccountScopedAPIView):
    required_scopes = KEYS_MANAGE

    def get_key_or_404(self, key_id):
        api_key = selectors.api_key_get(account_id=self.account_id, key_id=key_id)
        if api_key is None:
            raise NotFound("API key not found")
        return api_key


class ApiKeyListCreateView(KeyManagementView):
    @extend_schema(
        tags=TAGS,
        parameters=[s.ApiKeyListQuery],
        responses={200: s.ApiKeyListOut} | _ERRORS,
        summary="List the account's API keys (never the secrets)",
    )
    def get(self, request):
        query = s.ApiKeyListQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, limit = query.validated_data["page"], query.validated_data["limit"]
        keys = selectors.api_key_list(
            account_id=self.account_id, include_revoked=query.validated_data["includeRevoked"]
        )
        total = keys.count()
        rows = selectors.api_keys_with_pending_usage(list(keys[(page - 1) * limit : page * limit]))
        return Response(
            {
                "data": s.ApiKeyOut(rows, many=True).data,
                "pagination": {
                    "page": page,
                    "limit": limit,
                    "total": total,
                    "totalPages": math.ceil(total / limit) if total else 0,
                },
            }
        )

    @extend_schema(
        tags=TAGS,
        request=s.ApiKeyCreateIn,
        responses={201: s.ApiKeyIssuedOut, 400: OpenApiResponse(description="VALIDATION_ERROR")}
        | _ERRORS,
        summary="Create an API key; the secret is in this response only",
    )
    def post(self, request):
        serializer = s.ApiKeyCreateIn(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        allowed = ROLE_SCOPES[request.auth.role] & API_KEY_SCOPES
        scopes = set(data.get("scopes") or allowed)
        if not scopes <= allowed:
            raise Forbidden(
                "Your role cannot grant these scopes",
                details={"scopes": sorted(scopes - allowed)},
            )
        issued = services.api_key_create(
            account_id=self.account_id,
            name=data["name"],
            scopes=scopes,
            expires_in=data.get("expiresIn"),
            created_by=request.user,
            request=request,
        )
        body = _key_body(issued.api_key, key=issued.raw_key)
        return Response(body, status=status.HTTP_201_CREATED)


_KEY_ID = OpenApiParameter("key_id", str, OpenApiParameter.PATH, description="API key id")


class ApiKeyDetailView(KeyManagementView):
    @extend_schema(
        tags=TAGS,
        parameters=[_KEY_ID],
        responses={204: None, 404: OpenApiResponse(description="NOT_FOUND")} | _ERRORS,
        summary="Revoke an API key now",
    )
    def delete(self, request, key_id):
        api_key = self.get_key_or_404(key_id)
        services.api_key_revoke(api_key=api_key, actor=request.user, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ApiKeyRotateView(KeyManagementView):
    @extend_schema(
        tags=TAGS,
        parameters=[_KEY_ID],
        request=None,
        responses={
            201: s.ApiKeyRotatedOut,
            404: OpenApiResponse(description="NOT_FOUND"),
            409: OpenApiResponse(description="CONFLICT_ERROR (revoked or expired key)"),
        }
        | _ERRORS,
        summary="Issue a new secret; the old one keeps working for API_KEY_ROTATION_GRACE",
    )
    def post(self, request, key_id):
        old = self.get_key_or_404(key_id)
        issued = services.api_key_rotate(api_key=old, actor=request.user, request=request)
        old.refresh_from_db(fields=["revoked_at"])
        body = _key_body(
            issued.api_key,
            key=issued.raw_key,
            replaces=str(old.id),
            oldKeyValidUntil=old.revoked_at.isoformat().replace("+00:00", "Z"),
        )
        return Response(body, status=status.HTTP_201_CREATED)
