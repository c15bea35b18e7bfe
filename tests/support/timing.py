"""Time under the test's control: a sleep that only records, a monotonic clock the test moves."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Sleeps:
    """A recording sleep that returns at once."""

    waits: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@dataclass
class Monotonic:
    """A monotonic clock the test moves."""

    now: float = 1000.0

    def __call__(self) -> float:
        return self.now
