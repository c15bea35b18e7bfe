"""Microsoft's response clock: one note in a ticket's triage thread when Microsoft has not responded to its service
request by the initial-response target. Recorded with the outbox message in one transaction, so it goes out once
across restarts and instances; judged on what the SR sync last read, never on the clock alone."""

from __future__ import annotations

from bot.turns.services import Services
from cards.format import card_time, duration
from cards.messages import message_card
from cards.ms_response import target_words
from cards.render import card_message
from desk.i18n import Translator
from desk.ms_response import SrClock
from desk.outbox import Card, Operation, Outgoing
from desk.tickets import Ticket


async def check_ms_response(services: Services) -> int:
    """Note every request Microsoft is late on and that was not noted yet; returns how many were noted."""
    desk = services.desk
    overrides = services.settings.ms_response_targets
    late = await desk.late_sr_clocks(overrides)
    if not late:
        return 0
    tickets = [ticket for clock in late if (ticket := await desk.ticket(clock.ticket_id)) is not None]
    triage = await desk.triage_context(tickets)  # with the channels these tickets' cards live in
    now = services.clock()

    def messages(ticket: Ticket, clock: SrClock) -> list[Outgoing]:
        channel = triage.channel_for(ticket)  # the ticket's own triage channel, where its card lives
        if channel is None:
            return []
        t = Translator(channel.locale)
        target, due = clock.target(overrides), clock.due(overrides)
        assert target is not None and due is not None and clock.checked_at is not None, "late clocks have both"
        heading = t("msclock.late_note", sr=clock.sr_id, number=ticket.number)
        text = t(
            "msclock.late_note_text",
            target=target_words(t, clock, target),
            due=card_time(due),
            late=duration(t, now - due),
            checked=card_time(clock.checked_at),
        )
        operation = Operation.REPLY if ticket.triage_activity_id else Operation.POST
        card = Card.TRIAGE if ticket.triage_activity_id else None
        activity = card_message(message_card(heading, extra=[_block(text)]), heading)
        return [Outgoing(channel.key, operation, activity, ticket.id, card)]

    noted = 0
    for clock in late:
        noted += await desk.note_late(clock, messages)
    return noted


def _block(text: str) -> dict[str, object]:
    # A TextBlock (not the literal runs of thread_card): it holds only the desk's own words, and Teams renders the
    # DATE/TIME functions of card_time in TextBlocks.
    return {"type": "TextBlock", "text": text, "wrap": True}
