"""User-facing text in the languages the desk speaks, chosen from the activity's locale."""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any, cast

from babel import Locale
from babel.dates import format_datetime
from babel.plural import PluralRule

LANGUAGES = ("en", "ru")
DEFAULT = "en"
_FOLDER = Path(__file__).parent / "locales"


# A catalogue entry is a template, or for a message about a number, templates by CLDR plural category ("one",
# "few", "many", "other"...) chosen by the `count` value the message is formatted with.
Entry = str | dict[str, str]


@cache
def catalog(language: str) -> dict[str, Entry]:
    """Every string of one language (loaded once)."""
    with open(_FOLDER / f"{language}.json", encoding="utf-8") as file:
        data: dict[str, Entry] = json.load(file)
    return data


@cache
def plural_rule(language: str) -> PluralRule:
    """The language's CLDR plural rule (Babel): a number -> its category ("one", "few", "many", "other"...)."""
    return Locale.parse(language).plural_form


def plural_categories(language: str) -> frozenset[str]:
    """The plural categories a count message of the language needs: its rule's categories and "other"."""
    return frozenset(plural_rule(language).tags) | {"other"}


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
        found = self._strings.get(key)
        if found is None:
            return self._format(key, catalog(DEFAULT)[key], DEFAULT, values)
        return self._format(key, found, self.language, values)

    def maybe(self, key: str, **values: Any) -> str | None:
        """The string for `key`, or None when no language has it (for values from outside, e.g. Graph statuses)."""
        if key in self._strings:
            return self._format(key, self._strings[key], self.language, values)
        if key in catalog(DEFAULT):
            return self._format(key, catalog(DEFAULT)[key], DEFAULT, values)
        return None

    @staticmethod
    def _format(key: str, entry: Entry, language: str, values: dict[str, Any]) -> str:
        if isinstance(entry, dict):
            count = values.get("count")
            if not isinstance(count, int | float) or isinstance(count, bool):
                raise TypeError(f"{key} is a count message: format it with count=<number>")
            entry = entry.get(plural_rule(language)(count)) or entry["other"]
        return entry.format(**values) if values else entry

    def moment(self, when: datetime) -> str:
        """A date and time written the way this language writes them (e.g. "Mon 30 Nov 08:00", "пн 30 нояб. 08:00"),
        in `when`'s own time zone."""
        # Babel 2.9 ships no type information: format_datetime is Any to the checker; it returns the text.
        return cast(str, format_datetime(when, "EEE d MMM HH:mm", tzinfo=when.tzinfo, locale=self.language))

    def full_moment(self, when: datetime) -> str:
        """A weekday, date and time spelled out (e.g. "Friday, 6 March 2026, 17:30", "пятница, 6 марта 2026,
        17:30"), in `when`'s own time zone."""
        text = format_datetime(when, "EEEE, d MMMM y, HH:mm", tzinfo=when.tzinfo, locale=self.language)
        return cast(str, text)  # Babel is untyped, as in `moment`
