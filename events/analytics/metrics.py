"""The 13 metrics of the seed README: names, output field names, and how each is computed.

A metric is computed either from raw events (always exact) or from the rollup tables. The rollups
hold counts, duration sums/min/max and a DDSketch of durations per
(account, bucket, eventType, source, status), so some metrics are exact from them and the
percentiles are approximate (only used when ``approximate=true``).
"""

from __future__ import annotations

METRICS: tuple[str, ...] = (
    "count",
    "unique_sources",
    "unique_users",
    "unique_sessions",
    "avg_duration",
    "min_duration",
    "max_duration",
    "dominant_status",
    "unique_tags",
    "p50_duration",
    "p90_duration",
    "p95_duration",
    "p99_duration",
)

PERCENTILES: dict[str, float] = {
    "p50_duration": 0.5,
    "p90_duration": 0.9,
    "p95_duration": 0.95,
    "p99_duration": 0.99,
}

# Exact from the rollups (sums of counts, min of mins, ...), given the grouping and filters only
# use the rollup's dimensions.
ROLLUP_EXACT: frozenset[str] = frozenset(
    {"count", "unique_sources", "avg_duration", "min_duration", "max_duration", "dominant_status"}
)
# Approximate from the rollups' DDSketch (used only when approximate=true).
ROLLUP_SKETCH: frozenset[str] = frozenset(PERCENTILES)

# Relative accuracy of the DDSketch stored in the rollups (alpha): every estimated percentile q'
# of a true value q >= 1 ms satisfies |q' - q| <= alpha * q (q being PostgreSQL's percentile_cont,
# interpolated between the two neighbouring order statistics, each estimated within alpha).
# Durations below 1 ms share one bucket (key -1) estimated as 0.5 ms: absolute error <= 0.5 ms.
SKETCH_ALPHA = 0.01
SKETCH_GAMMA = (1 + SKETCH_ALPHA) / (1 - SKETCH_ALPHA)
SKETCH_SUB_MS_KEY = -1

DEFAULT_AGGREGATED_METRICS: tuple[str, ...] = ("count", "avg_duration", "max_duration")
DEFAULT_ANALYTICS_METRICS: tuple[str, ...] = ("count",)


def field_name(metric: str) -> str:
    """``p95_duration`` -> ``p95Duration`` (response field names are camelCase)."""
    head, *rest = metric.split("_")
    return head + "".join(part.capitalize() for part in rest)


def is_numeric(metric: str) -> bool:
    return metric != "dominant_status"
