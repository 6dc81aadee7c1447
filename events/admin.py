"""Admin: events are read-only here (they arrive through the API), browsed newest first.

The table is partitioned and large, so the change list never counts it exactly and looks an
event up through the time its id encodes (one partition) instead of scanning every partition.
"""

import uuid

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connection
from django.utils.functional import cached_property

from events.ingest.uuid7 import uuid7_time_range
from events.models import Event


class EstimatedCountPaginator(Paginator):
    """Unfiltered lists use the planner's row estimate instead of ``COUNT(*)``."""

    @cached_property
    def count(self) -> int:
        if self.object_list.query.where:
            return super().count
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COALESCE(sum(c.reltuples), 0)::bigint FROM pg_inherits i"
                " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'events'::regclass"
            )
            return max(int(cursor.fetchone()[0]), 0)


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ("ts", "event_type", "source", "status", "account_id", "id")
    ordering = ("-ts",)
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_per_page = 50
    search_fields = ("=id", "=account_id")
    search_help_text = "An exact event id or account id"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_object(self, request, object_id, from_field=None):
        try:
            event_id = uuid.UUID(str(object_id))
        except ValueError:
            return None
        queryset = self.get_queryset(request).filter(id=event_id)
        window = uuid7_time_range(event_id)
        if window is not None:
            found = queryset.filter(ts__gte=window[0], ts__lt=window[1]).first()
            if found is not None:
                return found
        return queryset.first()  # a client-supplied id: no time hint


# The analytics sub-package keeps its admin (retention policies) in its own module.
from events.analytics import admin as _analytics_admin  # noqa: E402, F401
