"""Celery tasks of the analytics package (scheduled in eventstream/celery.py)."""

from celery import shared_task

from .refresh import rollup_refresh
from .retention import retention_enforce


@shared_task(name="events.analytics.refresh_rollups", ignore_result=True)
def refresh_rollups() -> dict:
    result = rollup_refresh()
    return {"refreshed": result.refreshed, "events": result.events}


@shared_task(name="events.analytics.enforce_retention", ignore_result=True)
def enforce_retention() -> dict:
    result = retention_enforce()
    return {"dropped": result.dropped, "keptForRefresh": result.kept_for_refresh}
