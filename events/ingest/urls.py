"""Routes of event ingestion and single events (POST "", POST /batch, GET/PATCH /<id>)."""

from django.urls import path

from events.ingest.views import EventBatchView, EventCreateView, EventDetailView

urlpatterns: list = [
    path("", EventCreateView.as_view(), name="events-create"),
    path("/batch", EventBatchView.as_view(), name="events-batch"),
    path("/<uuid:event_id>", EventDetailView.as_view(), name="events-detail"),
]
