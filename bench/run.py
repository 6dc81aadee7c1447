"""`make bench`: run every benchmark under bench/<name>/run.py (each writes its own section of
BENCHMARKS.md). `python bench/run.py ingest` runs one."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    wanted = set(sys.argv[1:])
    status = 0
    for script in sorted(HERE.glob("*/run.py")):
        name = script.parent.name
        if wanted and name not in wanted:
            continue
        print(f"== bench/{name}", flush=True)
        status |= subprocess.call([sys.executable, str(script)])
    return status


if __name__ == "__main__":
    sys.exit(main())
