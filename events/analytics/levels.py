"""Rollup levels: bucket sizes, table names and the partition span of each rollup table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

ORIGIN = datetime(2000, 1, 1, tzinfo=UTC)  # date_bin origin: UTC midnight, a Saturday


@dataclass(frozen=True)
class Level:
    name: str
    size: timedelta
    partition_span: timedelta  # each rollup table is range-partitioned by bucket

    @property
    def table(self) -> str:
        return f"events_rollup_{self.name}"

    @property
    def total_table(self) -> str:
        """The same measures summed over sources and statuses: one row per bucket and type."""
        return f"events_rollup_total_{self.name}"

    @property
    def tables(self) -> tuple[str, str]:
        return (self.table, self.total_table)

    @property
    def sql_interval(self) -> str:
        return f"{int(self.size.total_seconds())} seconds"

    def floor(self, value: datetime) -> datetime:
        return value - (value - ORIGIN) % self.size

    def ceil(self, value: datetime) -> datetime:
        floored = self.floor(value)
        return floored if floored == value else floored + self.size


LEVELS: tuple[Level, ...] = (
    Level("1m", timedelta(minutes=1), timedelta(days=1)),
    Level("5m", timedelta(minutes=5), timedelta(days=7)),
    Level("15m", timedelta(minutes=15), timedelta(days=7)),
    Level("1h", timedelta(hours=1), timedelta(days=28)),
    Level("1d", timedelta(days=1), timedelta(days=364)),
)
LEVELS_BY_NAME = {level.name: level for level in LEVELS}


def bucket_sql(level_size: timedelta, column: str = "ts") -> str:
    """SQL for the UTC-aligned bucket of ``column`` (sizes come from this module, never input)."""
    seconds = int(level_size.total_seconds())
    return f"date_bin('{seconds} seconds'::interval, {column}, '2000-01-01T00:00:00Z')"
