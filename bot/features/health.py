"""Service health in Teams: `health <customer>`, `incidents <customer>`, `health all` (technicians) and
`service status` (a customer, for their own tenant only)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from botbuilder.schema import Activity, ActivityTypes

from bot.turns.actions import ActionRouter
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL, conversation_key, record_of
from bot.turns.turn import Turn
from cards.health import customer_status_card, health_card, incidents_card, progress_card, sweep_card
from cards.render import card_message
from desk.clouds import admin_center_for
from desk.customers import Customer
from desk.health import Sweep, TenantHealth, match_customers
from desk.i18n import Translator
from desk.outbox import Operation, Outgoing
from desk.people import Role
from msapi.errors import ConsentMissing

TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)
PROGRESS_EVERY_SECONDS = 1.0


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register the health commands."""
    commands.add("health all", health_all, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.health_all")
    commands.add("health", health, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.health", usage="fabrikam")
    commands.add(
        "incidents", incidents, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.incidents", usage="fabrikam"
    )
    commands.add(
        "service status", service_status, roles=(Role.CUSTOMER,), scopes=(PERSONAL,), help_key="command.service_status"
    )


def problem_text(t: Translator, health: TenantHealth) -> str | None:
    """Why a tenant's health could not be read, in the reader's words (naming what to grant when it is consent)."""
    if health.error is None:
        return None
    if isinstance(health.error, ConsentMissing):
        return t("health.consent_missing", customer=health.customer.name)
    return t("health.unreadable", customer=health.customer.name)


async def health(turn: Turn, args: str) -> None:
    """`health <customer>`: each service and its status, degraded first."""
    await _customer_card(turn, args, health_card)


async def incidents(turn: Turn, args: str) -> None:
    """`incidents <customer>`: open incidents and advisories with impact, start, latest post."""
    await _customer_card(turn, args, incidents_card)


async def _customer_card(turn: Turn, args: str, build: Callable[..., dict[str, Any]]) -> None:
    customer = await one_customer(turn, args)
    if customer is not None:
        result = await turn.services.health.tenant(customer)
        admin = admin_center_for(turn.services.settings.cloud, customer.tenant_id)
        await turn.show(build(turn.t, result, admin, problem_text(turn.t, result)))


async def health_all(turn: Turn, _: str) -> None:
    """`health all`: answer at once with a progress message, sweep in the background, update it in place."""
    services = turn.services
    customers = await services.customers.all()
    if turn.scope == PERSONAL:  # Teams shows no typing indicator in channels
        await turn.context.send_activity(Activity(type=ActivityTypes.typing))
    message_id = await turn.show(progress_card(turn.t, 0, len(customers)))
    if not message_id:
        return
    conversation = record_of(turn.activity)
    await services.desk.save_conversation(conversation)
    thread = _thread_of(turn)
    t = turn.t

    def update(card: dict) -> Outgoing:  # type: ignore[type-arg]
        return Outgoing(
            conversation.key, Operation.UPDATE, card_message(card), target_activity_id=message_id, thread_id=thread
        )

    async def run() -> None:
        last = time.monotonic()

        async def progress(done: int, total: int) -> None:
            nonlocal last
            if done < total and time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
                last = time.monotonic()
                await services.desk.queue([update(progress_card(t, done, total))])

        sweep: Sweep = await services.health.sweep(customers, progress)
        problems = {h.customer.tenant_id: problem_text(t, h) or "" for h in sweep.unreadable}
        await services.desk.queue([update(sweep_card(t, sweep, problems))])

    services.spawner.spawn(run(), f"health-all:{conversation_key(turn.activity)}")


async def service_status(turn: Turn, _: str) -> None:
    """`service status`: the customer's own tenant only, in plain words."""
    customer = turn.person.customer
    assert customer is not None
    result = await turn.services.health.tenant(customer)
    await turn.show(customer_status_card(turn.t, result, problem_text(turn.t, result)))


async def one_customer(turn: Turn, query: str) -> Customer | None:
    """The one customer a technician's words name; otherwise says why not (none, several) and returns None."""
    if not query.strip():
        await turn.say(turn.t("health.which_customer"))
        return None
    matches = match_customers(query, await turn.services.customers.all())
    if not matches:
        await turn.say(turn.t("health.no_customer"))  # the words are not quoted back: Teams renders Markdown
        return None
    if len(matches) > 1:
        names = ", ".join(c.name for c in matches[:8])
        await turn.say(turn.t("health.several_customers", names=names))
        return None
    return matches[0]


def _thread_of(turn: Turn) -> str | None:
    conversation_id = turn.activity.conversation.id or ""
    return conversation_id.split(";messageid=", 1)[1] if ";messageid=" in conversation_id else None
