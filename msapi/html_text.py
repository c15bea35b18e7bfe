"""Plain text from the HTML Microsoft puts in service-health posts and Message center bodies: tags dropped,
entities unescaped, block elements as line breaks, blank lines collapsed. Nothing is executed or fetched."""

from __future__ import annotations

import re
from html.parser import HTMLParser

MAX_HTML = 200_000  # Microsoft's posts are a few kilobytes; a bound keeps a hostile body cheap to parse
BLOCK_TAGS = frozenset(
    {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr"}
)
INVISIBLE_TAGS = frozenset({"script", "style", "head", "title", "template"})
_SPACES = re.compile(r"[ \t\f\v\u00a0]+")
_BLANK_LINES = re.compile(r"\n{3,}")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in INVISIBLE_TAGS:
            self._hidden += 1
        elif tag in BLOCK_TAGS:
            self.parts.append("\n")
            if tag == "li":
                self.parts.append("• ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in INVISIBLE_TAGS:
            self._hidden = max(0, self._hidden - 1)
        elif tag in BLOCK_TAGS and tag != "br":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._hidden:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """The visible text of `html` (or of plain text, which passes through with its line breaks)."""
    collector = _TextCollector()
    collector.feed(html[:MAX_HTML].replace("\r\n", "\n").replace("\r", "\n"))
    collector.close()
    lines = [_SPACES.sub(" ", line).strip() for line in "".join(collector.parts).split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
