"""Ingestion benchmark: the production server (gunicorn) on the real PostgreSQL, driven by wrk.

Measures sustained batch ingestion (events/s) and single-event ingestion (req/s, p50/p95/p99)
for each gunicorn worker setup, then COPYs the same rows straight into the same table as the
baseline, and writes the "Ingestion" section of BENCHMARKS.md.

    python bench/ingest/run.py [--duration 20] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402

from bench.common.cpu import CpuMeter  # noqa: E402
from bench.common.machine import machine_info  # noqa: E402
from bench.common.report import write_section  # noqa: E402
from bench.common.server import (  # noqa: E402
    CeleryWorker,
    Gunicorn,
    bench_env,
    create_database,
    drop_database,
    run_django,
)
from bench.ingest.data import batch_bodies, single_bodies  # noqa: E402

DB = "eventstream_bench_ingest"
HISTORY = ROOT / "var" / "bench-ingest-runs.jsonl"
LUA = Path(__file__).with_name("wrk_post.lua")
CREATE_KEY = """
from accounts.keys import generate_key, hash_key, DISPLAY_PREFIX_LEN
from accounts.models import Account, ApiKey
from accounts.scopes import API_KEY_SCOPES
raw = generate_key()
account = Account.objects.create(name="bench")
ApiKey.objects.create(account=account, name="bench", prefix=raw[:DISPLAY_PREFIX_LEN],
                      key_hash=hash_key(raw), scopes=sorted(API_KEY_SCOPES))
print(account.id, raw)
"""


def wrk(url: str, path: str, key: str, bodies_dir: str, conns: int, seconds: int) -> dict:
    env = {**os.environ, "BENCH_PATH": path, "BENCH_KEY": key, "BENCH_BODIES": bodies_dir}
    out = subprocess.run(
        ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s", "-s", str(LUA), url],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    line = [x for x in out.stdout.splitlines() if x.startswith("{")][-1]
    result = json.loads(line)
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["conns"] = conns
    return result


def write_bodies(directory: Path, bodies: list[bytes]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    for n, body in enumerate(bodies):
        (directory / f"{n}.json").write_bytes(body)
    return str(directory)


def count_events(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        return conn.execute("SELECT count(*) FROM events").fetchone()[0]


def copy_baseline(dsn: str, account_id: str, bodies: list[bytes], streams: int, chunks: int):
    """COPY the same rows (built by the ingest code's own CSV writer) with ``streams``
    parallel connections, one transaction per 1,000-row chunk, like the API does."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eventstream.settings")
    import django

    django.setup()
    from events.ingest.copy import COPY_SQL, prepare_rows
    from events.ingest.schema import decode_batch
    from events.ingest.services import _validate

    payloads = []
    for n in range(chunks):
        outcome = _validate(decode_batch(bodies[n % len(bodies)]), False)
        prepared = prepare_rows(account_id, outcome.now.isoformat(), outcome.events)
        payloads.append("".join(row[3] for row in prepared.rows).encode())
    per_stream = [payloads[i::streams] for i in range(streams)]

    def run(chunk_list):
        with psycopg.connect(dsn) as conn:
            for data in chunk_list:
                with conn.transaction(), conn.cursor() as cur, cur.copy(COPY_SQL) as copy:
                    copy.write(data)

    threads = [threading.Thread(target=run, args=(c,)) for c in per_stream]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"events": chunks * 1000, "seconds": elapsed, "eps": chunks * 1000 / elapsed}


def summary(results: dict) -> dict:
    """One line per full run, so BENCHMARKS.md can show how much runs vary on this machine."""
    best = max(results["setups"], key=lambda s: s["batch"]["eps"])
    singles = [(s["label"], r) for s in results["setups"] for r in s["single"]]
    label, single = max(singles, key=lambda item: item[1]["rps"])
    return {
        "measured_at": results["measured_at"],
        "loadavg": results["loadavg"],
        "batch_eps": round(best["batch"]["eps"]),
        "batch_setup": best["label"],
        "copy1_eps": round(results["copy_single"]["eps"]),
        "copy2_eps": round(results["copy_parallel"]["eps"]),
        "single_rps": round(single["rps"]),
        "single_p99_ms": round(single["p99"] / 1000, 1),
        "single_setup": f"{label} c={single['conns']}",
        "copy_next_to_batch": True,
    }


def load_history() -> list[dict]:
    if not HISTORY.exists():
        return []
    return [json.loads(line) for line in HISTORY.read_text().splitlines() if line.strip()]


SETUPS = [
    # (worker class, workers, threads)
    ("sync", 4, 1),
    ("gthread", 2, 4),
    ("gthread", 4, 4),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="short runs, no report")
    parser.add_argument("--no-report", action="store_true")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite BENCHMARKS.md from the last results"
    )
    args = parser.parse_args()
    if args.report_only:
        from bench.ingest.report import render

        results = json.loads((ROOT / "var" / "bench-ingest.json").read_text())
        notes = Path(__file__).with_name("notes.md")
        results["notes"] = notes.read_text() if notes.exists() else ""
        results["history"] = load_history()
        write_section("ingest", render(results, results.get("duration", args.duration)))
        return
    if shutil.which("wrk") is None:
        sys.exit("wrk is needed: apt-get install wrk")
    duration = 5 if args.quick else args.duration
    env = bench_env(DB)
    dsn = env["DATABASE_URL"]
    os.environ.update(env)
    print(f"[bench] creating {DB} and migrating", flush=True)
    create_database(DB, env)
    account_id, key = run_django(CREATE_KEY, env).split()
    tmp = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    batch_dir = write_bodies(tmp / "batch", batch_bodies(20, 1000))
    single_dir = write_bodies(tmp / "single", single_bodies(1000))
    results: dict = {
        "machine": machine_info(dsn),
        "setups": [],
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "log_level": env["LOG_LEVEL"],
        "duration": duration,
    }
    notes = Path(__file__).with_name("notes.md")
    if notes.exists():
        results["notes"] = notes.read_text()
    bodies = [Path(batch_dir, f"{n}.json").read_bytes() for n in range(20)]
    chunks = 40 if args.quick else 150
    with CeleryWorker(env) as celery:
        for worker_class, workers, threads in SETUPS:
            with Gunicorn(env, workers, worker_class, threads) as server:
                label = f"{worker_class} w={workers} t={threads}"
                print(f"[bench] {label}: warm-up", flush=True)
                wrk(server.url, "/api/events/batch", key, batch_dir, 4, 3)
                meter = CpuMeter(DB, web=server.proc.pid, worker=celery.proc.pid)
                before, cpu0 = count_events(dsn), meter.snapshot()
                batch = wrk(server.url, "/api/events/batch", key, batch_dir, 4, duration)
                batch["cpu"] = meter.delta(cpu0, meter.snapshot())
                batch["stored"] = count_events(dsn) - before
                batch["eps"] = batch["stored"] / (batch["duration_us"] / 1e6)
                print(f"[bench] {label}: batch {batch}", flush=True)
                # The baseline right after, so both see the same machine (the server is idle).
                copy1 = copy_baseline(dsn, account_id, bodies, 1, chunks)
                copy2 = copy_baseline(dsn, account_id, bodies, 2, chunks)
                print(f"[bench] {label}: COPY 1 stream {copy1}, 2 streams {copy2}", flush=True)
                singles = []
                for conns in (4, 8, 16):
                    cpu0 = meter.snapshot()
                    single = wrk(server.url, "/api/events", key, single_dir, conns, duration)
                    single["cpu"] = meter.delta(cpu0, meter.snapshot())
                    print(f"[bench] {label}: single {single}", flush=True)
                    singles.append(single)
                results["setups"].append(
                    {"label": label, "class": worker_class, "workers": workers,
                     "threads": threads, "batch": batch, "single": singles,
                     "copy1": copy1, "copy2": copy2}
                )  # fmt: skip
    best = max(results["setups"], key=lambda s: s["batch"]["eps"])
    results["copy_single"], results["copy_parallel"] = best["copy1"], best["copy2"]
    results["measured_at"] = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    out = ROOT / "var" / "bench-ingest.json"
    out.write_text(json.dumps(results, indent=2))
    if not args.quick:
        with HISTORY.open("a") as history:
            history.write(json.dumps(summary(results)) + "\n")
    if not (args.quick or args.no_report):
        from bench.ingest.report import render

        results["history"] = load_history()
        write_section("ingest", render(results, duration))
    drop_database(DB)
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"[bench] results in {out}", flush=True)


if __name__ == "__main__":
    main()
