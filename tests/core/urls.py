"""A URLconf for exercising the error handler with a real DRF validation error."""

from django.core.exceptions import PermissionDenied
from django.urls import include, path
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.response import Response

from eventstream.core.tenancy import AccountScopedAPIView


class _Payload(serializers.Serializer):
    name = serializers.CharField(max_length=5)
    count = serializers.IntegerField(min_value=0)


@api_view(["POST"])
@authentication_classes([])
@permission_classes([])
def validate(request):
    _Payload(data=request.data).is_valid(raise_exception=True)
    return Response({"ok": True})


@api_view(["GET"])
@authentication_classes([])
@permission_classes([])
def crash(request):
    raise RuntimeError("boom")


class WhoAmI(AccountScopedAPIView):
    """Exercises the tenancy base: answers with the caller's account, needs events:read."""

    required_scopes = {"GET": "events:read"}

    def get(self, request):
        return Response({"account": str(self.account_id), "kind": request.auth.kind})


def denied(request):
    raise PermissionDenied


urlpatterns = [
    path("denied", denied),
    path("whoami", WhoAmI.as_view()),
    path("validate", validate),
    path("crash", crash),
    path("", include("eventstream.urls")),
]
