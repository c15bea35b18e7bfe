"""Microsoft's service-health posts read as their labelled parts. A post repeats the issue's title and impact
("Title: …", "User impact: …") before its news ("Current status: …", "Next update by: Thursday, November 26,
2026, at 2:00 PM UTC"); a customer needs the news only: the status in whole sentences, the next update as a time."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

# Labels Microsoft starts the parts of a post with (compared lower-cased); any other "Word:" is ordinary text.
LABELS = frozenset(
    {
        "title",
        "user impact",
        "more info",
        "current status",
        "final status",
        "scope of impact",
        "start time",
        "end time",
        "root cause",
        "preliminary root cause",
        "next steps",
        "estimated time to resolve",
        "next update by",
        "next update",
    }
)
STATUS_LABELS = ("current status", "final status")
NEXT_UPDATE_LABELS = ("next update by", "next update")
STATUS_LIMIT = 400  # characters of status a customer is shown (whole sentences)
_LABEL = re.compile(r"^\s*([A-Za-z][A-Za-z ]{1,40}?)\s*:\s*(.*)$")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# "Thursday, November 26, 2026, at 14:00 UTC" or "…, at 2:00 PM UTC" (the weekday and "at" are optional).
_WHEN = re.compile(
    r"(?:[A-Za-z]+,\s*)?(?P<month>[A-Za-z]{3,9})\.?\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4}),?\s*(?:at\s+)?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[AaPp]\.?[Mm]\.?)?\s*(?:UTC|GMT)?",
)


@dataclass(frozen=True)
class PostNews:
    """What a post says is new: the status in whole sentences, and when the next update is due (a time when it
    could be read, else Microsoft's own words, else nothing)."""

    status: str
    next_update: datetime | None = None
    next_update_text: str = ""


def post_news(text: str, limit: int = STATUS_LIMIT) -> PostNews:
    """The news of a post's plain text (see msapi.html_text); a post without labels is all status."""
    parts = labelled_parts(text)
    status = next((parts[label] for label in STATUS_LABELS if parts.get(label)), "") or parts.get("", "")
    next_update = next((parts[label] for label in NEXT_UPDATE_LABELS if parts.get(label)), "")
    when = parse_when(next_update)
    return PostNews(whole_sentences(status, limit), when, "" if when else next_update)


def labelled_parts(text: str) -> dict[str, str]:
    """Label (lower-cased) -> its text; text before the first label is under ""."""
    parts: dict[str, list[str]] = {}
    current = ""
    for line in text.splitlines():
        match = _LABEL.match(line)
        if match and match.group(1).strip().lower() in LABELS:
            current = match.group(1).strip().lower()
            line = match.group(2)
        if line.strip():
            parts.setdefault(current, []).append(line.strip())
    return {label: " ".join(lines) for label, lines in parts.items()}


def whole_sentences(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else as many whole sentences as fit; a first sentence longer than
    the limit is cut at a word (and says so with "…")."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    kept = ""
    for sentence in _SENTENCE_END.split(text):
        candidate = f"{kept} {sentence}" if kept else sentence
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def parse_when(text: str) -> datetime | None:
    """A time as Microsoft writes it in posts (always UTC, English month names, 12- or 24-hour), or None."""
    match = _WHEN.search(text)
    if match is None:
        return None
    month = match["month"][:3].lower()
    if month not in _MONTHS:
        return None
    hour = int(match["hour"])
    half = (match["half"] or "").replace(".", "").lower()
    if half:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if half == "pm" else 0)
    try:
        return datetime(
            int(match["year"]), _MONTHS.index(month) + 1, int(match["day"]), hour, int(match["minute"]), tzinfo=UTC
        )
    except ValueError:
        return None
