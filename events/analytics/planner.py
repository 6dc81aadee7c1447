"""Which rollup level answers which part of the time range, and the output buckets.

``[start, end)`` is cut into segments: the coarsest usable level covers the aligned middle, finer
levels the edges, and raw events whatever is not aligned to a minute. A level is usable when it
divides the output interval (for day buckets in a time zone: when every UTC offset in the range
is a multiple of the level) and the segment lies within the level's retention horizon.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from .levels import LEVELS, ORIGIN, Level
from .params import INTERVALS


@dataclass(frozen=True)
class Segment:
    level: Level | None  # None: raw events
    start: datetime
    end: datetime


def _local_midnights(start: datetime, end: datetime, zone: ZoneInfo) -> list[datetime]:
    """Local midnights (as UTC instants) of every local day overlapping ``[start, end)``."""
    day = start.astimezone(zone).date()
    result = []
    while True:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        if midnight >= end:
            break
        result.append(midnight)
        day += timedelta(days=1)
    return result


def output_buckets(start: datetime, end: datetime, interval: str, timezone: str) -> list[datetime]:
    """Every output bucket start for ``[start, end)`` (for zero-filling), as UTC instants."""
    if interval == "1d" and timezone != "UTC":
        return _local_midnights(start, end, ZoneInfo(timezone))
    size = INTERVALS[interval]
    first = start - (start - ORIGIN) % size
    count = int((end - first) / size) + (1 if (end - first) % size else 0)
    return [first + size * n for n in range(count)]


def candidate_levels(
    start: datetime, end: datetime, interval: str | None, timezone: str
) -> list[Level]:
    """Levels whose buckets never straddle an output bucket, coarsest first."""
    if interval is None:
        return list(reversed(LEVELS))
    size = INTERVALS[interval]
    levels = [level for level in LEVELS if level.size <= size and size % level.size == timedelta()]
    if interval == "1d" and timezone != "UTC":
        zone = ZoneInfo(timezone)
        offsets = {m.astimezone(zone).utcoffset() for m in _local_midnights(start, end, zone)} or {
            start.astimezone(zone).utcoffset()
        }
        levels = [
            level
            for level in levels
            if level.size < timedelta(days=1)
            and all(offset % level.size == timedelta() for offset in offsets)
        ]
    return list(reversed(levels))


def plan_segments(
    start: datetime,
    end: datetime,
    levels: list[Level],
    horizons: dict[str, datetime],
    raw_horizon: datetime | None = None,
) -> list[Segment]:
    """Cover ``[start, end)`` with segments (coarse levels in the middle, finer at the edges)."""

    def cover(lo: datetime, hi: datetime, index: int) -> list[Segment]:
        if lo >= hi:
            return []
        if index == len(levels):
            lo = max(lo, raw_horizon) if raw_horizon else lo
            return [Segment(None, lo, hi)] if lo < hi else []
        level = levels[index]
        first = level.ceil(max(lo, horizons.get(level.name, lo)))
        last = level.floor(hi)
        if first >= last:
            return cover(lo, hi, index + 1)
        return [
            *cover(lo, first, index + 1),
            Segment(level, first, last),
            *cover(last, hi, index + 1),
        ]

    return cover(start, end, 0)
