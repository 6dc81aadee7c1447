"""Routes of event ingestion and single events (POST "", POST /batch, GET/PATCH /<id>)."""

urlpatterns: list = []
