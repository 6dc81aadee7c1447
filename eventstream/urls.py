from django.contrib import admin
from django.urls import include, path
from django_prometheus.exports import ExportToDjangoView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from eventstream.core import health

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("healthz/details", health.healthz_details, name="healthz-details"),
    path("metrics", ExportToDjangoView, name="prometheus-metrics"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs", SpectacularSwaggerView.as_view(url_name="schema"), name="docs"),
    path("api/auth/", include("accounts.urls")),
    path("api/events", include("events.urls")),
    path("api/webhooks", include("webhooks.urls")),
    path("api/export/", include("exports.urls")),
    path("admin/", admin.site.urls),
]
