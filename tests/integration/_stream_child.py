"""Child process for test_streaming: reads every Reading row and reports its own peak memory growth.

Usage: python _stream_child.py URL iterate|all BATCH_SIZE — prints one JSON object.
Run it from a process that does not hand down its own peak (see test_streaming).
"""

from __future__ import annotations

import gc
import json
import os
import resource
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from models import Reading

from typedorm import Database, Repository


def maxrss_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def hwm_kb() -> int | None:
    """This address space's own peak (VmHWM), to check ru_maxrss was not inherited."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main() -> None:
    url, mode, batch = sys.argv[1], sys.argv[2], int(sys.argv[3])
    start_rss, start_hwm = maxrss_kb(), hwm_kb()
    db = Database(url)
    repo = Repository(Reading, db)
    # warm up every code path and connection before the baseline
    warm = repo.query().order_by(Reading.id).limit(batch)
    list(warm.iterate(batch_size=batch))
    warm.all()
    gc.collect()
    before = maxrss_kb()
    count = 0
    checksum = 0.0
    if mode == "iterate":
        for r in repo.query().iterate(batch_size=batch):
            count += 1
            checksum += r.value
    elif mode == "all":
        rows = repo.query().all()
        for r in rows:
            count += 1
            checksum += r.value
    else:
        raise SystemExit(f"unknown mode {mode!r}")
    after = maxrss_kb()
    db.close()
    print(
        json.dumps(
            {
                "count": count,
                "checksum": checksum,
                "growth_mb": (after - before) / 1024,
                "baseline_mb": before / 1024,
                "start_maxrss_kb": start_rss,
                "start_hwm_kb": start_hwm,
            }
        )
    )


if __name__ == "__main__":
    main()
