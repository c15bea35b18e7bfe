"""The new-ticket flow for clients that cannot show cards: one question per turn, answers checked as they come.

Flow: product -> service -> severity -> title -> description -> contact -> confirm. Values already known (from
`new ticket <title>` or a free-text message) are not asked again; "cancel" ends the flow at any point.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from botbuilder.core import MessageFactory, TurnContext
from botbuilder.dialogs import (
    ComponentDialog,
    DialogContext,
    DialogTurnResult,
    WaterfallDialog,
    WaterfallStepContext,
)
from botbuilder.dialogs.prompts import PromptOptions, PromptValidatorContext, TextPrompt

from cards.echo import echoed
from desk.i18n import Translator
from desk.tickets import LIMITS, Product, Severity

Complete = Callable[[TurnContext, dict[str, str]], Awaitable[None]]
CANCEL_WORDS = frozenset({"cancel", "stop", "отмена", "стоп"})
STEPS = ("product", "service", "severity", "title", "description", "contact")
CHOICES = {"product": [p.value for p in Product], "severity": [s.value for s in Severity]}


class NewTicketDialog(ComponentDialog):
    """Asks for each ticket field in turn, then hands the answers to `on_complete`."""

    def __init__(self, on_complete: Complete) -> None:
        super().__init__(NewTicketDialog.__name__)
        self._on_complete = on_complete
        self.add_dialog(TextPrompt("field", _validate))
        self.add_dialog(TextPrompt("confirm", _validate_confirm))
        steps = [self._asker(name) for name in STEPS] + [self._confirm, self._finish]
        self.add_dialog(WaterfallDialog("steps", steps))
        self.initial_dialog_id = "steps"

    async def on_continue_dialog(self, inner_dc: DialogContext) -> DialogTurnResult:
        text = (inner_dc.context.activity.text or "").strip().lower()
        if text in CANCEL_WORDS:
            t = Translator(inner_dc.context.activity.locale)
            await inner_dc.context.send_activity(MessageFactory.text(t("dialog.cancelled")))
            return await inner_dc.cancel_all_dialogs()
        return await super().on_continue_dialog(inner_dc)

    def _asker(self, name: str):  # type: ignore[no-untyped-def]
        async def step(step_context: WaterfallStepContext) -> DialogTurnResult:
            values = _values(step_context)
            if step_context.result is not None and STEPS.index(name) > 0:
                values[STEPS[STEPS.index(name) - 1]] = _normalise(STEPS[STEPS.index(name) - 1], step_context.result)
            if values.get(name):
                return await step_context.next(None)
            t = Translator(step_context.context.activity.locale)
            prompt = _question(t, name)
            return await step_context.prompt(
                "field",
                PromptOptions(
                    prompt=MessageFactory.text(prompt),
                    retry_prompt=MessageFactory.text(t("dialog.retry", problem=prompt)),
                    validations=name,
                ),
            )

        return step

    async def _confirm(self, step_context: WaterfallStepContext) -> DialogTurnResult:
        values = _values(step_context)
        if step_context.result is not None:
            values["contact"] = _normalise("contact", step_context.result)
        t = Translator(step_context.context.activity.locale)
        title = echoed(values["title"], LIMITS["title"])  # quoted back in a text message: inert
        question = t("dialog.confirm", title=title, severity=t(f"severity.{values['severity']}"))
        options = f"{question}\n1. {t('dialog.yes')}\n2. {t('dialog.no')}"
        return await step_context.prompt(
            "confirm",
            PromptOptions(prompt=MessageFactory.text(options), retry_prompt=MessageFactory.text(options)),
        )

    async def _finish(self, step_context: WaterfallStepContext) -> DialogTurnResult:
        if step_context.result == "yes":
            await self._on_complete(step_context.context, dict(_values(step_context)))
        else:
            t = Translator(step_context.context.activity.locale)
            await step_context.context.send_activity(MessageFactory.text(t("dialog.cancelled")))
        return await step_context.end_dialog()


def _values(step_context: WaterfallStepContext) -> dict[str, str]:
    if "fields" not in step_context.values:
        step_context.values["fields"] = {
            k: v for k, v in (step_context.options or {}).items() if isinstance(v, str) and v
        }
    return step_context.values["fields"]  # type: ignore[no-any-return]


def _question(t: Translator, name: str) -> str:
    question = t(f"dialog.{name}")
    if name in CHOICES:
        lines = [f"{i}. {t(_choice_key(name, value))}" for i, value in enumerate(CHOICES[name], start=1)]
        question = "\n".join([question, *lines])
    return question


def _choice_key(name: str, value: str) -> str:
    return f"{name}.{value}.long" if name == "severity" else f"{name}.{value}"


def _normalise(name: str, answer: str) -> str:
    """Map an accepted answer to the stored value (choice numbers and titles become choice values)."""
    text = answer.strip()
    if name not in CHOICES:
        return text
    options = CHOICES[name]
    if re.fullmatch(r"[0-9]{1,3}", text) and 1 <= int(text) <= len(options):
        return options[int(text) - 1]
    lowered = text.lower()
    for value in options:
        titles = {value, *(Translator(lang)(_choice_key(name, value)).lower() for lang in ("en", "ru"))}
        titles |= {Translator(lang)(f"{name}.{value}").lower() for lang in ("en", "ru")}
        if lowered in titles:
            return value
    return ""


async def _validate(prompt_context: PromptValidatorContext) -> bool:
    name = prompt_context.options.validations
    answer = (prompt_context.recognized.value or "").strip() if prompt_context.recognized.succeeded else ""
    if not answer:
        return False
    if name in CHOICES:
        return bool(_normalise(name, answer))
    return len(answer) <= LIMITS.get(name, 200)


async def _validate_confirm(prompt_context: PromptValidatorContext) -> bool:
    answer = (prompt_context.recognized.value or "").strip().lower()
    yes = {"1", "yes", "y", Translator("ru")("dialog.yes").lower(), Translator("en")("dialog.yes")}
    no = {"2", "no", "n", Translator("ru")("dialog.no").lower(), Translator("en")("dialog.no")}
    if answer in yes:
        prompt_context.recognized.value = "yes"
        return True
    if answer in no:
        prompt_context.recognized.value = "no"
        return True
    return False
