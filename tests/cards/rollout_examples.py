"""Roll-out cards for the card tests (schema, size, every locale): the confirmation with few and with many people,
the progress card under way with failures, the final card, the cancelled card."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cards.rollout import cancelled_card, confirm_card, progress_card
from desk.i18n import Translator
from desk.store.rollouts import Counts, Rollout

Build = Callable[[Translator], dict[str, Any]]
ROLLOUT = Rollout(7, "tenant", "Fabrikam, Inc.", "group Sales", "proposed", "tech", "a:chat", "en", "", None)
FAILURES = tuple((f"Person {n} " + "Ж" * 80, "Graph answered 500 " + "x" * 200) for n in range(5))


def examples() -> list[tuple[str, Build]]:
    """(name, build) of each roll-out card."""
    many = [f"Person {n:04d}" for n in range(500)]
    return [
        ("rollout-confirm-one", lambda t: confirm_card(t, ROLLOUT, ["Megan Bowen"])),
        ("rollout-confirm-many", lambda t: confirm_card(t, ROLLOUT, many)),
        ("rollout-progress", lambda t: progress_card(t, ROLLOUT, Counts(300, 190, 5, 5, FAILURES), False)),
        ("rollout-final", lambda t: progress_card(t, ROLLOUT, Counts(0, 495, 4, 1, FAILURES[:1]), True)),
        ("rollout-cancelled", lambda t: cancelled_card(t, ROLLOUT)),
    ]
