"""Typed text quoted inside a text message. Teams renders a bot's text message as Markdown (or XML) and auto-links
addresses in it (https://learn.microsoft.com/microsoftteams/platform/bots/how-to/format-your-bot-messages), so
quoting `[click](https://evil.example)` as typed would make a link in the bot's own voice. Replies that need not
quote what was typed do not; the few that must pass it through `echoed` first."""

from __future__ import annotations

import re
import unicodedata

# Markup characters become look-alikes that no Markdown, XML or mention syntax reads: the words stay readable.
_LOOKALIKES = str.maketrans(
    {
        "[": "⟦",
        "]": "⟧",
        "<": "‹",
        ">": "›",
        "*": "∗",
        "_": "‗",
        "`": "‵",
        "~": "∼",
        "#": "♯",
        "&": "＆",
        "|": "ǀ",
    }
)
# A dot between two characters (evil.example, www., a@b.c) and "://" are what auto-linking looks for.
_LINK_DOT = re.compile(r"(?<=\S)\.(?=\S)")
_SCHEME = re.compile(r":(?=//)")


def echoed(text: str, limit: int = 100) -> str:
    """`text` cut to `limit` characters, on one line, with nothing a client could render as markup or a link."""
    kept = "".join(c for c in text if not _hidden(c))
    flat = " ".join(kept.split())[:limit]  # one line: no lists, quotes or headings either
    return _SCHEME.sub("∶", _LINK_DOT.sub("․", flat.translate(_LOOKALIKES)))


def _hidden(character: str) -> bool:
    """Control and bidirectional-override characters (they could disguise what is shown); joiners inside emoji
    stay."""
    category = unicodedata.category(character)
    return (category == "Cc" and character not in "\n\t ") or unicodedata.bidirectional(character) in _OVERRIDES


_OVERRIDES = {"LRE", "RLE", "LRO", "RLO", "PDF", "LRI", "RLI", "FSI", "PDI"}
