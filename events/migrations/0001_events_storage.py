"""The events table (range-partitioned by ``ts``, or a hypertable on TimescaleDB), the
client-id dedup table, idempotency records and the transactional outbox.

The column contract of ``events`` is shared with the analytics code: do not rename columns.
"""

import django.contrib.postgres.fields
from django.db import migrations, models

EVENT_COLUMNS = """
    account_id  uuid             NOT NULL,
    id          uuid             NOT NULL,
    ts          timestamptz      NOT NULL,
    received_at timestamptz      NOT NULL,
    event_type  text             NOT NULL,
    source      text             NOT NULL,
    user_id     text             NULL,
    session_id  text             NULL,
    duration    double precision NULL,
    priority    smallint         NULL,
    status      text             NOT NULL,
    tags        text[]           NOT NULL DEFAULT '{}',
    data        jsonb            NOT NULL DEFAULT '{}',
    metadata    jsonb            NOT NULL DEFAULT '{}',
    updated_at  timestamptz      NULL,
    PRIMARY KEY (account_id, ts, id)
"""

CREATE_EVENTS = """
DO $do$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        EXECUTE $q$CREATE TABLE events (@COLUMNS@)$q$;
        EXECUTE $$SELECT create_hypertable('events', 'ts',
                    chunk_time_interval => interval '1 day')$$;
    ELSE
        EXECUTE $q$CREATE TABLE events (@COLUMNS@) PARTITION BY RANGE (ts)$q$;
    END IF;
END
$do$;

-- lz4 TOAST compression for the JSON columns where the server was built with it.
DO $do$
BEGIN
    ALTER TABLE events ALTER COLUMN data SET COMPRESSION lz4;
    ALTER TABLE events ALTER COLUMN metadata SET COMPRESSION lz4;
EXCEPTION WHEN others THEN
    RAISE NOTICE 'lz4 compression unavailable, keeping the default';
END
$do$;

-- Client-supplied ids, unique per account across all partitions (server ids are UUIDv7 and
-- need no entry). ts lets GET find the partition.
CREATE TABLE event_client_ids (
    account_id uuid        NOT NULL,
    id         uuid        NOT NULL,
    ts         timestamptz NOT NULL,
    PRIMARY KEY (account_id, id)
);

CREATE TABLE event_idempotency_keys (
    account_id   uuid        NOT NULL,
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status_code  smallint    NOT NULL,
    body         bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, key)
);
CREATE INDEX event_idempotency_keys_created_idx ON event_idempotency_keys (created_at);

CREATE TABLE outbox (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        text        NOT NULL,
    account_id   uuid        NULL,
    payload      jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz NOT NULL DEFAULT now(),
    processed_at timestamptz NULL,
    attempts     integer     NOT NULL DEFAULT 0,
    last_error   text        NULL
);
CREATE INDEX outbox_pending_idx ON outbox (id) WHERE processed_at IS NULL;
""".replace("@COLUMNS@", EVENT_COLUMNS)

DROP_ALL = """
DROP TABLE IF EXISTS outbox;
DROP TABLE IF EXISTS event_idempotency_keys;
DROP TABLE IF EXISTS event_client_ids;
DROP TABLE IF EXISTS events CASCADE;
"""


def create_initial_partitions(apps, schema_editor):
    from datetime import timedelta

    from django.utils import timezone

    from events.partitions import partition_ensure_range

    today = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    partition_ensure_range(today - timedelta(days=7), today + timedelta(days=8))


class Migration(migrations.Migration):
    initial = True
    dependencies: list = []

    operations = [
        migrations.RunSQL(CREATE_EVENTS, DROP_ALL),
        migrations.RunPython(create_initial_partitions, migrations.RunPython.noop),
        migrations.CreateModel(
            name="Event",
            fields=[
                ("id", models.UUIDField(primary_key=True, serialize=False)),
                ("account_id", models.UUIDField()),
                ("ts", models.DateTimeField()),
                ("received_at", models.DateTimeField()),
                ("event_type", models.TextField()),
                ("source", models.TextField()),
                ("user_id", models.TextField(blank=True, null=True)),
                ("session_id", models.TextField(blank=True, null=True)),
                ("duration", models.FloatField(blank=True, null=True)),
                ("priority", models.SmallIntegerField(blank=True, null=True)),
                ("status", models.TextField()),
                (
                    "tags",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.TextField(), blank=True, default=list, size=None
                    ),
                ),
                ("data", models.JSONField(blank=True, default=dict)),
                ("metadata", models.JSONField(blank=True, default=dict)),
                ("updated_at", models.DateTimeField(blank=True, null=True)),
            ],
            options={"db_table": "events", "managed": False, "ordering": ("-ts",)},
        ),
    ]
