"""gunicorn settings for the web process (used by `make run`, the Dockerfile and the benches).

Defaults chosen by measurement (BENCHMARKS.md, Ingestion): on 2 cores, `sync` workers at 2 per
core ingested batches 1.4-1.9x faster than `gthread` (2 workers x 4 threads), single events
10-25 % slower, while 4 gthread workers x 4 threads oversubscribed the cores. Sync workers
expect a buffering reverse proxy (nginx, a load balancer) in front for slow clients; set
GUNICORN_WORKER_CLASS=gthread where there is none.
"""

import os

from eventstream.core.logging import logging_config

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))  # gthread only
keepalive = 30
timeout = 60
graceful_timeout = 20
accesslog = None  # our middleware writes one JSON access line per request
errorlog = "-"
logconfig_dict = logging_config(os.environ.get("LOG_LEVEL", "INFO").upper())
max_requests = 50_000
max_requests_jitter = 5_000


def child_exit(server, worker):
    # Prometheus multiprocess mode: drop the dead worker's live gauges.
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
