"""The one place where requests are scoped to an account.

Every API view inherits :class:`AccountScopedMixin` (or the viewset built on it). The queryset a
view works on is always filtered by the credential's account; the unscoped path is spelled
``dangerously_unscoped_queryset`` so that it stands out in review.
"""

from __future__ import annotations

from rest_framework import permissions, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.views import APIView


class HasRequiredScope(permissions.BasePermission):
    """Checks ``view.required_scopes``: a scope string, or a dict of HTTP method -> scope."""

    def has_permission(self, request, view) -> bool:
        required = getattr(view, "required_scopes", None)
        if isinstance(required, dict):
            required = required.get(request.method, required.get("*"))
        if not required:
            return True
        credential = request.auth
        if credential is None or required not in getattr(credential, "scopes", ()):
            raise PermissionDenied(f"This credential lacks the '{required}' scope")
        return True


class AccountScopedMixin:
    permission_classes = [permissions.IsAuthenticated, HasRequiredScope]
    required_scopes: str | dict[str, str] | None = None
    account_field = "account_id"

    @property
    def account_id(self):
        credential = self.request.auth
        account_id = getattr(credential, "account_id", None)
        if account_id is None:
            raise PermissionDenied("No account is bound to this credential")
        return account_id

    def get_queryset(self):
        return self.dangerously_unscoped_queryset().filter(**{self.account_field: self.account_id})

    def dangerously_unscoped_queryset(self):
        return super().get_queryset()


class AccountScopedAPIView(AccountScopedMixin, APIView):
    """A plain API view bound to the caller's account (``self.account_id``)."""


class AccountScopedViewSet(AccountScopedMixin, viewsets.GenericViewSet):
    """A viewset whose queryset is always the caller's account's rows (another account's: 404)."""
