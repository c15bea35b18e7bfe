"""The knowledge base for technicians: `kb [T-1001] <words>` finds answers and sends one to a ticket's customer (a
reply, as if typed) or into its thread (a private note); "Publish as answer" on a resolved ticket's card opens a form
prefilled with the ticket's title and resolution summary only, never its description, the customer's messages or
internal notes, and publishes what the technician submits."""

from __future__ import annotations

import re

from bot.features.tickets import apply_change, find_ticket, refusal, thread_ticket
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL
from bot.turns.services import Services
from bot.turns.turn import Turn
from cards.echo import echoed
from cards.kb import BODY_LIMIT, TITLE_LIMIT, publish_form, results_card
from cards.messages import message_card
from desk.kb_files import LANGUAGES
from desk.kb_service import KnowledgeBase
from desk.kb_words import language_of
from desk.people import Role
from desk.store.kb import Article
from desk.tickets import MESSAGE_LIMIT, OPEN_STATUSES, Ticket, parse_ticket_number
from desk.workflow import Change, Note, Refused, Reply

TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)
RESULTS = 5


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register `kb` and the knowledge base's technician buttons."""
    commands.add("kb", kb, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.kb", usage="[T-1001] outlook password")
    actions.add("kb.publish", publish, roles=TECHNICIANS)
    actions.add("kb.publish_submit", publish_submit, roles=TECHNICIANS)
    actions.add("kb.send_customer", send_customer, roles=TECHNICIANS)
    actions.add("kb.send_thread", send_thread, roles=TECHNICIANS)


def knowledge(services: Services) -> KnowledgeBase:
    """The knowledge base over the desk's database."""
    return KnowledgeBase(services.desk.db, services.clock)


async def kb(turn: Turn, args: str) -> None:
    """`kb [T-1001] <words>`: the best answers; with a ticket (named, or the thread's) each can be sent into it."""
    first, _, rest = args.strip().partition(" ")
    named = await find_ticket(turn, first) if first and parse_ticket_number(first) else None
    if first and parse_ticket_number(first) and named is None:
        await turn.say(turn.t("refusal.no_such_ticket"))
        return
    words = rest if named is not None else args
    ticket = named or await thread_ticket(turn)
    if not words.strip():
        await turn.say(turn.t("kb.usage"))
        return
    found = await knowledge(turn.services).search(words, limit=RESULTS)
    heading = turn.t("kb.heading", count=len(found), words=echoed(words))
    await turn.show(results_card(turn.t, heading, found, ticket.number if ticket else None))


async def send_customer(turn: Turn, action: CardAction) -> ActionResult:
    """Send an answer to the ticket's customer: a reply on the ticket, as a typed reply is."""
    return await _send(turn, action, Reply, "reply.done")


async def send_thread(turn: Turn, action: CardAction) -> ActionResult:
    """Put an answer into the ticket's thread as a private note."""
    return await _send(turn, action, Note, "note.done")


async def _send(turn: Turn, action: CardAction, kind: type[Reply] | type[Note], done: str) -> ActionResult:
    article_ref, _, ticket_ref = action.target.partition(":")
    known = re.fullmatch(r"[0-9]{1,12}", article_ref) is not None  # ASCII digits only ("²" is a digit to isdigit)
    article = await knowledge(turn.services).article(int(article_ref)) if known else None
    ticket = await find_ticket(turn, ticket_ref) if ticket_ref else None
    if ticket is None:
        return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
    if article is None:
        return ActionResult(message=turn.t("kb.gone"), refused=True)
    change: Change = kind(answer_text(article))
    try:
        await apply_change(turn, ticket, change)
    except Refused as refused:
        return ActionResult(message=refusal(turn, refused), refused=True)
    return ActionResult(message=turn.t(done, number=ticket.number))


def answer_text(article: Article) -> str:
    """An answer as a message: its title, then its text (within a message's limit)."""
    text = f"{article.title}\n\n{article.body}"
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1].rstrip() + "…"


async def publish(turn: Turn, action: CardAction) -> ActionResult:
    """ "Publish as answer" on a resolved ticket's card: the form, as a new message, prefilled with the ticket's
    title and resolution summary (nothing else of the ticket goes into it)."""
    ticket = await _resolved(turn, action.target)
    if isinstance(ticket, str):
        return ActionResult(message=ticket, refused=True)
    summary = ticket.resolution or ""
    values = {"kb_title": ticket.fields.title, "kb_body": summary, "kb_language": language_of(summary)}
    await turn.show(publish_form(turn.t, ticket.number, values))
    return ActionResult()


async def publish_submit(turn: Turn, action: CardAction) -> ActionResult:
    """The form submitted: checked again (the ticket still resolved, the fields filled), then published."""
    ticket = await _resolved(turn, action.target)
    if isinstance(ticket, str):
        return ActionResult(message=ticket, refused=True)
    values = {name: action.inputs.get(name, "").strip() for name in ("kb_title", "kb_body", "kb_language")}
    title, body, language = values["kb_title"], values["kb_body"], values["kb_language"]
    if not title or not body or len(title) > TITLE_LIMIT or len(body) > BODY_LIMIT or language not in LANGUAGES:
        problem = turn.t("kb.fix_problems", limit=BODY_LIMIT)
        return ActionResult(card=publish_form(turn.t, ticket.number, values, problem))
    person = turn.person
    article = await knowledge(turn.services).publish(ticket.id, person.aad_id, person.name, title, body, language)
    return ActionResult(card=message_card(turn.t("kb.published", title=article.title)))  # replaces the form


async def _resolved(turn: Turn, reference: str) -> Ticket | str:
    """The resolved (or closed) ticket of a card, reloaded; else why not, in words."""
    ticket = await find_ticket(turn, reference)
    if ticket is None:
        return turn.t("refusal.no_such_ticket")
    if ticket.status in OPEN_STATUSES:
        return turn.t("kb.not_resolved", number=ticket.number)
    return ticket
