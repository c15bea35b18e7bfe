"""The string catalogs: English and Russian hold the same keys with the same placeholders, every string formats,
locales map to languages, and every key the code asks for exists."""

from __future__ import annotations

import json
import re
import string
from collections.abc import Iterator
from pathlib import Path

import pytest

from desk.i18n import Entry, Translator, catalog, language_of, plural_categories
from desk.tickets import Product, Severity, Status
from dialogs.new_ticket import STEPS

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "desk" / "locales"
SOURCE_FOLDERS = ("bot", "cards", "dialogs", "desk")


def load(language: str) -> dict[str, Entry]:
    """A catalog as it is on disk (not the cached copy)."""
    with open(LOCALES / f"{language}.json", encoding="utf-8") as file:
        data: dict[str, Entry] = json.load(file)
    return data


EN = load("en")
RU = load("ru")
CATALOGS = {"en": EN, "ru": RU}


def placeholders(template: str) -> set[str]:
    """The names of a template's str.format fields ('{number}' -> 'number'); a malformed template says so."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as error:
        return {f"<malformed: {error}>"}


def variants(entry: Entry) -> list[str]:
    """The templates of an entry: itself, or each plural form of a count message."""
    return list(entry.values()) if isinstance(entry, dict) else [entry]


def entry_placeholders(entry: Entry) -> set[str]:
    """The placeholders of every template of an entry."""
    return set().union(*(placeholders(template) for template in variants(entry)))


# --- parity ----------------------------------------------------------------------------------------------------------


def test_english_and_russian_have_the_same_keys():
    only_en = sorted(EN.keys() - RU.keys())
    only_ru = sorted(RU.keys() - EN.keys())
    assert not only_en and not only_ru, (
        f"missing in ru.json ({len(only_en)}): {only_en}\nmissing in en.json ({len(only_ru)}): {only_ru}"
    )


def test_every_key_has_the_same_placeholders_in_both_languages():
    differing = {
        key: {"en": sorted(entry_placeholders(EN[key])), "ru": sorted(entry_placeholders(RU[key]))}
        for key in EN.keys() & RU.keys()
        if entry_placeholders(EN[key]) != entry_placeholders(RU[key])
    }
    assert not differing, f"placeholders differ: {differing}"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_string_is_a_non_empty_string(language):
    bad = [
        key
        for key, entry in CATALOGS[language].items()
        if not variants(entry) or any(not isinstance(text, str) or not text.strip() for text in variants(entry))
    ]
    assert not bad, f"{language}: empty or non-string values for {bad}"


@pytest.mark.parametrize("language", ["en", "ru"])
def test_every_string_formats_with_dummy_values(language):
    failures = []
    for key, template in ((key, text) for key, entry in CATALOGS[language].items() for text in variants(entry)):
        try:
            values = {name: f"<{name}>" for name in placeholders(template)}
            text = template.format(**values)
        except (KeyError, IndexError, ValueError) as error:
            failures.append(f"{key}: {type(error).__name__}: {error}")
            continue
        missing = [name for name in values if values[name] not in text]
        if missing:
            failures.append(f"{key}: placeholders not shown: {missing}")
    assert not failures, f"{language}:\n" + "\n".join(failures)


@pytest.mark.parametrize("language", ["en", "ru"])
def test_count_messages_have_exactly_the_plural_forms_of_their_language(language):
    wanted = plural_categories(language)
    bad = {
        key: sorted(entry)
        for key, entry in CATALOGS[language].items()
        if isinstance(entry, dict) and set(entry) != wanted
    }
    assert not bad, f"{language} needs {sorted(wanted)} (CLDR): {bad}"
    for key, entry in CATALOGS[language].items():
        if isinstance(entry, dict):
            forms = {form: placeholders(text) for form, text in entry.items()}
            assert "count" in entry_placeholders(entry), f"{key}: a count message formats its count"
            assert len({frozenset(names) for names in forms.values()}) == 1, f"{key}: forms differ: {forms}"


def test_a_count_message_is_plural_in_both_languages_or_in_neither():
    differing = [key for key in EN.keys() & RU.keys() if isinstance(EN[key], dict) != isinstance(RU[key], dict)]
    assert not differing, differing


# A number next to the noun it counts needs plural forms ("1 open ticket", "2 open tickets"): in a plain string a
# count may stand only where no noun follows it ("Open tickets ({count})", "…and {count} more.", "… ещё {count}.").
_COUNT_BEFORE_A_WORD = re.compile(r"\{(count|done|total)\}\s+(?!more\b)[^\W\d_]")


@pytest.mark.parametrize("language", ["en", "ru"])
def test_counts_next_to_nouns_are_plural_messages(language):
    catalog_ = CATALOGS[language]
    prose = {key: text for key, text in catalog_.items() if isinstance(text, str) and _COUNT_BEFORE_A_WORD.search(text)}
    assert not prose, f"{language}: counts in plain strings: {prose}"
    english = [text for entry in EN.values() for text in variants(entry)]
    assert not [text for text in english if "(s)" in text or "(ies)" in text], "plurals written out, not bracketed"


def test_names_get_no_english_possessive():
    # "Tailspin Toys's": names (placeholders) are never followed by 's; rephrase ("the health of {customer}").
    found = {key: entry for key, entry in EN.items() if any(re.search(r"\}'s?\b", t) for t in variants(entry))}
    assert not found, found


@pytest.mark.parametrize(
    ("language", "counts"),
    [
        ("en", {0: "0 open tickets", 1: "1 open ticket", 2: "2 open tickets", 21: "21 open tickets"}),
        (
            "ru",
            {
                0: "0 открытых заявок",
                1: "1 открытая заявка",
                2: "2 открытые заявки",
                5: "5 открытых заявок",
                11: "11 открытых заявок",
                21: "21 открытая заявка",
                22: "22 открытые заявки",
                1.5: "1.5 открытой заявки",
            },
        ),
    ],
)
def test_the_translator_picks_the_plural_form_by_count(language, counts):
    t = Translator(language)
    assert {count: t("customers.open", count=count) for count in counts} == counts


def test_a_count_message_without_a_count_is_a_bug():
    with pytest.raises(TypeError):
        Translator("en")("customers.open")
    with pytest.raises(TypeError):
        Translator("ru")("customers.open", number=3)


def test_catalog_files_use_the_agreed_json_layout():
    for language, data in CATALOGS.items():
        raw = (LOCALES / f"{language}.json").read_text(encoding="utf-8")
        assert raw == json.dumps(data, ensure_ascii=False, indent=2) + "\n", f"{language}.json layout"
    assert list(RU) == [key for key in EN if key in RU], "ru.json keeps en.json's key order"


def test_russian_keeps_product_names_and_accepts_russian_yes_and_no():
    for key in ("product.microsoft365", "product.azure", "product.dynamics365"):
        assert RU[key] == EN[key]
    assert (RU["dialog.yes"], RU["dialog.no"]) == ("да", "нет")


# --- language_of and Translator --------------------------------------------------------------------------------------


@pytest.mark.parametrize("locale", ["ru-RU", "ru", "RU-ru", "ru_RU"])
def test_russian_locales_get_russian(locale):
    assert language_of(locale) == "ru"
    assert Translator(locale)("status.new") == RU["status.new"]


@pytest.mark.parametrize("locale", ["en-US", "de-DE", None, ""])
def test_other_locales_get_english(locale):
    assert language_of(locale) == "en"
    assert Translator(locale)("status.new") == EN["status.new"]


def test_translator_formats_values_and_loads_what_is_on_disk():
    assert catalog("ru") == RU
    t = Translator("ru-RU")
    assert t("status_card.heading", number="T-1001") == RU["status_card.heading"].format(number="T-1001")
    assert "T-1001" in t("status_card.heading", number="T-1001")


@pytest.mark.parametrize("locale", ["en-US", "ru-RU"])
def test_a_key_no_language_has_raises_key_error(locale):
    t = Translator(locale)
    with pytest.raises(KeyError):
        t("no.such.key")
    assert t.maybe("no.such.key") is None


# --- every key used in the code exists -------------------------------------------------------------------------------

_DOTTED_KEY = r"[a-z_][a-z0-9_]*(?:\.[A-Za-z0-9_]+)+"
_LITERAL = r"(?P<f>f?)(?P<q>[\"'])(?P<key>.+?)(?P=q)"
# A literal (or f-string) first argument of a translator or a refusal: t("key"), turn.t(...), t_customer(...),
# self.t(...), maybe(...), t.maybe(...), Refused("key", ...); the argument may start on the next line.
_CALL = re.compile(r"(?<![\w.])(?:\w+\.)?(?:t|t_customer|maybe|Refused)\(\s*" + _LITERAL)
# A command's help text key: help_key="command.help" or help_key=f"command.{phrase}".
_HELP_KEY = re.compile(r"\bhelp_key\s*=\s*" + _LITERAL)
# Keys chosen by a condition and passed on: "a.b" if cond else "a.c".
_CHOICE = re.compile(r"([\"'])(" + _DOTTED_KEY + r")\1\s+if\s+[^\n]+?\s+else\s+([\"'])(" + _DOTTED_KEY + r")\3")
# Any other dotted literal in a family of keys (e.g. dict values and arguments that reach a translator through a
# variable), except in families that card action verbs share ("ticket.new", "escalation.submit"): those literals
# are checked only where they are passed to a translator.
_DOTTED = re.compile(r"(?<![\w\"'])(f?)([\"'])([a-z_]+)\.([A-Za-z0-9_.{}]+)\2")
_VERB = re.compile(r"\bactions\.add\(\s*[\"']([a-z_]+)\.")
_VERB_FAMILIES = {"ticket"}  # also registered through variables (bot/features/work.py)


def _sources() -> Iterator[Path]:
    for folder in SOURCE_FOLDERS:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _line(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _fstring_pattern(key: str) -> re.Pattern[str]:
    """An f-string key as a pattern: each {expression} stands for one or more characters."""
    parts = re.split(r"\{[^{}]*\}", key)
    return re.compile(".+".join(re.escape(part) for part in parts))


def keys_in(text: str, where: str, verb_families: set[str]) -> set[tuple[str, str, bool]]:
    """(where:line, key, is_fstring) for every key that `text` (Python source) asks a translator for."""
    found: set[tuple[str, str, bool]] = set()
    for pattern in (_CALL, _HELP_KEY):
        for match in pattern.finditer(text):
            found.add((f"{where}:{_line(text, match.start('key'))}", match["key"], bool(match["f"])))
    for match in _CHOICE.finditer(text):
        found.add((f"{where}:{_line(text, match.start(2))}", match[2], False))
        found.add((f"{where}:{_line(text, match.start(4))}", match[4], False))
    families = {key.split(".")[0] for key in EN if "." in key} - verb_families
    for match in _DOTTED.finditer(text):
        if match[3] in families:
            found.add((f"{where}:{_line(text, match.start(3))}", f"{match[3]}.{match[4]}", bool(match[1])))
    return found


def used_keys() -> list[tuple[str, str, bool]]:
    """Every key the source tree asks a translator for, as far as regexes can tell."""
    texts = {path.relative_to(ROOT).as_posix(): path.read_text(encoding="utf-8") for path in _sources()}
    verb_families = _VERB_FAMILIES | {family for text in texts.values() for family in _VERB.findall(text)}
    found: set[tuple[str, str, bool]] = set()
    for where, text in texts.items():
        found |= keys_in(text, where, verb_families)
    return sorted(found)


_SAMPLE = """
title = t("welcome.title", partner=name)
await turn.say(turn.t('list.mine'))
text = t_customer(
    "incident.customer_notice", number=number
)
raise Refused("refusal.not_yours")
commands.add("new ticket", handler, help_key="command.new_ticket")
commands.add(phrase, handler, help_key=f"command.{phrase}")
key = "created.message" if created.new else "created.already"
actions.add("ticket.confirm", _answer(confirm, "resolution.thanks_closed"))
key = {Reopen: "thread.reopened"}.get(type(change), "thread.status")
status = t(f"status.{ticket.status.value}")
found = t.maybe(f"health.status.{key}")
execute(t("action.open"), "ticket.show", number)
"""


def test_the_scan_finds_keys_in_every_shape():
    found = keys_in(_SAMPLE, "sample.py", {"ticket"})
    assert {(key, fstring) for _, key, fstring in found} == {
        ("welcome.title", False),
        ("list.mine", False),
        ("incident.customer_notice", False),
        ("refusal.not_yours", False),
        ("command.new_ticket", False),
        ("command.{phrase}", True),
        ("created.message", False),
        ("created.already", False),
        ("resolution.thanks_closed", False),
        ("thread.reopened", False),
        ("thread.status", False),
        ("status.{ticket.status.value}", True),
        ("health.status.{key}", True),
        ("action.open", False),
    }, "action verbs such as ticket.show are not keys; everything else is"
    assert ("sample.py:5", "incident.customer_notice", False) in found, "reported on the line of the key"
    assert _fstring_pattern("severity.{s.value}.long").fullmatch("severity.critical.long")
    assert len(used_keys()) > 100, "the scan of the source tree finds the keys in use"


def test_every_literal_key_in_the_code_exists():
    unknown = [f"{where}: {key!r}" for where, key, is_fstring in used_keys() if not is_fstring and key not in EN]
    assert not unknown, "keys used in the code but missing in en.json:\n" + "\n".join(unknown)


def test_every_fstring_key_in_the_code_matches_some_key():
    unknown = [
        f"{where}: f{key!r}"
        for where, key, is_fstring in used_keys()
        if is_fstring and not any(_fstring_pattern(key).fullmatch(name) for name in EN)
    ]
    assert not unknown, "f-string keys that match no key in en.json:\n" + "\n".join(unknown)


def _family_keys() -> Iterator[str]:
    """Keys built from values at run time (enum values, event kinds, codes, command phrases)."""
    for status in Status:
        yield f"status.{status.value}"
        yield f"notice.status.{status.value}"
    for severity in Severity:
        yield f"severity.{severity.value}"
        yield f"severity.{severity.value}.long"
    for product in Product:
        yield f"product.{product.value}"
    for code in ("required", "too_long", "invalid_choice"):  # desk.tickets.validate_fields
        yield f"form.error.{code}"
    for step in ("product", "service", "severity", "title", "description", "contact"):  # dialogs.new_ticket.STEPS
        yield f"dialog.{step}"
    for kind in ("created", "reply", "note", "resolved", "reopened", "rejected", "confirmed", "customer_message"):
        yield f"history.{kind}"  # audit events described without values
    yield from ("history.unreachable", "history.incident")  # events written by the sender and the health watch
    for target in ("response", "resolution"):
        for level in ("reminder", "breach"):
            yield f"sla.{target}_{level}"
    for phrase in ("queue", "ticket", "history", "search", "reply", "note"):  # technicians' commands
        yield f"command.{phrase}"
    for method in ("teams", "email", "phone", "website"):
        yield f"contact.{method}"
    for field in ("email", "phone", "website"):
        yield f"welcome.{field}"
    for kind in ("incident", "advisory"):
        yield f"health.kind.{kind}"


def test_keys_built_from_values_exist_in_both_languages():
    missing = [(language, key) for key in _family_keys() for language in CATALOGS if key not in CATALOGS[language]]
    assert not missing, f"missing family keys: {missing}"


def test_the_dialogs_steps_are_among_the_families_checked_here():
    assert {f"dialog.{step}" for step in STEPS} <= set(_family_keys())
