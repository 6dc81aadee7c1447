"""Analytics: rollup tables per level, the refresh watermark, the DDSketch merge function,
retention policies, and two indexes on ``events`` that the query path needs.

Indexes added to the ingest-owned ``events`` table (kept here so migration 0001 stays theirs):
- ``(account_id, received_at)``: the not-yet-materialized tail (``received_at > watermark``) read
  by every aggregate query and by the refresher, and the cache's per-account data version.
- ``(account_id, updated_at) WHERE updated_at IS NOT NULL``: PATCHed events, whose rollup
  buckets are dirty until the next refresh.
"""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

LEVELS = ("1m", "5m", "15m", "1h", "1d")

ROLLUP_TABLE = """
CREATE TABLE events_rollup_{level} (
    account_id     uuid             NOT NULL,
    bucket         timestamptz      NOT NULL,
    event_type     text             NOT NULL,
    source         text             NOT NULL,
    status         text             NOT NULL,
    event_count    bigint           NOT NULL,
    duration_count bigint           NOT NULL,
    duration_sum   double precision NOT NULL DEFAULT 0,
    duration_min   double precision NULL,
    duration_max   double precision NULL,
    sketch_keys    integer[]        NOT NULL DEFAULT '{{}}',
    sketch_counts  integer[]        NOT NULL DEFAULT '{{}}',
    PRIMARY KEY (account_id, bucket, event_type, source, status)
) PARTITION BY RANGE (bucket);
"""

ROLLUP_TABLES = "".join(ROLLUP_TABLE.format(level=level) for level in LEVELS)
OTHER_SQL = """
CREATE TABLE events_rollup_state (
    id           smallint    PRIMARY KEY CHECK (id = 1),
    watermark    timestamptz NOT NULL,
    refreshed_at timestamptz NULL
);
INSERT INTO events_rollup_state (id, watermark) VALUES (1, '2000-01-01T00:00:00Z');

-- Sum two sparse DDSketches (sorted keys with their counts).
CREATE FUNCTION events_sketch_merge(k1 integer[], c1 integer[], k2 integer[], c2 integer[],
                                    OUT keys integer[], OUT counts integer[])
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(k ORDER BY k), '{}'), coalesce(array_agg(n ORDER BY k), '{}')
    FROM (SELECT k, sum(c)::integer AS n
          FROM (SELECT * FROM unnest(k1, c1) UNION ALL SELECT * FROM unnest(k2, c2)) u(k, c)
          GROUP BY k) s
$$;

CREATE INDEX events_account_received_idx ON events (account_id, received_at);
CREATE INDEX events_account_updated_idx ON events (account_id, updated_at)
    WHERE updated_at IS NOT NULL;
"""
SQL = ROLLUP_TABLES + OTHER_SQL

REVERSE = (
    "DROP INDEX IF EXISTS events_account_updated_idx;"
    "DROP INDEX IF EXISTS events_account_received_idx;"
    "DROP FUNCTION IF EXISTS events_sketch_merge(integer[], integer[], integer[], integer[]);"
    "DROP TABLE IF EXISTS events_rollup_state;"
    + "".join(f"DROP TABLE IF EXISTS events_rollup_{level} CASCADE;" for level in LEVELS)
)


def _days(default, help_text):
    return models.PositiveIntegerField(
        default=default,
        help_text=help_text,
        validators=[
            django.core.validators.MinValueValidator(1),
            django.core.validators.MaxValueValidator(36500),
        ],
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("events", "0001_events_storage"),
    ]

    operations = [
        migrations.RunSQL(SQL, REVERSE),
        migrations.CreateModel(
            name="RetentionPolicy",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("raw_days", _days(90, "Days of raw events kept.")),
                ("rollup_1m_days", _days(7, "Days of 1-minute rollups.")),
                ("rollup_5m_days", _days(30, "Days of 5-minute rollups.")),
                ("rollup_15m_days", _days(90, "Days of 15-minute rollups.")),
                ("rollup_1h_days", _days(395, "Days of hourly rollups.")),
                ("rollup_1d_days", _days(1825, "Days of daily rollups.")),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "account",
                    models.OneToOneField(
                        blank=True,
                        help_text="Empty for the global default.",
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="retention_policy",
                        to="accounts.account",
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "retention policies",
                "db_table": "events_retention_policy",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("account",),
                        name="retention_policy_one_per_account",
                        nulls_distinct=False,
                    )
                ],
            },
        ),
    ]
