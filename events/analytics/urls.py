"""Routes of the query endpoints (/raw, /aggregated, /analytics)."""

urlpatterns: list = []
