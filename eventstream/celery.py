"""The Celery app. Periodic tasks are declared here, in one place (beat stores them via
django-celery-beat's DatabaseScheduler, so staff can see and pause them in admin)."""

import os

from celery import Celery
from celery.signals import setup_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventstream.settings")

app = Celery("eventstream")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each app's (or sub-package's) `tasks` module.
app.autodiscover_tasks(
    ["accounts", "events", "events.ingest", "events.analytics", "webhooks", "exports"]
)

# Named queues: ingest processing, webhook delivery and exports scale separately.
app.conf.task_routes = {
    "events.*": {"queue": "events"},
    "webhooks.*": {"queue": "webhooks"},
    "exports.*": {"queue": "exports"},
}
MINUTE, HOUR = 60.0, 3600.0
app.conf.beat_schedule = {
    # Ingest: drain the outbox (safety net when a nudge was lost), partitions ahead, housekeeping.
    "events-outbox-drain": {"task": "events.outbox_drain", "schedule": 15.0},
    "events-partitions-ahead": {"task": "events.partitions_ahead", "schedule": HOUR},
    "events-ingest-housekeeping": {"task": "events.ingest_housekeeping", "schedule": HOUR},
    # Analytics: rollups refreshed from the watermark; retention drops whole partitions.
    "events-analytics-refresh-rollups": {
        "task": "events.analytics.refresh_rollups",
        "schedule": 10.0,
    },
    "events-analytics-enforce-retention": {
        "task": "events.analytics.enforce_retention",
        "schedule": HOUR,
    },
    # Accounts: API key usage counters (Redis -> database); expired refresh tokens.
    "accounts-flush-api-key-usage": {"task": "accounts.flush_api_key_usage", "schedule": MINUTE},
    "accounts-purge-expired-refresh-tokens": {
        "task": "accounts.purge_expired_refresh_tokens",
        "schedule": 6 * HOUR,
    },
}


@setup_logging.connect
def _use_django_logging(**kwargs):
    """Keep Celery from replacing our JSON logging configuration."""
    from django.conf import settings  # noqa: F401  (importing settings configures logging)
