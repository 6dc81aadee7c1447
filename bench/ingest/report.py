"""The "Ingestion" section of BENCHMARKS.md from a results dict of bench/ingest/run.py."""

from __future__ import annotations

from datetime import UTC, datetime

BATCH_TARGET, RATIO_TARGET = 50_000, 0.5
SINGLE_TARGET, P99_TARGET_MS = 2_000, 25.0


def _ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def _cpu(run: dict, units: int, scale: float) -> tuple[float, float, float]:
    """(web CPU, PostgreSQL CPU) per unit, and the cores all parties of the run used."""
    cpu = run.get("cpu") or {}
    seconds = run["duration_us"] / 1e6
    units = max(units, 1)
    cores = sum(cpu.values()) / seconds if seconds else 0.0
    return cpu.get("web", 0.0) / units * scale, cpu.get("postgres", 0.0) / units * scale, cores


def render(results: dict, duration: int) -> str:
    m = results["machine"]
    copy1, copy2 = results["copy_single"], results["copy_parallel"]
    lines = [
        "## Ingestion",
        "",
        f"Measured {results.get('measured_at') or f'{datetime.now(UTC):%Y-%m-%d %H:%M}'} UTC "
        "by `python bench/ingest/run.py` "
        f"(`make bench`). Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, "
        f"PostgreSQL {m['postgres']} (synchronous_commit={m['synchronous_commit']}), "
        f"Python {m['python']}. Load average before the run: {results.get('loadavg', '?')} "
        "(other processes shared the machine).",
        "",
        "Setup: gunicorn with `eventstream/gunicorn_conf.py` (APP_ENV=production, LOG_LEVEL="
        f"{results.get('log_level', 'WARNING')}), one Celery worker draining the outbox, all on "
        "this machine together with PostgreSQL, Redis and the load generator "
        f"([wrk](https://github.com/wg/wrk) 4.1, 1 thread, {duration} s per run, "
        "pre-built bodies in rotation, `bench/ingest/wrk_post.lua`). Events are shaped like the "
        "seed README's example (~350 bytes of JSON each); batches hold 1,000 events. "
        '"Stored" counts rows in the table after the run, not responses. CPU columns: CPU '
        "seconds of the gunicorn processes and of this database's PostgreSQL backends per event "
        'or request; "cores used" adds the worker and wrk and divides by the run\'s length '
        "(what the run got of the 2 cores; the rest went to other processes). The `sync` "
        "worker closes each connection after its response; `gthread` keeps it alive.",
        "",
        "### Batch ingestion (`POST /api/events/batch`, 1,000 events per request)",
        "",
        "| gunicorn | conns | req/s | events/s stored | p50 ms | p95 ms | p99 ms | errors "
        "| web CPU µs/event | PostgreSQL CPU µs/event | cores used |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in results["setups"]:
        b = s["batch"]
        errors = b["status_errors"] + b["connect_errors"] + b["read_errors"] + b["timeouts"]
        web, pg, cores = _cpu(b, b["stored"], 1e6)
        lines.append(
            f"| {s['label']} | {b['conns']} | {b['rps']:.1f} | **{b['eps']:,.0f}** | "
            f"{_ms(b['p50'])} | {_ms(b['p95'])} | {_ms(b['p99'])} | {errors} | "
            f"{web:.1f} | {pg:.1f} | {cores:.2f} |"
        )
    best = max(results["setups"], key=lambda s: s["batch"]["eps"])
    eps = best["batch"]["eps"]
    lines += [
        "",
        "Baseline: the same rows (built by the ingest code's own CSV writer, fresh ids) COPYed "
        "straight into the same table with psycopg, 1,000 rows per transaction, measured right "
        "after each batch run (server idle), so both saw the same machine:",
        "",
        "| after | COPY 1 connection events/s | API / COPY 1 | COPY 2 connections events/s "
        "| API / COPY 2 |",
        "|---|---|---|---|---|",
    ]
    for s in results["setups"]:
        c1 = s.get("copy1", copy1)
        c2 = s.get("copy2", copy2)
        b_eps = s["batch"]["eps"]
        lines.append(
            f"| {s['label']} | {c1['eps']:,.0f} | **{b_eps / c1['eps']:.2f}** | "
            f"{c2['eps']:,.0f} | {b_eps / c2['eps']:.2f} |"
        )
    lines += [
        "",
        "### Single events (`POST /api/events`)",
        "",
        "| gunicorn | conns | req/s | p50 ms | p95 ms | p99 ms | errors "
        "| web CPU ms/req | PostgreSQL CPU ms/req | cores used |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in results["setups"]:
        for r in s["single"]:
            errors = r["status_errors"] + r["connect_errors"] + r["read_errors"] + r["timeouts"]
            web, pg, cores = _cpu(r, r["requests"], 1e3)
            lines.append(
                f"| {s['label']} | {r['conns']} | **{r['rps']:,.0f}** | {_ms(r['p50'])} | "
                f"{_ms(r['p95'])} | {_ms(r['p99'])} | {errors} | {web:.2f} | {pg:.2f} | "
                f"{cores:.2f} |"
            )
    ok = [r for s in results["setups"] for r in s["single"] if r["p99"] / 1000 <= P99_TARGET_MS]
    best_single = max(ok, key=lambda r: r["rps"]) if ok else None
    lines += [
        "",
        "### Against the targets",
        "",
        f"- Batch (this run): {eps:,.0f} events/s (target ≥ {BATCH_TARGET:,}): "
        f"{'met' if eps >= BATCH_TARGET else 'NOT met'}; ratio to a single COPY connection "
        f"{eps / copy1['eps']:.2f} (target ≥ {RATIO_TARGET}): "
        f"{'met' if eps / copy1['eps'] >= RATIO_TARGET else 'NOT met'}.",
        "- Single (this run): "
        + (
            f"{best_single['rps']:,.0f} req/s at p99 {_ms(best_single['p99'])} ms "
            f"(target ≥ {SINGLE_TARGET:,} req/s with p99 ≤ {P99_TARGET_MS:.0f} ms): "
            f"{'met' if best_single['rps'] >= SINGLE_TARGET else 'NOT met'}."
            if best_single
            else f"no run kept p99 ≤ {P99_TARGET_MS:.0f} ms: NOT met."
        ),
    ]
    history = results.get("history") or []
    if len(history) > 1:
        lines += [
            "",
            "### Run-to-run variation",
            "",
            "Every full run on this machine (the tables above are the run of "
            f"{results.get('measured_at', '?')} UTC); the machine was shared with other work, "
            "so wall-clock figures move with the load average.",
            "",
            "| run (UTC) | load avg | batch events/s | COPY 1 conn | COPY 2 conns "
            "| best single req/s (p99 ms) |",
            "|---|---|---|---|---|---|",
        ]
        for h in history:
            mark = "" if h.get("copy_next_to_batch") else " \\*"
            lines.append(
                f"| {h['measured_at']} | {h['loadavg']} | {h['batch_eps']:,} ({h['batch_setup']}) "
                f"| {h['copy1_eps']:,}{mark} | {h['copy2_eps']:,}{mark} | {h['single_rps']:,} "
                f"({h['single_p99_ms']}, {h['single_setup']}) |"
            )
        if any(not h.get("copy_next_to_batch") for h in history):
            lines += [
                "",
                "\\* measured once after all setups had run, minutes after the batch figure, "
                "by an earlier version of this bench (and earlier runs predate some of the "
                "optimisations in the ingest code).",
            ]
    notes = results.get("notes")
    if notes:
        lines += ["", notes]
    return "\n".join(lines) + "\n"
