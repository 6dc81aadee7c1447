"""CPU per single-event request, in-process (no server, no load generator).

Calls the production WSGI app directly with pre-built ``POST /api/events`` requests on a bench
database and reports CPU µs per request (``time.process_time``), so a change to the request path
can be measured in seconds and independently of the machine's load. ``--profile`` prints the
top of a cProfile (CPU clock) of the same loop.

    python bench/ingest/cpu_probe.py [--requests 3000] [--profile] [--reuse]
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.common.server import bench_env, create_database  # noqa: E402
from bench.ingest.data import single_bodies  # noqa: E402

DB = "eventstream_bench_ingest_cpu"


def _environ(body: bytes, key: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/api/events",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_API_KEY": key,
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5, help="the minimum is reported")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument(
        "--drop-middleware", default="", help="comma-separated substrings (what-if experiments)"
    )
    parser.add_argument("--reuse", action="store_true", help="keep the existing bench database")
    args = parser.parse_args()
    env = bench_env(DB)
    if not args.reuse:
        create_database(DB, env)
    os.environ.update(env)
    os.environ["DJANGO_SETTINGS_MODULE"] = "eventstream.settings"
    import django

    django.setup()
    from django.core.wsgi import get_wsgi_application

    from accounts.keys import DISPLAY_PREFIX_LEN, generate_key, hash_key
    from accounts.models import Account, ApiKey
    from accounts.scopes import API_KEY_SCOPES

    raw = generate_key()
    account = Account.objects.create(name="cpu-probe")
    ApiKey.objects.create(
        account=account, name="probe", prefix=raw[:DISPLAY_PREFIX_LEN],
        key_hash=hash_key(raw), scopes=sorted(API_KEY_SCOPES),
    )  # fmt: skip
    from django.conf import settings

    for part in filter(None, args.drop_middleware.split(",")):
        settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if part not in m]
    app = get_wsgi_application()
    bodies = single_bodies(1000)
    statuses: dict[str, int] = {}

    def start_response(status, headers, exc_info=None):
        statuses[status] = statuses.get(status, 0) + 1

    def loop(n: int) -> None:
        for i in range(n):
            response = app(_environ(bodies[i % len(bodies)], raw), start_response)
            for _chunk in response:
                pass
            response.close()

    loop(300)  # warm-up: imports, prepared statements, caches
    statuses.clear()
    if args.profile:
        import cProfile
        import pstats

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        loop(args.requests)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        if os.environ.get("CPU_PROBE_PSTATS"):
            profiler.dump_stats(os.environ["CPU_PROBE_PSTATS"])
    rounds = []
    for _ in range(args.rounds):
        cpu0 = time.process_time()
        loop(args.requests)
        rounds.append((time.process_time() - cpu0) / args.requests * 1e6)
    print(
        f"{args.rounds} x {args.requests} requests: min {min(rounds):.0f} µs CPU/request "
        f"(rounds: {', '.join(f'{r:.0f}' for r in rounds)}), statuses {statuses}"
    )


if __name__ == "__main__":
    main()
