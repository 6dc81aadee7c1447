"""/api/events/...: ingestion and single events (events.ingest), queries (events.analytics)."""

from events.analytics.urls import urlpatterns as analytics_urls
from events.ingest.urls import urlpatterns as ingest_urls

# Query routes first: "/raw", "/aggregated", "/analytics" must not be read as event ids.
urlpatterns = [*analytics_urls, *ingest_urls]
