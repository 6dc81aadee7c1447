"""Client-side timing of HTTP requests (keep-alive) and of plain SQL statements."""

from __future__ import annotations

import http.client
import math
import time
from urllib.parse import urlencode, urlsplit

import psycopg


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = (q / 100) * (len(ordered) - 1)
    lo = math.floor(rank)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (rank - lo)


def time_http(base_url: str, key: str, shape) -> list[float]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=120)
    headers = {"X-API-Key": key, "Accept": "application/json"}
    samples = []
    try:
        for i in range(-shape.warmup, shape.n):
            path = f"{shape.path}?{urlencode(shape.params(max(i, 0)))}"
            started = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200:
                raise RuntimeError(f"{shape.name}: {response.status} {body[:300]!r}")
            if i >= 0:
                samples.append(elapsed)
    finally:
        conn.close()
    return samples


def time_sql(dsn: str, baseline) -> list[float]:
    samples = []
    with psycopg.connect(dsn) as conn:
        for i in range(baseline.n):
            started = time.perf_counter()
            conn.execute(baseline.sql, baseline.params(i)).fetchall()
            samples.append((time.perf_counter() - started) * 1000)
    return samples
