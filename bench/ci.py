"""Run every benchmark once at a small size, so that CI keeps each one working: `python -m bench.ci`.

Not a timed test: a benchmark fails here only when it crashes or reports a wrong result (a lost or duplicated
message, a turn without its reply), never because it was slow. Each runs in its own process, as a user runs it.
"""

from __future__ import annotations

import subprocess
import sys
import time

# (module, arguments for a small run); one line per benchmark in bench/.
SMALL_RUNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bench.fanout", ("--small",)),
    ("bench.outbox", ("--others", "6", "--messages", "2", "--hold", "2", "--crowd", "20")),
    ("bench.store", ("--small",)),
    ("bench.reports", ("--small",)),
    ("bench.turns", ("--small",)),
    ("bench.turn_cost", ("--small",)),
    ("bench.health", ("--small",)),
    ("bench.unauthenticated", ("--requests", "200", "--concurrency", "4", "--no-lock-round")),
)


def main() -> int:
    failed = []
    for module, args in SMALL_RUNS:
        started = time.monotonic()
        print(f"== {module} {' '.join(args)}", flush=True)
        code = subprocess.call([sys.executable, "-m", module, *args])
        print(f"== {module}: exit {code} after {time.monotonic() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(module)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
