"""The event as Django sees it (GET/PATCH/admin). The table itself is created by SQL in
``migrations/0001``: range-partitioned by ``ts`` with the primary key ``(account_id, ts, id)``,
which Django cannot manage, so the model is unmanaged. Writes on the hot path use COPY
(:mod:`events.ingest.services`), not this model.
"""

from django.contrib.postgres.fields import ArrayField
from django.db import models


class Event(models.Model):
    # The real primary key is (account_id, ts, id); ``id`` is unique per account and is what
    # the API and admin address an event by.
    id = models.UUIDField(primary_key=True)
    account_id = models.UUIDField()
    ts = models.DateTimeField()
    received_at = models.DateTimeField()
    event_type = models.TextField()
    source = models.TextField()
    user_id = models.TextField(null=True, blank=True)
    session_id = models.TextField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True)
    priority = models.SmallIntegerField(null=True, blank=True)
    status = models.TextField()
    tags = ArrayField(models.TextField(), default=list, blank=True)
    data = models.JSONField(default=dict, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        managed = False
        db_table = "events"
        ordering = ("-ts",)

    def __str__(self) -> str:
        return f"{self.event_type} {self.id}"


# The analytics package's models (retention policies) live with it; importing them here is what
# registers them with Django under the ``events`` app.
from events.analytics.models import RetentionPolicy  # noqa: E402, F401
