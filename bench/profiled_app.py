"""`python app.py` with cProfile switched on by SIGUSR1 and off by SIGUSR2 (which also writes the stats to the file
named on the command line): bench/profile.py's fallback where py-spy cannot attach. It profiles the event loop's
thread only, by that thread's CPU time (not wall time, which would count the loop's waits).

    python -m bench.profiled_app STATS_FILE
"""

from __future__ import annotations

import cProfile
import signal
import sys
import time
from types import FrameType


def main() -> None:
    stats = sys.argv[1]
    profiler = cProfile.Profile(time.thread_time)

    def start(_: int, __: FrameType | None) -> None:
        profiler.enable()

    def stop(_: int, __: FrameType | None) -> None:
        profiler.disable()
        profiler.dump_stats(stats)

    signal.signal(signal.SIGUSR1, start)
    signal.signal(signal.SIGUSR2, stop)
    sys.argv = ["app.py"]
    import app

    app.main()


if __name__ == "__main__":
    main()
