"""A dedicated bench database and the production server (gunicorn) on it."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import urlopen

import psycopg

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent
PG_ADMIN = os.environ.get("BENCH_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def bench_env(db_name: str, **extra: str) -> dict[str, str]:
    base = PG_ADMIN.rsplit("/", 1)[0]
    env = {
        **os.environ,
        "APP_ENV": "production",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_hex(32),
        "JWT_SECRET": secrets.token_hex(32),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{base}/{db_name}",
        "REDIS_URL": os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/4"),
        "CACHE_KEY_PREFIX": "esbench",
        "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING"),
        "PYTHONPATH": str(ROOT),
        # The limiter stays on (its Redis round trip is part of the cost), but never trips.
        "RATELIMIT_API": "1000000000/m",
    }
    env.update(extra)
    return env


def create_database(db_name: str, env: dict[str, str]) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db_name}"')
    subprocess.run(
        [PY, "manage.py", "migrate", "--skip-checks", "-v", "0"],
        cwd=ROOT,
        env={**env, "DB_POOL": "0"},
        check=True,
    )


def drop_database(db_name: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)')


def run_django(code: str, env: dict[str, str]) -> str:
    """Run ``code`` after ``django.setup()`` in a subprocess; returns its stdout."""
    script = "import django; django.setup()\n" + code
    out = subprocess.run(
        [PY, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "eventstream.settings", "DB_POOL": "0"},
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


class Gunicorn:
    def __init__(self, env: dict[str, str], workers: int, worker_class: str, threads: int):
        self.port = free_port()
        self.env = {**env, "GUNICORN_WORKER_CLASS": worker_class, "GUNICORN_THREADS": str(threads)}
        self.cmd = [
            str(BIN / "gunicorn"),
            "eventstream.wsgi:application",
            "-c",
            "eventstream/gunicorn_conf.py",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{self.port}",
        ]
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        self.log = open(ROOT / "var" / "bench-gunicorn.log", "ab")
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log
        )
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with urlopen(f"{self.url}/healthz", timeout=1):  # noqa: S310 (local URL)
                    return self
            except HTTPError:
                return self  # it answers (health may report a dependency as degraded)
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not start; see var/bench-gunicorn.log")

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class CeleryWorker:
    """One worker on the ``events`` queue, draining the outbox while the bench runs."""

    def __init__(self, env: dict[str, str]):
        self.env = env
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> CeleryWorker:
        self.log = open(ROOT / "var" / "bench-celery.log", "ab")
        self.proc = subprocess.Popen(
            [str(BIN / "celery"), "-A", "eventstream", "worker", "-Q", "events,default",
             "-c", "1", "--pool", "solo", "-l", "WARNING"],
            cwd=ROOT, env=self.env, stdout=self.log, stderr=self.log,
        )  # fmt: skip
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()
