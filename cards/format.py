"""Small formatting helpers shared by card builders."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Translate = Callable[..., str]


def maybe(t: Translate, key: str) -> str | None:
    """The string for `key` if the catalog has it (values from outside, like Graph statuses, may not)."""
    lookup = getattr(t, "maybe", None)
    return lookup(key) if lookup else None


def card_time(moment: datetime) -> str:
    """A date and time that Teams renders in the reader's own locale and time zone."""
    stamp = moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return f"{{{{DATE({stamp}, SHORT)}}}} {{{{TIME({stamp})}}}}"


def duration(t: Translate, span: timedelta) -> str:
    """'3 d 4 h', '2 h 5 min', '7 min' in the reader's language."""
    minutes = max(0, int(span.total_seconds() // 60))
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return t("time.days_hours", days=days, hours=hours)
    if hours:
        return t("time.hours_minutes", hours=hours, minutes=mins)
    return t("time.minutes", minutes=mins)


def fact(title: str, value: str) -> dict[str, str]:
    """One FactSet row."""
    return {"title": title, "value": value}


def clip(text: str, limit: int) -> str:
    """Shorten text for a list row."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def literal_line(label: str, value: str) -> dict[str, object]:
    """A 'Label: value' line whose value is shown exactly as typed (TextRun renders no Markdown).

    FactSet values render Markdown, so text that a user typed goes through this instead.
    """
    return {
        "type": "RichTextBlock",
        "spacing": "Small",
        "inlines": [
            {"type": "TextRun", "text": f"{label}: ", "weight": "Bolder"},
            {"type": "TextRun", "text": value},
        ],
    }
