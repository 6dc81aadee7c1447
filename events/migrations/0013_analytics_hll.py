"""Analytics: HyperLogLog sketches of distinct users, sessions and tags on the hourly and daily
per-eventType totals (used by ``approximate=true``), and the SQL functions that build and estimate
them. A sketch is a ``bit varying`` of 1024 registers of 32 bits each; a register holding rank r
has its r low bits set (a thermometer code), so merging sketches is the native ``bit_or``
aggregate (element-wise max of the registers) and a register's value is its ``bit_count``."""

from django.db import migrations

LEVELS = ("1m", "5m", "15m", "1h", "1d")
COLUMNS = "".join(
    f"ALTER TABLE events_rollup_total_{level} ADD COLUMN hll_users bit varying NULL,"
    " ADD COLUMN hll_sessions bit varying NULL, ADD COLUMN hll_tags bit varying NULL;"
    for level in LEVELS
)
FUNCTIONS = """
-- One sketch from (register index, rank) pairs: the max rank per register, thermometer-coded.
CREATE FUNCTION events_hll_build(idx integer[], rnk integer[]) RETURNS bit varying
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT string_agg(lpad(repeat('1', coalesce(s.r, 0)), 32, '0'), '' ORDER BY j)::bit varying
    FROM generate_series(0, 1023) j
    LEFT JOIN (SELECT i, max(r) AS r FROM unnest(idx, rnk) u(i, r) GROUP BY i) s ON s.i = j
$$;

-- Rank of a 64-bit hash: 1 + the position of the first 1-bit above the 10 index bits (max 32).
CREATE FUNCTION events_hll_rank(h bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN (h >> 10) = 0 THEN 32
           ELSE least(32, round(ln(((h >> 10) & -(h >> 10))::float8) / ln(2.0))::integer + 1)
           END
$$;

-- Union of two sketches (NULL: empty).
CREATE FUNCTION events_hll_union(a bit varying, b bit varying) RETURNS bit varying
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE a | b END
$$;

-- HyperLogLog estimate (Flajolet et al.) with the linear-counting small-range correction.
CREATE FUNCTION events_hll_estimate(s bit varying) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN e <= 2.5 * 1024 AND v > 0 THEN 1024 * ln(1024.0 / v) ELSE e END
    FROM (SELECT (0.7213 / (1 + 1.079 / 1024)) * 1024 * 1024 / sum(power(2.0::float8, -c)) AS e,
                 count(*) FILTER (WHERE c = 0) AS v
          FROM (SELECT bit_count(substring(s FROM j * 32 + 1 FOR 32)) AS c
                FROM generate_series(0, 1023) j) r) x
$$;
"""
SQL = COLUMNS + FUNCTIONS
REVERSE = (
    "DROP FUNCTION IF EXISTS events_hll_estimate(bit varying);"
    "DROP FUNCTION IF EXISTS events_hll_union(bit varying, bit varying);"
    "DROP FUNCTION IF EXISTS events_hll_rank(bigint);"
    "DROP FUNCTION IF EXISTS events_hll_build(integer[], integer[]);"
    + "".join(
        f"ALTER TABLE events_rollup_total_{level} DROP COLUMN IF EXISTS hll_users,"
        " DROP COLUMN IF EXISTS hll_sessions, DROP COLUMN IF EXISTS hll_tags;"
        for level in LEVELS
    )
)


def fill_sketches(apps, schema_editor):
    from events.analytics.hll import hll_rebuild

    hll_rebuild()


class Migration(migrations.Migration):
    dependencies = [("events", "0012_analytics_totals_covering_index")]

    operations = [
        migrations.RunSQL(SQL, REVERSE),
        migrations.RunPython(fill_sketches, migrations.RunPython.noop),
    ]
