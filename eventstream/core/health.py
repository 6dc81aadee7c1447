"""Liveness and detailed health. Plain Django views: no auth, no DRF overhead."""

from __future__ import annotations

import os
import shutil
import time

import psutil
import redis
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from eventstream.core.errors import ErrorType, error_response

_STARTED = time.time()


def _database() -> dict:
    started = time.perf_counter()
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute(
            "SELECT current_setting('server_version'), "
            "EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb')"
        )
        version, timescale = cursor.fetchone()
    latency = (time.perf_counter() - started) * 1000
    return {
        "status": "ok",
        "latencyMs": round(latency, 2),
        "version": version,
        "timescaledb": timescale,
    }


# Below the 2 s promise of /healthz, whatever the pool's own (load-sized) timeout is.
PING_TIMEOUT_SECONDS = 1.5


def _ping_database() -> None:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.settings_dict["OPTIONS"].get("pool") and not connection.in_atomic_block:
        connection.pool.open()  # a no-op once open (Django opens it on first use too)
        with connection.pool.connection(timeout=PING_TIMEOUT_SECONDS) as conn:
            conn.execute("SELECT 1")
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


@require_GET
def healthz(request):
    """200 when the database answers; 503 within 2 seconds when it does not."""
    try:
        _ping_database()
    except Exception as exc:  # any failure to reach the database means "not healthy"
        return error_response(
            503,
            ErrorType.DATABASE,
            "Database unavailable",
            {"reason": type(exc).__name__},
            headers={"Retry-After": "5"},
        )
    return JsonResponse({"status": "ok"})


def _check(name: str, fn) -> dict:
    try:
        return fn()
    except Exception as exc:  # a failing dependency is reported, never raised
        return {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}


def _redis() -> dict:
    started = time.perf_counter()
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=1, socket_connect_timeout=1)
    try:
        info = client.info("server")
    finally:
        client.close()
    return {
        "status": "ok",
        "latencyMs": round((time.perf_counter() - started) * 1000, 2),
        "version": info.get("redis_version"),
    }


def _celery() -> dict:
    from eventstream.celery import app

    replies = app.control.ping(timeout=0.5) or []
    workers = sorted(name for reply in replies for name in reply)
    return {"status": "ok" if workers else "degraded", "broker": "ok", "workers": workers}


def _migrations() -> dict:
    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    pending = [f"{m.app_label}.{m.name}" for m, _ in plan]
    return {"status": "ok" if not pending else "degraded", "pending": pending}


def _system() -> dict:
    disk = shutil.disk_usage(settings.BASE_DIR)
    memory = psutil.virtual_memory()
    process = psutil.Process(os.getpid())
    return {
        "disk": {
            "totalBytes": disk.total,
            "freeBytes": disk.free,
            "usedPercent": round(disk.used / disk.total * 100, 1),
        },
        "memory": {
            "totalBytes": memory.total,
            "availableBytes": memory.available,
            "processRssBytes": process.memory_info().rss,
        },
    }


@require_GET
def healthz_details(request):
    database = _check("database", _database)
    checks = {
        "database": database,
        "redis": _check("redis", _redis),
        "celery": _check("celery", _celery),
        "migrations": _check("migrations", _migrations)
        if database["status"] == "ok"
        else {"status": "unknown"},
    }
    healthy = database["status"] == "ok"
    body = {
        "status": "ok"
        if healthy and all(c["status"] == "ok" for c in checks.values())
        else ("degraded" if healthy else "error"),
        "version": settings.VERSION,
        "environment": settings.APP_ENV,
        "uptimeSeconds": round(time.time() - _STARTED, 1),
        "checks": checks,
        "system": _system(),
    }
    return JsonResponse(body, status=200 if healthy else 503)
