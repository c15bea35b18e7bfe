"""User-facing text in the languages the desk speaks, chosen from the activity's locale."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime

LANGUAGES = ("en", "ru")
DEFAULT = "en"
_FOLDER = Path(__file__).parent / "locales"


@cache
def catalog(language: str) -> dict[str, str]:
    """Every string of one language (loaded once)."""
    with open(_FOLDER / f"{language}.json", encoding="utf-8") as file:
        data: dict[str, str] = json.load(file)
    return data


def language_of(locale: str | None) -> str:
    """The supported language for a locale such as 'ru-RU' or 'en-us'; English otherwise."""
    if not locale:
        return DEFAULT
    primary = locale.replace("_", "-").split("-")[0].lower()
    return primary if primary in LANGUAGES else DEFAULT


class Translator:
    """Looks up and formats strings for one language; a missing key is a bug and raises KeyError."""

    def __init__(self, locale: str | None) -> None:
        self.language = language_of(locale)
        self._strings = catalog(self.language)

    def __call__(self, key: str, **values: Any) -> str:
        template = self._strings.get(key)
        if template is None:
            template = catalog(DEFAULT)[key]
        return template.format(**values) if values else template

    def maybe(self, key: str, **values: Any) -> str | None:
        """The string for `key`, or None when no language has it (for values from outside, e.g. Graph statuses)."""
        template = self._strings.get(key) or catalog(DEFAULT).get(key)
        if template is None:
            return None
        return template.format(**values) if values else template

    def moment(self, when: datetime) -> str:
        """A date and time written the way this language writes them (e.g. "Mon 30 Nov 08:00", "пн 30 нояб. 08:00"),
        in `when`'s own time zone."""
        return format_datetime(when, "EEE d MMM HH:mm", tzinfo=when.tzinfo, locale=self.language)

    def full_moment(self, when: datetime) -> str:
        """A weekday, date and time spelled out (e.g. "Friday, 6 March 2026, 17:30", "пятница, 6 марта 2026,
        17:30"), in `when`'s own time zone."""
        return format_datetime(when, "EEEE, d MMMM y, HH:mm", tzinfo=when.tzinfo, locale=self.language)
