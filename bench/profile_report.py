"""Reading a profile for bench/profile.py: py-spy's collapsed stacks (`--format raw`: `root;...;leaf count` a line)
or cProfile's stats, as CPU of each function's own and inclusive of what it calls."""

from __future__ import annotations

import json
import pstats
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Profile:
    """Samples (py-spy) or seconds (cProfile) per function, of its own and inclusive; `stacks` for py-spy only."""

    own: Counter[str] = field(default_factory=Counter)
    inclusive: Counter[str] = field(default_factory=Counter)
    total: float = 0.0
    stacks: list[tuple[tuple[str, ...], int]] = field(default_factory=list)


def from_raw(text: str) -> Profile:
    """py-spy's collapsed stacks; a function that recurs in a stack counts once there for its inclusive figure."""
    profile = Profile()
    for line in text.splitlines():
        frames, _, count = line.rpartition(" ")
        if not frames or not count.isdigit():
            continue
        stack = tuple(frames.split(";"))
        samples = int(count)
        profile.stacks.append((stack, samples))
        profile.own[stack[-1]] += samples
        for frame in set(stack):
            profile.inclusive[frame] += samples
        profile.total += samples
    return profile


def from_cprofile(path: Path) -> Profile:
    """cProfile's stats: own time (tottime) and cumulative time per function."""
    stats = pstats.Stats(str(path))
    profile = Profile()
    for (filename, line, name), (_, _, own, cumulative, _) in stats.stats.items():  # type: ignore[attr-defined]
        label = f"{name} ({_short(filename)}:{line})"
        profile.own[label] += own
        profile.inclusive[label] += cumulative
        profile.total += own
    return profile


def _short(filename: str) -> str:
    for marker in ("site-packages/", "/lib/python3"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


# Frames every request passes through (the process's entry, the event loop, the web server, the desk's route): in
# nearly every sample, they would fill the inclusive list and say nothing.
PLUMBING = (
    "app.py:",
    "asyncio/",
    "aiohttp/web",
    "selectors.py",
    "threading.py",
    "bot/edge/web.py",
    "bot/edge/unavailable.py",
    "bench/profiled_app.py",
    "<module>",
)


def print_profile(profile: Profile, cpu_ms_per_turn: float, top: int, source: str) -> None:
    """The top functions by own and by inclusive CPU, as shares of all samples and in ms per turn."""
    if not profile.total:
        print("no samples")
        return
    print(f"profile: {source}, {profile.total:,.0f} {'samples' if profile.stacks else 'seconds'}")
    inclusive = Counter({name: n for name, n in profile.inclusive.items() if not any(p in name for p in PLUMBING)})
    for title, counts in (
        ("own CPU (self)", profile.own),
        ("inclusive CPU (self and callees; the event loop and web server left out)", inclusive),
    ):
        print(f"\ntop {top} by {title}:")
        print(f"  {'%':>6} {'ms/turn':>8}  function")
        for name, value in counts.most_common(top):
            share = value / profile.total
            print(f"  {100 * share:>6.1f} {share * cpu_ms_per_turn:>8.3f}  {name}")


def write_speedscope(profile: Profile, path: Path, name: str) -> None:
    """The stacks in speedscope's file format (one sampled profile, a sample's weight its count)."""
    frames: dict[str, int] = {}
    samples, weights = [], []
    for stack, count in profile.stacks:
        samples.append([frames.setdefault(frame, len(frames)) for frame in stack])
        weights.append(count)
    document = {
        "$schema": "https://www.speedscope.app/file-format-schema.json",
        "shared": {"frames": [{"name": frame} for frame in frames]},
        "profiles": [
            {
                "type": "sampled",
                "name": name,
                "unit": "none",
                "startValue": 0,
                "endValue": sum(weights),
                "samples": samples,
                "weights": weights,
            }
        ],
    }
    path.write_text(json.dumps(document))
