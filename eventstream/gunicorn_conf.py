"""gunicorn settings for the web process (worker count is passed by scripts/run.py)."""

import os

from eventstream.core.logging import logging_config

worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
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
