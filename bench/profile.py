"""Where a desk turn's CPU goes: bench/turns.py drives one kind of turn while py-spy samples the desk's process
(`python app.py`, authentication on) during the measured run only; prints the functions with the most CPU of their
own and those with the most CPU below them (inclusive), each as a share of the samples and in ms per turn (that
share of the process's CPU per turn). py-spy keeps only samples of a thread holding the GIL (`--gil`): a thread
waiting on a queue, a lock or the network is not running Python, though py-spy would count it as active.

    python -m bench.profile [--kind submit] [--turns 2000] [--seconds 20] [--rate 250] [--top 15]
                            [--raw FILE] [--speedscope FILE] [--cprofile]

py-spy (requirements-dev.txt) attaches with ptrace; where it cannot (a container without the capability), or with
--cprofile, the desk runs under bench/profiled_app.py instead, which turns cProfile on and off for the measured run
(the event loop's thread only). `--raw` keeps py-spy's collapsed stacks (for flamegraph.pl), `--pstats` cProfile's
stats (call counts, callers: `python -m pstats FILE`); `--speedscope` writes py-spy's stacks for
https://www.speedscope.app.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.common import arguments
from bench.profile_report import Profile, from_cprofile, from_raw, print_profile, write_speedscope
from bench.turns import Options, bench
from bench.turns_desk import ROWS
from bench.turns_servers import Bot

SCENARIO = {"help": "help", "relay": "relay", "form": "submit", "submit": "submit"}


def py_spy() -> str | None:
    """The py-spy command, when it is installed and can attach to a process here."""
    found = shutil.which("py-spy") or shutil.which("py-spy", path=str(Path(sys.executable).parent))
    if found is None:
        return None
    target = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(1.0)  # py-spy cannot read a process whose interpreter is still starting
        probe = subprocess.run([found, "dump", "--pid", str(target.pid)], capture_output=True, timeout=30)
        return found if probe.returncode == 0 else None
    finally:
        target.kill()
        target.wait()


@contextmanager
def sampled(command: str, bot: Bot, raw: Path, rate: int) -> Iterator[None]:
    """py-spy records `bot`'s process while the block runs (SIGINT makes it write its file)."""
    record = [command, "record", "--pid", str(bot.pid), "--format", "raw", "--output", str(raw)]
    recorder = subprocess.Popen(
        [*record, "--rate", str(rate), "--function", "--nonblocking", "--gil"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.0)  # attached before the first measured turn
    try:
        yield
    finally:
        recorder.send_signal(signal.SIGINT)
        _, errors = recorder.communicate(timeout=60)
        if not raw.exists():
            raise SystemExit(f"py-spy wrote no profile: {errors.decode(errors='replace')[-2000:]}")


@contextmanager
def profiled(bot: Bot, stats: Path) -> Iterator[None]:
    """cProfile in the desk's process (bench/profiled_app.py) for the duration of the block."""
    os.kill(bot.pid, signal.SIGUSR1)
    time.sleep(0.2)
    try:
        yield
    finally:
        os.kill(bot.pid, signal.SIGUSR2)
        deadline = time.monotonic() + 30
        while not stats.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def main() -> int:
    parser = arguments(__doc__.splitlines()[0])
    parser.add_argument("--kind", choices=sorted(SCENARIO), default="submit", help="the turn to profile")
    parser.add_argument("--turns", type=int, default=2000, help="turns of the measured run (default 2000)")
    parser.add_argument("--seconds", type=float, default=20.0, help="start no turn after this long (default 20)")
    parser.add_argument("--in-flight", type=int, default=16, help="requests in flight (default 16)")
    parser.add_argument("--customers", choices=("healthy", "mixed"), default="mixed", help="as bench/turns.py's")
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second (default 250)")
    parser.add_argument("--top", type=int, default=15, help="functions to list (default 15)")
    parser.add_argument("--raw", type=Path, help="keep py-spy's collapsed stacks in FILE")
    parser.add_argument("--pstats", type=Path, help="keep cProfile's stats in FILE (with --cprofile)")
    parser.add_argument("--speedscope", type=Path, help="write the profile for speedscope to FILE")
    parser.add_argument("--cprofile", action="store_true", help="use cProfile in the desk even if py-spy works")
    args = parser.parse_args()
    turns = 64 if args.small else args.turns
    command = None if args.cprofile else py_spy()
    if command is None and not args.cprofile:
        print("py-spy is not installed or cannot attach here: profiling with cProfile instead", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as folder:
        raw, stats = Path(folder) / "profile.raw", Path(folder) / "profile.pstats"

        def around(bot: Bot, kind: str):  # type: ignore[no-untyped-def]
            if kind != args.kind:
                return _nothing()
            return sampled(command, bot, raw, args.rate) if command else profiled(bot, stats)

        desk = ("app.py",) if command else ("-m", "bench.profiled_app", str(stats))
        kinds = (SCENARIO[args.kind],)
        options = Options(turns, args.in_flight, 0, "sqlite", kinds, args.seconds or None, args.customers)
        options.around_desk = around
        options.desk_command = desk
        outcome = bench(options, Path(folder))
        run = next(run for run in outcome.runs if run.name == ROWS[args.kind])
        profile: Profile = from_raw(raw.read_text()) if command else from_cprofile(stats)
        if args.raw and command:
            shutil.copyfile(raw, args.raw)
        if args.pstats and not command:
            shutil.copyfile(stats, args.pstats)
    figures = run.figures()
    cpu = figures["CPU ms/turn"]
    print(f"{run.name}: {figures['turns']} turns, {figures['turns/s']:.1f} turns/s, {cpu:.2f} ms of CPU per turn")
    source = "py-spy, samples holding the GIL" if command else "cProfile, the event loop's thread"
    print_profile(profile, cpu, args.top, source)
    if args.speedscope:
        write_speedscope(profile, args.speedscope, run.name)
    for failure in outcome.checks.failures:
        print(f"CHECK FAILED: {failure}", file=sys.stderr)
    return 1 if outcome.checks.failures else 0


@contextmanager
def _nothing() -> Iterator[None]:
    yield


if __name__ == "__main__":
    sys.exit(main())
