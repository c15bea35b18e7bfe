"""Escalating a ticket to Microsoft: `escalate T-1001` or the triage card's button opens a form prefilled from the
ticket; submitting it files a Partner Center service request (once), stores its number on the ticket, moves the
ticket to "escalated to Microsoft" and tells the customer in plain words. Filing needs the technician's own
Partner Center sign-in; without one the form is kept and a sign-in card is shown."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.features.sign_in_errors import NotSignedIn
from bot.features.sr_filing import file_request, not_escalatable
from bot.features.tickets import find_ticket, thread_ticket
from bot.turns.actions import ActionResult, ActionRouter, CardAction
from bot.turns.commands import CommandRouter
from bot.turns.conversations import CHANNEL, GROUP, PERSONAL, conversation_key, record_of
from bot.turns.turn import Turn
from cards.escalation import escalation_form, sign_in_card
from cards.guidance import guidance_block
from desk.escalation import FIELDS, EscalationDraft, fitting_topics, validate, vehicle_for
from desk.guidance import guidance_for
from desk.people import Role
from desk.tickets import Ticket
from msapi.errors import MicrosoftApiError, TokenError

logger = logging.getLogger(__name__)
TECHNICIANS = (Role.TECHNICIAN,)
ANYWHERE = (PERSONAL, CHANNEL, GROUP)


def register(commands: CommandRouter, actions: ActionRouter) -> None:
    """Register escalation."""
    commands.add("escalate", escalate, roles=TECHNICIANS, scopes=ANYWHERE, help_key="command.escalate", usage="T-1001")
    actions.add("ticket.escalate", escalate_action, roles=TECHNICIANS)
    actions.add("escalation.submit", submit, roles=TECHNICIANS)
    actions.add("escalation.resume", resume, roles=TECHNICIANS)


async def escalate(turn: Turn, args: str) -> None:
    """`escalate T-1001` (or in the ticket's thread): the escalation form."""
    ticket = await find_ticket(turn, args.split()[0]) if args.split() else await thread_ticket(turn)
    if ticket is None:
        await turn.say(turn.t("refusal.no_such_ticket"))
        return
    result = await _form_for(turn, ticket)
    if result.card is not None:
        await turn.show(result.card)
    elif result.message:
        await turn.say(result.message)


async def escalate_action(turn: Turn, action: CardAction) -> ActionResult:
    """The triage card's "Escalate to Microsoft" button: the form replaces the card for this technician."""
    ticket = await find_ticket(turn, action.target)
    if ticket is None:
        return ActionResult(message=turn.t("refusal.no_such_ticket"), refused=True)
    result = await _form_for(turn, ticket)
    if result.card is not None:
        await turn.show(result.card)
        return ActionResult(message=turn.t("escalation.form_sent"))
    return result


async def resume(turn: Turn, action: CardAction) -> ActionResult:
    """After signing in: the half-filled form again, exactly as it was left."""
    if turn.services.signins is None:
        return ActionResult(message=turn.t("signin.not_configured"), refused=True)
    draft = await turn.services.desk.escalation_draft(action.target)
    ticket = await turn.services.desk.ticket(draft.ticket_id) if draft else None
    if draft is None or ticket is None:
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    return await _show_draft(turn, ticket, draft)


async def submit(turn: Turn, action: CardAction) -> ActionResult:
    """File the service request (once per form, and only while the ticket has none open), then update the ticket."""
    desk = turn.services.desk
    if turn.services.signins is None:
        return ActionResult(message=turn.t("signin.not_configured"), refused=True)
    draft = await desk.escalation_draft(action.target)
    ticket = await desk.ticket(draft.ticket_id) if draft else None
    if draft is None or ticket is None:
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    topics = await _topics(turn)
    if topics is None:
        return ActionResult(message=turn.t("escalation.topics_unavailable"), refused=True)
    typed = {name: action.inputs.get(name, "").strip() for name in FIELDS}
    draft = replace(draft, fields=typed)
    await desk.keep_escalation(draft)
    errors = validate(typed, {t.id for t in topics})
    if errors:
        return await _show_draft(turn, ticket, draft, errors)
    # One filing per ticket at a time: the database decides, across instances and double clicks alike (a second
    # submit while the first runs is told so at once, never held behind a call to Partner Center).
    return await _file(turn, draft, {t.id: t.name for t in topics})


async def _file(turn: Turn, draft: EscalationDraft, topic_names: dict[str, str]) -> ActionResult:
    vehicle = vehicle_for(topic_names.get(draft.fields["topic"], ""), turn.services.settings.support_plan)
    try:
        return await file_request(turn, draft, vehicle)
    except NotSignedIn:
        return ActionResult(card=await sign_in_prompt(turn, resume=draft.id))


async def sign_in_prompt(turn: Turn, resume: str | None = None) -> dict:  # type: ignore[type-arg]
    """The sign-in card: a link back to this app, or a device code when no redirect can reach it."""
    services = turn.services
    await services.desk.save_conversation(record_of(turn.activity))
    signins = services.signins
    assert signins is not None, "callers check that sign-in is configured"
    if signins.uses_redirect:
        link = await signins.start(turn.person.aad_id, conversation_key(turn.activity), resume)
        return sign_in_card(turn.t, link)
    flow = await signins.start_device(turn.person.aad_id)
    services.spawner.spawn(_finish_device(turn, flow, resume), f"device-sign-in:{turn.person.aad_id}")
    return sign_in_card(turn.t, None, flow)


async def _finish_device(turn: Turn, flow: dict, resume: str | None) -> None:  # type: ignore[type-arg]
    from bot.features.sign_ins import announce_failure, announce_signed_in
    from desk.store.tokens import PendingSignIn

    services = turn.services
    key = conversation_key(turn.activity)
    try:
        signed = await services.signins.finish_device(turn.person.aad_id, flow)
    except Exception as error:  # expired, declined, another account: tell the technician, never fail silently
        if isinstance(error, TokenError) and error.code == "stopped":
            return  # the technician asked for a newer code, which carries on
        logger.warning("device sign-in failed: %s", error)
        await announce_failure(services.desk, key, str(error))
        return
    pending = PendingSignIn("device", turn.person.aad_id, flow, key, resume, services.clock())
    await announce_signed_in(services.desk, pending, signed)


async def _form_for(turn: Turn, ticket: Ticket) -> ActionResult:
    if turn.services.signins is None:
        return ActionResult(message=turn.t("signin.not_configured"), refused=True)
    blocked = not_escalatable(turn, ticket)
    if blocked is not None:
        return blocked
    topics = await _topics(turn)
    if topics is None:
        return ActionResult(message=turn.t("escalation.topics_unavailable"), refused=True)
    fitting = fitting_topics(topics, ticket)
    prefill = {
        "topic": fitting[0].id if fitting else "",
        "severity": ticket.fields.severity.value,
        "title": f"{ticket.number}: {ticket.fields.title}"[:200],
        "description": await diagnostics(turn, ticket),
        "contact": f"{turn.person.name} <{turn.person.email or await turn.services.who.email(turn.context)}>",
    }
    draft = await turn.services.desk.escalation_draft_for(ticket.id, turn.person.aad_id, prefill)
    return await _show_draft(turn, ticket, draft)


async def _show_draft(
    turn: Turn, ticket: Ticket, draft: EscalationDraft, errors: dict[str, str] | None = None
) -> ActionResult:
    topics = await _topics(turn) or []
    ordered = fitting_topics(topics, ticket)
    names = {t.id: t.name for t in topics}
    vehicle = vehicle_for(names.get(draft.fields.get("topic", ""), ""), turn.services.settings.support_plan)
    choices = [(t.id, t.name) for t in ordered]
    advice = guidance_block(
        turn.t, guidance_for(ticket.fields.product, turn.services.settings.cloud, ticket.requester.tenant_id)
    )
    return ActionResult(card=escalation_form(turn.t, draft.id, ticket, choices, draft.fields, vehicle, errors, advice))


async def _topics(turn: Turn) -> list | None:  # type: ignore[type-arg]
    try:
        return await turn.services.partner_center.support_topics()
    except MicrosoftApiError:
        logger.exception("could not load Partner Center support topics")
        return None


async def diagnostics(turn: Turn, ticket: Ticket) -> str:
    """The ticket's description with what Microsoft support needs to know appended (written in English)."""
    services = turn.services
    lines = [
        ticket.fields.description,
        "",
        "--- Diagnostics from Partner Desk ---",
        f"Customer: {ticket.requester.customer_name} (tenant {ticket.requester.tenant_id})",
        f"Partner ticket: {ticket.number}, opened {ticket.created_at:%Y-%m-%d %H:%M} UTC, severity"
        f" {ticket.fields.severity.value}, product {ticket.fields.product.value} / {ticket.fields.service}",
    ]
    for incident in await services.desk.incidents_of(ticket.id):
        lines.append(f"Related Microsoft incident: {incident.incident_id} ({incident.status}) {incident.title}")
    customer = await services.customers.by_tenant(ticket.requester.tenant_id)
    if customer is not None:
        health = await services.health.tenant(customer)
        if health.error is not None:
            lines.append("Service health: could not be read")
        else:
            degraded = ", ".join(f"{s.service}: {s.status}" for s in health.degraded) or "all services operational"
            lines.append(f"Service health: {degraded}")
    return "\n".join(lines)[:10_000]
