"""Routes of the query endpoints (/raw, /aggregated, /analytics)."""

from django.urls import path

from . import admin as _admin  # noqa: F401  (registers the retention policy admin)
from .views import AggregatedEventsView, AnalyticsView, RawEventsView

urlpatterns: list = [
    path("/raw", RawEventsView.as_view(), name="events-raw"),
    path("/aggregated", AggregatedEventsView.as_view(), name="events-aggregated"),
    path("/analytics", AnalyticsView.as_view(), name="events-analytics"),
]
