"""What every benchmark shares: its command line (`--small`, `--json`), percentiles, resident memory, and one table
whose rows carry their ratio to a baseline row measured in the same run.

A benchmark is a figure, never a pass/fail test: machines differ and load moves every number, so each table compares
rows run side by side, and CI runs each benchmark once at `--small` only to keep it working.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def arguments(description: str | None) -> argparse.ArgumentParser:
    """A parser with the options every benchmark takes; the benchmark adds its own sizes."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="a quick run at a small size (CI keeps it working)")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write the figures as JSON to FILE")
    return parser


def percentile(values: list[float], fraction: float) -> float:
    """The `fraction` percentile (0.5 = median) by nearest rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process (this one by default) in MiB, from /proc (Linux)."""
    status = Path(f"/proc/{pid or os.getpid()}/status")
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS in {status}")


def cpu_seconds(pid: int | None = None) -> float:
    """User plus system CPU time a process has used, in seconds, from /proc (Linux)."""
    fields = Path(f"/proc/{pid or os.getpid()}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks  # utime, stime (fields 14 and 15 of stat)


def machine() -> dict[str, Any]:
    """Where the figures came from."""
    model = ""
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


@dataclass
class Table:
    """Rows of named figures; `ratio_of` names the figure compared with the baseline row (`baseline`)."""

    title: str
    columns: tuple[str, ...]
    baseline: str | None = None
    ratio_of: str | None = None
    higher_is_better: bool = True
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, name: str, **figures: Any) -> None:
        self.rows[name] = figures

    def ratio(self, name: str) -> float | None:
        """The row's `ratio_of` figure against the baseline's, oriented so that above 1 is better."""
        if self.baseline is None or self.ratio_of is None or self.baseline not in self.rows:
            return None
        mine, base = self.rows[name].get(self.ratio_of), self.rows[self.baseline].get(self.ratio_of)
        if not isinstance(mine, int | float) or not isinstance(base, int | float) or not mine or not base:
            return None
        return mine / base if self.higher_is_better else base / mine

    def render(self) -> str:
        header = ["", *self.columns] + (["×baseline"] if self.baseline else [])
        lines = [[name, *(_shown(row.get(c)) for c in self.columns)] for name, row in self.rows.items()]
        if self.baseline:
            for line, name in zip(lines, self.rows, strict=True):
                ratio = self.ratio(name)
                line.append("—" if ratio is None else f"{ratio:.2f}")
        widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
        out = [self.title, "  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
        out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in lines]
        out += [f"  {note}" for note in self.notes]
        return "\n".join(out)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "baseline": self.baseline,
            "ratio_of": self.ratio_of,
            "rows": {name: {**row, "ratio": self.ratio(name)} for name, row in self.rows.items()},
            "notes": self.notes,
        }


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def publish(name: str, tables: list[Table], json_path: Path | None, **extra: Any) -> None:
    """Print the tables (and the machine); write them as JSON when asked."""
    for table in tables:
        print(table.render(), end="\n\n")
    where = machine()
    print(f"{where['cores']} cores, {where['cpu']}, {where['memory_gib']} GiB, Python {where['python']}")
    if json_path is not None:
        document = {"benchmark": name, "machine": where, "tables": [t.as_json() for t in tables], **extra}
        json_path.write_text(json.dumps(document, indent=2, default=str) + "\n")
        print(f"figures written to {json_path}", file=sys.stderr)
