"""A customer's readiness for the desk (issue 16): the checklist's lines, and the one-word state they add up to.

Each line is ok, warning, failed or unknown ("could not check") and names a locale key for its text and one for its
fix. The state (docs/onboarding.md, "## Readiness"):
- blocked: a line marked blocking failed — the customer is not in the partner's customer list, there is no active
  GDAP relationship, or the partner's app has no consent at all in the customer's tenant;
- partial: anything else is not ok (a warning, another failure, or a line that could not be checked);
- ready: every line ok."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Status(StrEnum):
    """One line's result."""

    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    UNKNOWN = "unknown"  # could not check (Microsoft did not answer, or answered "cannot tell")


class State(StrEnum):
    """A customer's one-word readiness; NOT_CHECKED only for a customer never checked."""

    READY = "ready"
    PARTIAL = "partial"
    BLOCKED = "blocked"
    NOT_CHECKED = "not_checked"


# How bad each state is: a change to a higher rank is a worsening the weekly check posts.
RANK: dict[State, int] = {State.READY: 0, State.PARTIAL: 1, State.BLOCKED: 2}


@dataclass(frozen=True)
class Line:
    """One checklist line: `text` and `fix` are locale keys (readiness.*) filled with `params`; `fix` is shown when
    the line is not ok. `blocking`: a failure here blocks the desk for the customer outright."""

    area: str  # partner_center, gdap, consent or teams: the card's section
    status: Status
    text: str
    params: Mapping[str, str | int] = field(default_factory=dict)
    fix: str | None = None
    blocking: bool = False


def state_of(lines: Iterable[Line]) -> State:
    """What the lines add up to."""
    lines = list(lines)
    if any(line.blocking and line.status is Status.FAILED for line in lines):
        return State.BLOCKED
    if all(line.status is Status.OK for line in lines):
        return State.READY
    return State.PARTIAL


def got_worse(before: State, after: State) -> bool:
    """Whether `after` is worse than `before` (a never-checked customer cannot get worse)."""
    if before is State.NOT_CHECKED or after is State.NOT_CHECKED:
        return False
    return RANK[after] > RANK[before]
