"""Keeps each ticket in step with its Microsoft service request: status changes and Microsoft's new notes go
into the ticket's thread; a closed request prompts the technicians to resolve the ticket. Runs as a Periodic
job (one instance at a time) with a signed-in technician's token (the one who escalated, if still signed in)."""

from __future__ import annotations

import logging

from bot.features.notices import Audience, announcer
from bot.turns.services import Services
from desk.ms_response import is_response
from desk.people import Role
from desk.tickets import Ticket
from desk.workflow import Actor, Refused, SrUpdate
from msapi.errors import MicrosoftApiError

logger = logging.getLogger(__name__)
SYSTEM = Actor("system", "Partner Desk", Role.TECHNICIAN)


async def sync_service_requests(services: Services) -> int:
    """One round over every ticket with an open service request; returns how many tickets changed."""
    if services.signins is None:
        return 0
    changed = 0
    for ticket in await services.desk.tickets_with_open_sr():
        try:
            changed += await _sync(services, ticket)
        except MicrosoftApiError as error:
            logger.warning("could not read service request %s of %s: %s", ticket.sr_id, ticket.number, error)
    return changed


async def _sync(services: Services, ticket: Ticket) -> int:
    assert services.signins is not None and ticket.sr_id is not None
    found = await services.signins.any_token(ticket.sr_escalated_by)
    if found is None:
        logger.info("no technician is signed in to Partner Center: %s not synchronised", ticket.number)
        return 0
    _, token = found
    request = await services.partner_center.service_request(token, ticket.sr_id)
    ours = {tech.name.casefold() for tech in await services.desk.technicians()}
    fresh = request.notes[ticket.sr_notes_seen :]
    theirs = [note for note in fresh if note.created_by.casefold() not in ours]
    from_microsoft = tuple(f"{note.created_by}: {note.text}" for note in theirs)
    # Microsoft's response clock: this read happened, and whether it shows Microsoft's first response (stamped by
    # Partner Center when it says when; desk/ms_response.py says what counts).
    responded = is_response(ticket.sr_status, request.status, theirs)
    stamps = [note.created for note in theirs if note.created is not None]
    at = min(stamps, default=request.last_modified or services.clock()) if responded else None
    await services.desk.sr_checked(ticket.id, ticket.sr_id, at)
    if request.status == ticket.sr_status and not from_microsoft:
        if len(request.notes) != ticket.sr_notes_seen:
            await _apply(services, ticket, SrUpdate(request.status, len(request.notes)))
        return 0
    await _apply(services, ticket, SrUpdate(request.status, len(request.notes), from_microsoft))
    return 1


async def _apply(services: Services, ticket: Ticket, change: SrUpdate) -> None:
    desk = services.desk
    triage = await desk.triage_context([ticket])
    audience = Audience(
        triage=triage.channel_for(ticket),
        customer=None,  # the customer hears of the escalation itself, not of Microsoft's internal notes
        partner_name=services.settings.support.partner_name,
        refresh_ids=triage.refresh_ids,
        technicians=[(t.aad_id, t.name) for t in await desk.technicians()],
        incidents=await desk.incidents_of(ticket.id),
    )
    try:
        await desk.apply(ticket.id, SYSTEM, change, announcer(audience, services.clock()))
    except Refused as refused:
        logger.warning("service request update of %s refused: %s", ticket.number, refused.key)
