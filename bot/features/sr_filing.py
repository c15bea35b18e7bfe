"""Filing an escalation form's Microsoft service request exactly once, and landing it on its ticket.

The database, not this process, says whether a form may file: a submit repeated by a double click, by Teams
redelivering the invoke, on another instance, or after an answer lost once Partner Center had filed, repeats the
same MS-RequestId (Partner Center's idempotency key) or files nothing. Partner Center's own words: the retry
after a timeout "should include the same value"; after a response, success or business failure, it is reset
(https://learn.microsoft.com/en-us/partner-center/developer/headers). Filing itself:
https://learn.microsoft.com/en-us/partner-center/developer/create-a-service-request (App+User only)."""

from __future__ import annotations

import logging
from datetime import datetime

from bot.features.gdap_preflight import gdap_preflight
from bot.features.notices import Audience, announcer, base_triage_card
from bot.features.tickets import actor_of, audience_for
from bot.turns.actions import ActionResult
from bot.turns.turn import Turn
from cards.escalation import escalated_card
from cards.messages import thread_card
from cards.render import card_message
from desk.changes import Escalate
from desk.escalation import AlreadyFiled, Blocked, EscalationDraft, Filing, OtherFiling, Running, Send, Vehicle
from desk.escalation_service import LateNotices, Linked, Recorded
from desk.i18n import Translator
from desk.outbox import Card, Operation, Outgoing
from desk.tickets import Ticket
from msapi.errors import MicrosoftApiError, TokenError

logger = logging.getLogger(__name__)
# Answers after which Partner Center certainly filed nothing (a "business failure"); any other failure (no
# answer, 408, 429, 5xx) leaves the outcome open.
UNPROCESSED = frozenset({408, 429})


async def file_request(turn: Turn, draft: EscalationDraft, vehicle: Vehicle) -> ActionResult:
    """File `draft`'s service request (or say why not) and record it; returns what to answer. Raises NotSignedIn
    (nothing sent) when the technician has no Partner Center sign-in."""
    services = turn.services
    assert services.signins is not None, "callers check that sign-in is configured"
    filing = await services.desk.check_filing(draft.id)
    if not isinstance(filing, Send):
        return await _not_sent(turn, filing, vehicle)
    refused = await gdap_preflight(turn, filing.ticket)  # the GDAP role Partner Center will ask for: nothing sent
    if refused is not None:
        return refused
    try:
        token = await services.signins.token(turn.person.aad_id)
    except TokenError as error:  # Entra ID failing or unreachable: nothing was sent, the form can be submitted again
        logger.warning("no Partner Center token for %s: %s", turn.person.aad_id, error)
        return ActionResult(message=turn.t("escalation.failed", reason=str(error)), refused=True)
    filing = await services.desk.begin_filing(draft.id)
    if not isinstance(filing, Send):
        return await _not_sent(turn, filing, vehicle)
    fields = filing.draft.fields  # as stored: a repeated attempt sends what the first one sent
    try:
        request = await services.partner_center.create_service_request(
            token,
            title=fields["title"],
            description=fields["description"],
            severity=fields["severity"],
            support_topic_id=fields["topic"],
            primary_contact=_contact(turn, fields["contact"]),
            agent_locale=turn.activity.locale or "en-US",
            request_id=filing.draft.request_id,
        )
    except MicrosoftApiError as error:
        if error.status is not None and 400 <= error.status < 500 and error.status not in UNPROCESSED:
            logger.warning("Partner Center refused the service request for %s: %s", filing.ticket.number, error)
            await services.desk.filing_refused(draft.id)
            return ActionResult(message=turn.t("escalation.failed", reason=str(error)), refused=True)
        logger.warning("Partner Center did not confirm the service request for %s: %s", filing.ticket.number, error)
        await services.desk.filing_unconfirmed(draft.id)
        return ActionResult(message=turn.t("escalation.unconfirmed", reason=str(error)), refused=True)
    except BaseException:
        await services.desk.filing_unconfirmed(draft.id)  # whatever stopped this turn, Microsoft may have it
        raise
    change = Escalate(request.id, request.status, vehicle.plan or vehicle.kind, len(request.notes), turn.person.aad_id)
    audience = await audience_for(turn, filing.ticket)
    now = services.clock()
    announce = announcer(audience, now)
    recorded = await services.desk.record_filing(
        draft.id, actor_of(turn), change, announce, _late_notices(audience, turn.person.name, request.id, now)
    )
    return _answer(turn, recorded, request.id, vehicle)


def _answer(turn: Turn, recorded: Recorded, sr_id: str, vehicle: Vehicle) -> ActionResult:
    ticket, before = recorded.ticket, recorded.previous
    if recorded.linked is Linked.LATE:
        status = turn.t(f"status.{before.status.value}")
        return ActionResult(message=turn.t("escalation.filed_late", sr=sr_id, number=ticket.number, status=status))
    if recorded.linked is Linked.SECOND:
        return ActionResult(
            message=turn.t("escalation.filed_second", sr=sr_id, number=ticket.number, open=before.sr_id)
        )
    again = recorded.linked is Linked.ALREADY
    return ActionResult(card=escalated_card(turn.t, ticket, sr_id, vehicle, again=again))


async def _not_sent(turn: Turn, filing: Filing | None, vehicle: Vehicle) -> ActionResult:
    """Why nothing was sent to Partner Center, in the technician's words."""
    if filing is None:
        return ActionResult(message=turn.t("refusal.form_gone"), refused=True)
    number = filing.ticket.number
    if isinstance(filing, AlreadyFiled):
        return ActionResult(card=escalated_card(turn.t, filing.ticket, filing.draft.sr_id or "", vehicle, again=True))
    if isinstance(filing, Running):
        return ActionResult(message=turn.t("escalation.running", number=number), refused=True)
    if isinstance(filing, OtherFiling):
        name = await _technician_name(turn, filing.other.technician_aad_id)
        key = "escalation.other_running" if filing.running else "escalation.other_unconfirmed"
        return ActionResult(message=turn.t(key, number=number, name=name), refused=True)
    assert isinstance(filing, Blocked)
    return not_escalatable(turn, filing.ticket) or ActionResult(message=turn.t("refusal.form_gone"), refused=True)


def not_escalatable(turn: Turn, ticket: Ticket) -> ActionResult | None:
    """Why `ticket` cannot be escalated now (it has an open service request, or is not open), or None."""
    if ticket.has_open_sr:
        return ActionResult(message=turn.t("refusal.already_escalated", number=ticket.number, sr=ticket.sr_id))
    if not ticket.is_open:
        status = turn.t(f"status.{ticket.status.value}")
        return ActionResult(message=turn.t("refusal.ticket_not_open", number=ticket.number, status=status))
    return None


async def _technician_name(turn: Turn, aad_id: str) -> str:
    known = {tech.aad_id: tech.name for tech in await turn.services.desk.technicians()}
    return known.get(aad_id) or turn.t("escalation.another_technician")


def _late_notices(audience: Audience, actor: str, sr_id: str, now: datetime) -> LateNotices:
    """What technicians are told when a filed request lands on a ticket that is no longer waiting for it."""

    def notices(before: Ticket, after: Ticket, linked: Linked) -> list[Outgoing]:
        channel = audience.triage
        if channel is None:
            return []
        t = Translator(channel.locale)
        if linked is Linked.LATE:
            status = t(f"status.{before.status.value}")
            heading = t("thread.sr_filed_late", sr=sr_id, number=after.number, status=status, actor=actor)
        else:
            heading = t("thread.sr_filed_second", sr=sr_id, number=after.number, open=before.sr_id, actor=actor)
        card = base_triage_card(t, after, now, audience.refresh_ids, audience.incidents)
        return [
            Outgoing(channel.key, Operation.UPDATE, card_message(card), after.id, Card.TRIAGE),
            Outgoing(channel.key, Operation.REPLY, card_message(thread_card(heading)), after.id, Card.TRIAGE),
        ]

    return notices


def _contact(turn: Turn, typed: str) -> dict[str, str]:
    first, _, last = turn.person.name.partition(" ")
    email = typed.split("<", 1)[1].rstrip(">").strip() if "<" in typed else (turn.person.email or "")
    return {"FirstName": first, "LastName": last or first, "Email": email}
