"""Load a realistic synthetic data set fast: rows are generated inside PostgreSQL.

    python manage.py load_demo_events --events 10000000 --days 30

Events are spread over the last ``--days`` days for ``--accounts`` demo accounts (the first gets
the largest share), with ``--event-types`` skewed event types, ``--sources`` sources,
``--users`` users (skewed: a few very active), sessions per user, log-normal durations,
mostly-ok statuses, 0-3 tags, and small ``data``/``metadata`` objects. Every row is received
"now" (``received_at`` = the statement's time), after any rollup watermark, as a real ingest
would be: rows received in the past would fall behind the watermark and never be
materialized. One INSERT .. SELECT
per (account, day) keeps the rows in time order per partition; a progress bar shows the rate.
Then the rollups are refreshed and the table analyzed.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta

from django.core.management.base import BaseCommand
from django.db import connection

from accounts.models import Account
from events.analytics.refresh import rollup_refresh
from events.partitions import partition_ensure_range

INSERT = """
INSERT INTO events (account_id, id, ts, received_at, event_type, source, user_id, session_id,
                    duration, priority, status, tags, data, metadata)
SELECT %(account)s, gen_random_uuid(), g.ts,
       now(),
       'event_' || lpad((floor(%(types)s * power(random(), 2)))::int::text, 2, '0'),
       (ARRAY['web', 'ios', 'android', 'api', 'backend'])[1 + floor(random() * %(sources)s)::int],
       'user_' || g.u,
       'session_' || g.u || '_' || floor(random() * 4)::int,
       CASE WHEN random() < 0.05 THEN NULL
            ELSE round((exp(4.5 + 0.9 * sqrt(-2 * ln(1 - random()))
                        * cos(2 * pi() * random())))::numeric, 1)::float8 END,
       floor(random() * 6)::smallint,
       CASE WHEN g.r < 0.90 THEN 'ok' WHEN g.r < 0.96 THEN 'error' ELSE 'slow' END,
       CASE floor(random() * 8)::int
            WHEN 0 THEN ARRAY[]::text[] WHEN 1 THEN ARRAY['frontend']
            WHEN 2 THEN ARRAY['frontend', 'performance'] WHEN 3 THEN ARRAY['backend']
            WHEN 4 THEN ARRAY['backend', 'billing', 'critical'] WHEN 5 THEN ARRAY['mobile']
            WHEN 6 THEN ARRAY['mobile', 'performance'] ELSE ARRAY['experiment'] END,
       jsonb_build_object(
           'page', '/p/' || floor(random() * 500)::int,
           'country', (ARRAY['US', 'FR', 'DE', 'IN', 'BR', 'JP', 'GB', 'CA', 'ES', 'MX'])
                      [1 + floor(random() * 10)::int],
           'device', CASE WHEN random() < 0.6 THEN 'mobile' ELSE 'desktop' END),
       jsonb_build_object('version', '1.' || floor(random() * 5)::int,
                          'environment', 'production')
FROM (
    SELECT %(start)s::timestamptz + (n::float8 / %(rows)s) * interval '1 day'
               + make_interval(secs => random()) AS ts,
           floor(%(users)s * power(random(), 1.5))::int AS u,
           random() AS r
    FROM generate_series(0, %(rows)s - 1) AS n
) g
"""


class Command(BaseCommand):
    help = "Load synthetic events (default 10M over 30 days) into the events table."

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000_000)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--accounts", type=int, default=3)
        parser.add_argument("--event-types", type=int, default=20)
        parser.add_argument("--sources", type=int, default=5)
        parser.add_argument("--users", type=int, default=100_000)
        parser.add_argument("--no-refresh", action="store_true")

    def _accounts(self, count: int) -> list[Account]:
        accounts = []
        for n in range(1, count + 1):
            account, _ = Account.objects.get_or_create(name=f"demo-{n}")
            accounts.append(account)
        return accounts

    def _progress(self, done: int, total: int, started: float) -> None:
        width = 40
        filled = int(width * done / total)
        rate = done / max(time.monotonic() - started, 1e-6)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done:,}/{total:,} events  {rate:,.0f}/s "
        )
        sys.stderr.flush()

    def handle(self, *args, **opts):
        total, days = opts["events"], opts["days"]
        accounts = self._accounts(opts["accounts"])
        weights = [2.0**-i for i in range(len(accounts))]
        shares = [w / sum(weights) for w in weights]
        end = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
        start = end - timedelta(days=days)
        partition_ensure_range(start, end + timedelta(days=2))
        started, done = time.monotonic(), 0
        for day in range(days):
            day_start = start + timedelta(days=day)
            for account, share in zip(accounts, shares, strict=True):
                rows = int(total * share / days)
                with connection.cursor() as cursor:
                    cursor.execute(
                        INSERT,
                        {
                            "account": account.id,
                            "start": day_start,
                            "rows": rows,
                            "types": opts["event_types"],
                            "sources": min(opts["sources"], 5),
                            "users": opts["users"],
                        },
                    )
                done += rows
                self._progress(done, total, started)
        sys.stderr.write("\n")
        elapsed = time.monotonic() - started
        self.stdout.write(f"inserted {done:,} events in {elapsed:.1f}s ({done / elapsed:,.0f}/s)")
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE events")
        if not opts["no_refresh"]:
            began = time.monotonic()
            result = rollup_refresh()
            self.stdout.write(
                f"rollups refreshed to {result.watermark} ({result.events:,} events) "
                f"in {time.monotonic() - began:.1f}s"
            )
        for account in accounts:
            self.stdout.write(f"account {account.name}: {account.id}")
