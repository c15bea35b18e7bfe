"""Every command and card verb the routers register, tried by every kind of person, through the real app.

The lists come from the registries (register_all), so a new command or verb is covered without touching this file.
Each person gets a desk of their own holding the same world: a triage channel, ticket T-1001 raised by Megan of
Fabrikam (its title and description are secrets of Megan's and the partner's), Megan's open ticket form and Alex's
open escalation form. A cell is allowed when the registry grants the person's role in their conversation's scope;
otherwise it must change nothing (tickets, events, outbox, drafts, escalations, sign-ins, tokens, the technician
directory) and the reply must name why. A customer's words that are not their command are their message (README:
added to their open ticket, or offered as a new one), so a customer's cell may only ever touch their own tickets and
forms; nobody but Megan and the technicians ever reads the secrets."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from bot.features.registry import register_all
from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, PERSONAL
from desk.escalation import FIELDS as ESCALATION_FIELDS
from desk.i18n import Translator
from desk.people import Role
from emulator import demo
from tests.bot.helpers import GOOD_TICKET, card_text, open_form, raise_ticket, rows, set_triage_channel, ticket_row
from tests.support.activities import Chat, SharedChannel, TeamsUser, guest, join_roster, user
from tests.support.connector import LocalConnector
from tests.support.harness import Desk, local_settings, start_desk

PARTNER = "Contoso Cloud Services"
SECRET_TITLE = "Payroll server room flooded"
SECRET_DETAIL = "SECRET-7f3a: the payroll share is \\\\fab-hr01\\salaries"
MEGAN, ADELE, GRADY = user(demo.FABRIKAM, 0), user(demo.FABRIKAM, 1), user(demo.FABRIKAM, 2)
ALEX, DIEGO = user(demo.PARTNER, 0), user(demo.PARTNER, 1)
NESTOR, WANDA = user(demo.NORTHWIND, 0), user(demo.STRANGER, 0)
ADELE_AS_GUEST = guest(ADELE, demo.PARTNER)
TEAM, TRIAGE = "19:team-support@thread.tacv2", "19:triage-channel@thread.tacv2"

t = Translator("en-US")
STRANGER_REFUSAL = t("refusal.stranger", partner=PARTNER, contact="support@contosocloud.example")


def role_refusals() -> set[str]:
    """Every refusal that names a role or a place as the reason: the card-action ones, and the typed-command ones
    for each registered command (they name the command)."""
    refusals = {
        STRANGER_REFUSAL,
        t("refusal.technicians_only", partner=PARTNER),
        t("refusal.customers_only", partner=PARTNER),
        t("refusal.personal_chat_only"),
    }
    for command in registries()[0].all_listed():
        for key in ("refusal.command_for_technicians", "refusal.command_for_customers", "refusal.personal_chat_only"):
            refusals.add(t(key, command=command.phrase, partner=PARTNER))
    return refusals


@dataclass(frozen=True)
class Persona:
    """Someone who writes to the desk, where they write, and who the desk must take them for."""

    sender: TeamsUser
    role: Role
    where: str  # "personal" (their chat with the bot), "triage" (the triage channel), "shared" (it, shared)
    technicians: str = ""  # TECHNICIANS for their desk
    entitled: bool = False  # may read T-1001

    @property
    def scope(self) -> str:
        return PERSONAL if self.where == "personal" else CHANNEL


PERSONAS = {
    "customer of the ticket's tenant (its requester)": Persona(MEGAN, Role.CUSTOMER, "personal", entitled=True),
    "customer of the ticket's tenant (a colleague)": Persona(GRADY, Role.CUSTOMER, "personal"),
    "customer of another tenant": Persona(NESTOR, Role.CUSTOMER, "personal"),
    "customer's guest in the partner tenant": Persona(ADELE_AS_GUEST, Role.CUSTOMER, "personal"),
    "technician": Persona(ALEX, Role.TECHNICIAN, "triage", entitled=True),
    "partner member not in TECHNICIANS": Persona(DIEGO, Role.STRANGER, "triage", technicians=ALEX.aad_id),
    "external member of the shared triage channel": Persona(WANDA, Role.STRANGER, "shared"),
    "stranger": Persona(WANDA, Role.STRANGER, "personal"),
}


def registries() -> tuple[CommandRouter, ActionRouter]:
    """The app's command and card-action registries, as the runtime builds them."""
    commands, actions = CommandRouter(), ActionRouter()
    register_all(commands, actions)
    return commands, actions


ROLE_REFUSALS = role_refusals()


def typed(phrase: str, usage: str, number: str) -> str:
    """A command as a person would type it, from its registered usage (its first alternative, the real ticket)."""
    example = usage.split("|")[0].strip().replace("T-1001", number).replace("…", "the matrix was here")
    return f"{phrase} {example}".strip()


@dataclass
class World:
    """One persona's desk and the things in it they may or may not touch."""

    desk: Desk
    persona: Persona
    ticket: dict[str, Any]
    customer_draft: str
    escalation_draft: str
    problems: list[str] = field(default_factory=list)

    def target(self, verb: str) -> str:
        """What a card's data would carry for `verb`: the victim's form for form verbs, else T-1001."""
        if verb in ("ticket.submit", "ticket.from_draft"):
            return self.customer_draft
        if verb.startswith("escalation."):
            return self.escalation_draft
        return str(self.ticket["number"])

    def conversation(self) -> Chat | SharedChannel:
        if self.persona.where == "personal":
            return Chat(self.persona.sender, self.desk.connector.url)
        host = demo.PARTNER.tenant_id
        return SharedChannel(TEAM, TRIAGE, self.desk.connector.url, host)

    def prefix(self) -> str:
        conversation = self.conversation()
        return conversation.conversation_id if isinstance(conversation, Chat) else TRIAGE


INPUTS = {
    **GOOD_TICKET,
    **{name: f"matrix {name}" for name in ESCALATION_FIELDS if name not in GOOD_TICKET},
    "reply_text": "matrix reply",
    "note_text": "matrix note",
    "resolution": "matrix resolution",
    "assignee": ALEX.aad_id,
    "new_severity": "minimal",
    "new_status": "in_progress",
    "rating": "1",
    "rating_comment": "matrix rating",
}

TABLES = {
    "tickets": "SELECT * FROM tickets",
    "ticket_events": "SELECT * FROM ticket_events",
    "outbox": "SELECT * FROM outbox",
    "drafts": "SELECT * FROM drafts",
    "escalations": "SELECT * FROM escalations",
    "sign_ins": "SELECT * FROM sign_ins",
    "user_tokens": "SELECT * FROM user_tokens",
    "technicians": "SELECT aad_id FROM technicians",
}


async def snapshot(desk: Desk) -> dict[str, set[str]]:
    """Every compared table as a set of rows."""
    return {
        name: {json.dumps(row, sort_keys=True, default=str) for row in await rows(desk, sql)}
        for name, sql in TABLES.items()
    }


def changed(before: dict[str, set[str]], after: dict[str, set[str]]) -> dict[str, list[dict[str, Any]]]:
    """Rows added, changed or removed, per table (a changed row appears in its new and old forms)."""
    diff = {name: sorted(before[name] ^ after[name]) for name in TABLES}
    return {name: [json.loads(row) for row in found] for name, found in diff.items() if found}


async def settle(desk: Desk) -> None:
    await desk.runtime.services.spawner.drain()
    await desk.delivered()


async def world_for(tmp_path, connector: LocalConnector, persona: Persona) -> World:
    # The support contact the stranger's refusal names is the e-mail alone (local mode would add the demo's).
    env = {"SUPPORT_PHONE": "", "SUPPORT_WEBSITE": ""}
    if persona.technicians:
        env["TECHNICIANS"] = persona.technicians
    desk = await start_desk(local_settings(tmp_path, connector, **env), connector)
    join_roster(connector, ADELE_AS_GUEST)
    triage = SharedChannel(TEAM, TRIAGE, connector.url, demo.PARTNER.tenant_id)
    await set_triage_channel(desk, triage, ALEX)
    megan = Chat(MEGAN, connector.url)
    number = await raise_ticket(desk, megan, title=SECRET_TITLE, description=SECRET_DETAIL)
    draft_id, _ = await open_form(desk, megan)
    ticket = await ticket_row(desk, number)
    prefill = {name: "prefilled" for name in ESCALATION_FIELDS}
    escalation = await desk.runtime.services.desk.escalation_draft_for(ticket["id"], ALEX.aad_id, prefill)
    await settle(desk)
    return World(desk, persona, ticket, draft_id, escalation.id)


async def attempt(world: World, cell: str, allowed: bool, send: Callable[[], Awaitable[str]]) -> None:
    """Run one cell; record what went wrong in world.problems."""
    desk, persona = world.desk, world.persona
    before = await snapshot(desk)
    sent_before = len(desk.connector.sent)
    answer = await send()
    await settle(desk)
    replies = [
        s.text + "\n".join(card_text(c) for c in s.cards)
        for s in desk.connector.sent[sent_before:]
        if s.method == "POST" and s.conversation_id.startswith(world.prefix())
    ]
    said = [text for text in [answer, *replies] if text]
    diff = changed(before, await snapshot(desk))
    where = f"{cell}:"
    if not persona.entitled and any(SECRET_DETAIL in text or SECRET_TITLE in text for text in said):
        world.problems.append(f"{where} T-1001's secrets were shown: {said}")
    if allowed:
        if any(text in ROLE_REFUSALS for text in said):
            world.problems.append(f"{where} an allowed cell was refused: {said}")
    elif persona.role is Role.CUSTOMER and persona.scope == PERSONAL and not cell.startswith("verb "):
        pass  # their words are their message: checked below like any customer cell
    else:
        if diff:
            world.problems.append(f"{where} a refused cell changed {diff}")
        if not said or not all(text in ROLE_REFUSALS for text in said):
            world.problems.append(f"{where} the refusal does not say why: {said}")
        if persona.role is Role.STRANGER and said != [STRANGER_REFUSAL]:
            world.problems.append(f"{where} a stranger was not told the desk serves customers only: {said}")
    if persona.role is Role.CUSTOMER:
        outside = await _not_their_own(world, diff)
        if outside:
            world.problems.append(f"{where} a customer touched what is not theirs: {outside}")


async def _not_their_own(world: World, diff: dict[str, list[dict[str, Any]]]) -> list[str]:
    """The changes of a customer's cell that concern anything but their own tickets and forms."""
    aad = world.persona.sender.aad_id
    theirs = {r["id"] for r in await rows(world.desk, "SELECT id FROM tickets WHERE requester_aad_id = ?", (aad,))}
    outside = []
    for table, found in diff.items():
        for row in found:
            own = {
                "tickets": lambda r: r["requester_aad_id"] == aad,
                "ticket_events": lambda r: r["ticket_id"] in theirs,
                "outbox": lambda r: r["ticket_id"] in theirs,
                "drafts": lambda r: r["owner_aad_id"] == aad,
            }.get(table, lambda r: False)(row)
            if not own:
                outside.append(f"{table} {row}")
    return outside


@pytest.mark.parametrize("who", list(PERSONAS))
async def test_every_command_and_card_verb_by_every_role(tmp_path, connector, who: str) -> None:
    persona = PERSONAS[who]
    commands, actions = registries()
    world = await world_for(tmp_path, connector, persona)
    try:
        conversation = world.conversation()
        number = str(world.ticket["number"])
        thread = world.ticket["triage_activity_id"]
        tried = 0
        for command in commands.all_listed():
            text = typed(command.phrase, command.usage, number)
            allowed = commands.match(text, persona.role, persona.scope) is not None

            async def say(text: str = text) -> str:
                if isinstance(conversation, Chat):
                    status, _ = await world.desk.send(conversation.message(text))
                else:
                    status, _ = await world.desk.send(conversation.message(persona.sender, text))
                assert status == 201
                return ""

            await attempt(world, f"command {text!r}", allowed, say)
            tried += 1
        for verb in sorted(actions.verbs):
            route = actions.route(verb)
            assert route is not None
            allowed = persona.role in route.roles and (route.scopes is None or persona.scope in route.scopes)

            async def click(verb: str = verb) -> str:
                if isinstance(conversation, Chat):
                    activity = conversation.invoke(verb, world.target(verb), INPUTS)
                else:
                    activity = conversation.invoke(persona.sender, verb, world.target(verb), INPUTS, thread=thread)
                status, body = await world.desk.send(activity)
                assert status == 200, body
                value = body["value"]
                return value if isinstance(value, str) else card_text(value)

            await attempt(world, f"verb {verb!r}", allowed, click)
            tried += 1
        assert tried == len(commands.all_listed()) + len(actions.verbs)
        assert not world.problems, "\n".join(world.problems)
    finally:
        await world.desk.close()
