"""Analytics: covering indexes on the per-eventType total rollups, so queries that need no
sketch (count, avg/min/max duration) read them with index-only scans instead of heap rows that
carry the sketch arrays."""

from django.db import migrations

LEVELS = ("1m", "5m", "15m", "1h", "1d")
INDEX = (
    "CREATE INDEX IF NOT EXISTS events_rollup_total_{level}_cover ON events_rollup_total_{level}"
    " (account_id, bucket) INCLUDE (event_type, event_count, duration_count, duration_sum,"
    " duration_min, duration_max);"
)
SQL = "".join(INDEX.format(level=level) for level in LEVELS)
REVERSE = "".join(f"DROP INDEX IF EXISTS events_rollup_total_{level}_cover;" for level in LEVELS)


class Migration(migrations.Migration):
    dependencies = [("events", "0011_analytics_rollup_totals")]

    operations = [migrations.RunSQL(SQL, REVERSE)]
