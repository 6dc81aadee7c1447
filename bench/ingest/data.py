"""Deterministic event bodies shaped like the seed README's example."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import msgspec

EVENT_TYPES = ["page_view", "click", "api_request", "signup", "purchase"]
SOURCES = ["web", "ios", "android", "backend"]


def make_event(rng: random.Random, now: datetime) -> dict:
    ts = now - timedelta(seconds=rng.uniform(0, 3600))
    return {
        "timestamp": ts.isoformat().replace("+00:00", "Z"),
        "eventType": rng.choice(EVENT_TYPES),
        "source": rng.choice(SOURCES),
        "data": {
            "page": f"/products/{rng.randrange(500)}",
            "userAgent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",
            "country": rng.choice(["US", "DE", "FR", "BR", "IN"]),
            "device": rng.choice(["mobile", "desktop", "tablet"]),
        },
        "userId": f"user{rng.randrange(100_000)}",
        "sessionId": f"session{rng.randrange(1_000_000)}",
        "duration": round(rng.uniform(1, 5000), 2),
        "priority": rng.randrange(0, 5),
        "tags": rng.sample(["frontend", "performance", "checkout", "mobile", "beta"], 2),
        "metadata": {"version": "1.0.0", "environment": "production"},
    }


def batch_bodies(count: int, size: int, seed: int = 1) -> list[bytes]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [msgspec.json.encode([make_event(rng, now) for _ in range(size)]) for _ in range(count)]


def single_bodies(count: int, seed: int = 2) -> list[bytes]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    return [msgspec.json.encode(make_event(rng, now)) for _ in range(count)]
