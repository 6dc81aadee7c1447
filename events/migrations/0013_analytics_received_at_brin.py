"""Analytics: replace the btree ``(account_id, received_at)`` on events by a BRIN index on
``received_at``.

Rows are appended in receipt order, so within each daily partition ``received_at`` follows the
physical order: a BRIN index finds "received after the watermark" (the not-yet-materialized
tail, the refresh's delta, the cache's validity check) by reading only the recently appended
page ranges, for ~24 KiB per partition instead of ~68 bytes per event (measured on 10M events,
see BENCHMARKS.md "Storage"), and costs the ingest path almost nothing. A BRIN index never
misses a row (a PATCH that moves a tuple only widens its range's summary); page ranges not yet
summarized are always read, and autosummarize keeps that to the newest range.
"""

from django.db import migrations

FORWARD = """
DROP INDEX IF EXISTS events_account_received_idx;
CREATE INDEX events_received_brin ON events USING brin (received_at)
    WITH (pages_per_range = 32, autosummarize = on);
"""
REVERSE = """
DROP INDEX IF EXISTS events_received_brin;
CREATE INDEX events_account_received_idx ON events (account_id, received_at);
"""


class Migration(migrations.Migration):
    dependencies = [("events", "0012_analytics_totals_covering_index")]

    operations = [migrations.RunSQL(FORWARD, REVERSE)]
