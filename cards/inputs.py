"""Card inputs shared by the forms (ticket, escalation, triage): prefilled with what was typed, required,
bounded, and the words for a refused field."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cards.actions import choices
from cards.format import Translate


def choice_input(
    name: str, label: str, options: list[tuple[str, str]], values: Mapping[str, str], required: str
) -> dict[str, Any]:
    """A compact, required choice list showing the value chosen before (if any); `required` says what is missing."""
    item: dict[str, Any] = {
        "type": "Input.ChoiceSet",
        "id": name,
        "label": label,
        "style": "compact",
        "isRequired": True,
        "errorMessage": required,
        "choices": choices(options),
    }
    if values.get(name):
        item["value"] = values[name]
    return item


def text_input(
    name: str,
    label: str,
    values: Mapping[str, str],
    limit: int,
    hint: str | None = None,
    required: str | None = None,
    multiline: bool = False,
) -> dict[str, Any]:
    """A required text box of at most `limit` characters showing what was typed before (if anything)."""
    item: dict[str, Any] = {"type": "Input.Text", "id": name, "label": label, "isRequired": True, "maxLength": limit}
    if hint:
        item["placeholder"] = hint
    if required:
        item["errorMessage"] = required
    if multiline:
        item["isMultiline"] = True
    if values.get(name):
        item["value"] = values[name]
    return item


def problem_words(t: Translate, code: str | None, limit: int) -> str:
    """Why a field was refused ('' when it was not)."""
    if not code:
        return ""
    if code == "too_long":
        return t("form.error.too_long", limit=limit)
    return t(f"form.error.{code}")
