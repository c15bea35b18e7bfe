"""Microsoft's response clock on the technician's ticket card, and the note that says Microsoft is late."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cards.format import Translate, card_time, duration, fact
from desk.escalation import PLAN_NAMES
from desk.ms_response import SrClock, Target


def plan_words(t: Translate, plan: str) -> str:
    """A plan's name (plan names are proper nouns), or what having none means."""
    return PLAN_NAMES.get(plan) or t(f"vehicle.short.{plan}")


def target_words(t: Translate, clock: SrClock, target: Target) -> str:
    """'1 h 0 min (Premier Support for Partners, critical)', saying where a set target comes from."""
    key = "msclock.target_setting" if target.source == "setting" else "msclock.target_value"
    severity = t(f"severity.{clock.severity}")
    return t(key, target=duration(t, target.span), plan=plan_words(t, clock.plan), severity=severity)


def response_clock_block(
    t: Translate, clock: SrClock | None, now: datetime, overrides: Mapping[str, int]
) -> list[dict[str, Any]]:
    """The clock of the ticket's service request: the target, the time left or how late, and Microsoft's response
    once seen. Nothing for requests filed before the desk kept clocks."""
    if clock is None:
        return []
    target = clock.target(overrides)
    due = clock.due(overrides)
    facts: list[dict[str, str]] = []
    if target is None or due is None:
        severity = t(f"severity.{clock.severity}")
        words = t("msclock.no_target", plan=plan_words(t, clock.plan), severity=severity)
        facts.append(fact(t("msclock.target"), words))
    else:
        facts.append(fact(t("msclock.target"), target_words(t, clock, target)))
    late = False
    if clock.responded_at is not None:
        took = duration(t, clock.responded_at - clock.filed_at)
        when = card_time(clock.responded_at)
        if due is None:
            words = t("msclock.responded_no_target", when=when, took=took)
        elif clock.responded_at <= due:
            words = t("msclock.responded_in_time", when=when, took=took)
        else:
            words = t("msclock.responded_late", when=when, took=took, late=duration(t, clock.responded_at - due))
        facts.append(fact(t("msclock.responded"), words))
    elif due is not None:
        late = now >= due
        words = (
            t("msclock.late", when=card_time(due), late=duration(t, now - due))
            if late
            else t("msclock.left", when=card_time(due), left=duration(t, due - now))
        )
        facts.append(fact(t("msclock.due"), words))
    items: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": t("msclock.heading"), "weight": "Bolder", "wrap": True},
        {"type": "FactSet", "facts": facts},
    ]
    return [{"type": "Container", "style": "attention" if late else "default", "items": items, "spacing": "Medium"}]
