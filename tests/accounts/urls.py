"""Views that exercise the reusable rate-limit helpers the way other apps use them."""

from django.urls import include, path
from rest_framework.response import Response

from accounts.ratelimit import RateLimit, RateLimitMixin, rate_limited
from eventstream.core.tenancy import AccountScopedAPIView


class MixinLimited(RateLimitMixin, AccountScopedAPIView):
    required_scopes = "events:read"
    rate_limits = (RateLimit("test-mixin", "3/m"),)

    def get(self, request):
        return Response({"ok": True})


class DecoratorLimited(AccountScopedAPIView):
    required_scopes = "events:read"

    @rate_limited(RateLimit("test-decorator", "2/m"))
    def get(self, request):
        return Response({"ok": True})

    def post(self, request):  # not limited
        return Response({"ok": True})


urlpatterns = [
    path("limited/mixin", MixinLimited.as_view()),
    path("limited/decorator", DecoratorLimited.as_view()),
    path("", include("eventstream.urls")),
]
