"""CPU seconds spent by each party of a run (web server, its PostgreSQL backends, the Celery
worker, the load generator): a measure of cost per request that holds even when other
processes share the machine and wall-clock throughput does not."""

from __future__ import annotations

import resource

import psutil


def _cpu(proc: psutil.Process) -> float:
    try:
        times = proc.cpu_times()
        return times.user + times.system
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return 0.0


def _tree(pid: int) -> list[psutil.Process]:
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _backends(db_name: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["name", "cmdline"]):
        cmd = " ".join(proc.info.get("cmdline") or [])
        if cmd.startswith("postgres:") and f" {db_name} " in cmd:
            found.append(proc)
    return found


class CpuMeter:
    """``snapshot()`` before and after; ``delta()`` gives CPU seconds per party."""

    def __init__(self, db_name: str, **pids: int) -> None:
        self.db_name = db_name
        self.pids = pids

    def snapshot(self) -> dict[str, dict[int, float]]:
        snap = {name: {p.pid: _cpu(p) for p in _tree(pid)} for name, pid in self.pids.items()}
        snap["postgres"] = {p.pid: _cpu(p) for p in _backends(self.db_name)}
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        snap["load_generator"] = {0: usage.ru_utime + usage.ru_stime}
        return snap

    @staticmethod
    def delta(before: dict, after: dict) -> dict[str, float]:
        out = {}
        for name, procs in after.items():
            out[name] = sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in procs.items())
        return out
